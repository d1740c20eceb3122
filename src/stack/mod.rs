//! Stacks: `docker stack deploy / rm / ls / ps / services` implemented natively. This is the
//! only code that calls Docker for stacks; the compose files are read and converted by the
//! pure [`crate::compose`] module.
//!
//! The reference is `STACK_DEPLOY_SPEC.md` (sections 1, 3, 5, 6, 7, 8); what the docker CLI
//! sends was checked against `lab/capture/stack-deploy-api-calls.txt`, and the result is
//! compared with the CLI's on the lab swarm (`tests/it/stack_engine.rs`: every corpus case and
//! the fixtures under `tests/fixtures/stack/`, deployed both ways, must leave identical
//! services, networks, secrets and configs).
//!
//! # Deploy
//! ```text
//! Source ─▶ load + convert (blocking thread) ─▶ read the swarm ─▶ ask the registry
//!        ─▶ plan (pure: create / update with a field diff / unchanged / prune, or refuse)
//!        ─▶ apply: prune, networks, secrets, configs, services ─▶ wait (optional)
//! ```
//! Everything that can be known before touching the swarm is checked first: the files (with
//! `file:line:column` locations), external networks (present, swarm-scoped), secrets and
//! configs referenced but not declared (present), names taken by objects of another stack,
//! node-local network drivers, mode changes and changed config contents (all of which swarm
//! refuses). Only then does anything change. A failure midway returns a [`DeployReport`] saying what was created, updated, what
//! failed and what was not attempted; redeploying the corrected file converges: there is no
//! "stack already exists" state.
//!
//! [`preview`] returns the [`Plan`] without applying it: what the web preview renders —
//! services created, updated field by field ([`ServiceDiff`]) or removed, and which restart
//! their tasks.
//!
//! Service specs are read raw ([`crate::docker::raw`]): bollard's model spells the health check
//! `HealthCheck` and would drop the daemon's `Healthcheck`, and the diff needs the spec as
//! stored. Existing networks are never updated, as with the CLI: changing a network in the file
//! needs the stack removed first.
//!
//! # Deviations from the docker CLI (each deliberate)
//! * **Validation before any change**: the CLI checks external networks only after loading,
//!   and discovers missing external secrets/configs, taken names, node-local network drivers
//!   (`bridge`, …), mode changes and changed config contents only when the daemon refuses a
//!   request midway; here all of these are refused up front (all at once, located in the file
//!   where possible), and `--prune` runs after validation instead of first.
//! * **Unchanged services are not sent.** The CLI sends every service's spec on every deploy;
//!   berth compares the running spec with the file's ([`diff`]) and skips services that match.
//!   The stored spec is the same either way, no task restarts either way, but the version and
//!   `PreviousSpec` stay put, so `docker service rollback` still returns to the last real
//!   change. Unchanged configs are not sent either. Secrets are always sent: their data cannot
//!   be read back, and the daemon's comparison is what refuses a changed secret.
//! * **Order**: the CLI creates services in Go map order (random); here in compose key order.
//!   A failed step stops the deploy, as in the CLI.
//! * **Secret/config IDs** come from the create answers and one name lookup before the plan,
//!   not from a second list after creating them.
//! * **Messages**: `Updating service NAME (id: ID)` gains the diff summary, an unchanged
//!   service prints `Service NAME is unchanged (id: ID)`, and the image-resolution warning is
//!   printed for new services too (the CLI drops create warnings).
//! * **Registry questions** run in parallel with a timeout each, with the credentials of the
//!   image's registry when given ([`DeployOptions::auth`], `--with-registry-auth`); those
//!   credentials go with every service create and update too. When the registry refuses an
//!   image although credentials were given for it, the deploy is refused before anything
//!   changes (the CLI goes ahead and the tasks fail to pull). Without credentials the daemon
//!   keeps a service's existing pull credentials on update, as with the CLI without that flag.
//! * **Waiting** ([`WaitOptions`]) follows all services at once, ends early when every
//!   unfinished service keeps failing (3 failed tasks and nothing running) or an update pauses,
//!   and is bounded by a timeout; the CLI waits service after service, possibly forever.
//! * **Removal waits** until the stack's networks are gone (FINDINGS 10), unless told not to,
//!   and retries removing a network while the removed services' tasks still use it (the daemon
//!   answers `network … is in use by task …`; the CLI reports a failure and leaves the network).
//! * The update request's `registryAuthFrom=spec` query parameter (bollard's default) is what
//!   the daemon assumes when the CLI omits it.
//! * Service fields newer than the engine's API version (e.g. a health check's
//!   `start_interval` below API 1.44) are left out with a warning ([`apiver`]); the daemon
//!   would drop them silently, and the diff would then see a change on every redeploy.
//! * Service version indexes above `i32::MAX` cannot be sent through bollard 0.21; such an
//!   update fails with a clear message.

mod api;
pub mod apiver;
mod apply;
pub mod cli;
mod cluster;
mod deploy;
pub mod diff;
mod events;
pub mod git;
pub mod image;
pub mod jobs;
mod list;
pub mod plan;
mod remove;
pub mod resources;
mod wait;
pub mod webhook;

pub use deploy::{Applied, DeployOptions, Source, apply_changes, deploy, preview};
pub use diff::{FieldChange, ServiceDiff};
pub use events::{
    Convergence, DeployEvent, DeployReport, Done, Failure, ObjectKind, Outcome, ProgressState,
    RemoveEvent, RemoveReport, ServiceProgress,
};
pub use image::ResolveImage;
pub use list::{
    StackService, StackSummary, StackTask, arrange_ps, list, natural_cmp, ps, services,
};
pub use plan::{Action, NetworkChange, ObjectChange, Plan, ServiceChange};
pub use remove::{RemoveOptions, remove};
pub use resources::{Resource, StackResources, VolumeUse, resources};
pub use wait::WaitOptions;

use crate::compose::ComposeError;

/// Why a stack operation did not start (nothing in the swarm was changed).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StackError {
    /// The compose files are invalid: syntax, schema, variables, conversion. Located
    /// (`file:line:column: message`).
    #[error("{0}")]
    Compose(ComposeError),
    /// Valid files this swarm would refuse as they are (a missing external network, a name
    /// taken by another stack, …): every problem, located in the file where it can be.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Rejected(Vec<ComposeError>),
    /// Docker is unreachable, not a manager, or refused a read (the CLI's wording).
    #[error("{0}")]
    Docker(String),
    /// `stack ps` of a stack without tasks.
    #[error("nothing found in stack: {0}")]
    NotFound(String),
}

#[cfg(test)]
mod send_tests {
    use super::*;

    /// The web UI runs deploys and removals in background tasks: their futures must be `Send`.
    #[test]
    fn deploy_preview_and_remove_can_run_in_spawned_tasks() {
        fn spawnable<T: Send>(_: &T) {}
        let engine = crate::docker::Engine::new("unix:///nonexistent/berth.sock");
        let source = Source {
            files: vec![],
            working_dir: "/".into(),
            env: Default::default(),
            reader: std::sync::Arc::new(crate::compose::MemoryFiles::default()),
        };
        let opts = DeployOptions::default();
        spawnable(&deploy(&engine, "s", source.clone(), &opts));
        spawnable(&preview(&engine, "s", source.clone(), &opts));
        spawnable(&apply_changes(&engine, "s", source, &opts));
        spawnable(&remove(&engine, "s", &RemoveOptions::default()));
    }
}
