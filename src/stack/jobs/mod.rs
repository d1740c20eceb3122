//! Deploys and removals as background jobs: the one pipeline every caller uses — the pages,
//! and whatever else starts a deploy (an API, a webhook, a git sync). A caller hands over
//! what to deploy and who asks, as plain data; [`Deploys`] checks the source, stores the new
//! version (with its uploaded files), runs the deploy while turning its events into log lines,
//! summarises and audits the outcome, and records it. Closing the browser does not stop a job;
//! its page follows it (server-sent events from the first line, however late they join).
//!
//! Concurrency, per stack ([`registry`]): applying changes is exclusive and short, waiting for
//! convergence is not. A deploy or removal arriving while the previous deploy only waits ends
//! that wait at once (that version ends [`Outcome::Superseded`]) and goes ahead; one arriving
//! while a job still applies queues behind it, the newest queued request winning.
//!
//! The `berth stack` CLI calls the engine ([`crate::stack::deploy`]) directly: it keeps no
//! versions and runs one command per process, so it has no use for jobs.

mod files;
pub mod registry;
mod run;
mod summary;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

pub use files::{decode_files, encode_files, file_names};
pub use registry::Job;
pub use run::RESOLVE;

use crate::compose::MemoryFiles;
use crate::compose::source::Problem;
use crate::db;
use crate::docker::Engine;
use crate::docker::auth::RegistryAuth;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Deploy,
    Remove,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Deploy => "deploy",
            JobKind::Remove => "remove",
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a log line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Ok,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Applied and converged (a removal: everything gone).
    Ok,
    /// Applied, but tasks fail or did not converge.
    Degraded,
    /// Refused or failed (the summary says what was done).
    Failed,
    /// A newer deploy or a removal of the stack took over: before this one applied anything,
    /// or while it waited for convergence.
    Superseded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Degraded => "degraded",
            Outcome::Failed => "failed",
            Outcome::Superseded => "superseded",
        }
    }

    /// The outcome stored in the database (`None` for `running`).
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "ok" => Outcome::Ok,
            "degraded" => Outcome::Degraded,
            "failed" => Outcome::Failed,
            "superseded" => Outcome::Superseded,
            _ => return None,
        })
    }

    fn level(self) -> Level {
        match self {
            Outcome::Ok => Level::Ok,
            Outcome::Degraded | Outcome::Superseded => Level::Warn,
            Outcome::Failed => Level::Error,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a job's progress.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Line {
    /// 0, 1, 2, …
    pub seq: usize,
    pub level: Level,
    pub text: String,
}

/// How a job ended, in a sentence.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct End {
    pub outcome: Outcome,
    pub summary: String,
}

/// What a job's followers receive.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    Line(Line),
    End(End),
}

/// Who asks, and from where (for the history and the audit log).
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub username: String,
    pub ip: Option<String>,
}

/// Which images a deploy sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Images {
    /// The file's tags, resolved to digests when the image text changed ([`RESOLVE`]): what
    /// an edit deploys.
    #[default]
    Tags,
    /// Every tag resolved again on its registry: services whose digest moved are updated
    /// (pull and redeploy; a version from history with its current tags).
    Pull,
    /// The images `redeploy_of`'s version recorded, digests included (exact images).
    Exact,
}

impl std::str::FromStr for Images {
    type Err = String;
    /// The history redeploy's form field `images`: `exact` (the recorded digests) or `tags`
    /// (the tags as the registry resolves them now); none: as an edit deploys.
    fn from_str(s: &str) -> Result<Images, String> {
        match s {
            "" => Ok(Images::Tags),
            "exact" => Ok(Images::Exact),
            "tags" | "pull" => Ok(Images::Pull),
            other => Err(format!(
                "images must be exact or tags (or pull), not {:?}",
                other.chars().take(20).collect::<String>()
            )),
        }
    }
}

/// A deploy to run: a new version of `stack`.
#[derive(Debug, Clone, Default)]
pub struct DeployRequest {
    pub stack: String,
    pub compose: String,
    /// The first compose file's name (`None`: the editor's `docker-compose.yml`).
    pub compose_name: Option<String>,
    /// Compose files merged on top of `compose`, in order (`-c a -c b`); empty for one file.
    pub more: Vec<db::stacks::MoreFile>,
    /// The variables, as `KEY=value` lines.
    pub env: String,
    /// Files the compose file refers to; `None`: those of the stack's newest version (an edit
    /// cannot re-upload a secret's file each time).
    pub files: Option<MemoryFiles>,
    pub prune: bool,
    /// The version the change was made from (the editor's `base_version`; 0: the stack had
    /// none): when a newer one has been deployed since, nothing is stored and the deploy is
    /// refused as [`DeployError::Stale`], for the user to see the difference and confirm by
    /// sending the newest version as the base. `None`: no check.
    pub base_version: Option<i64>,
    /// The version this one deploys again, if it is a redeploy.
    pub redeploy_of: Option<i64>,
    /// Which images to send.
    pub images: Images,
    pub who: Who,
}

/// Why a deploy did not start (nothing was stored, nothing changed).
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The source has problems (located, for the editor to mark).
    #[error("the stack source has problems")]
    Invalid(Vec<Problem>),
    /// Someone deployed a newer version than the one the change was made from.
    #[error("version {latest} of {stack} was deployed after version {base}")]
    Stale {
        stack: String,
        base: i64,
        latest: i64,
    },
    /// The request cannot be done as asked (the sentence says why and what to do instead).
    #[error("{0}")]
    Refused(String),
    #[error("the database failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

/// The work a queued job does once its turn comes.
enum Work {
    Deploy(run::DeployWork),
    Remove(Who),
}

/// Starts and tracks deploys and removals. Cheap to clone.
#[derive(Clone)]
pub struct Deploys {
    db: SqlitePool,
    engine: Engine,
    jobs: Arc<registry::Registry<Work>>,
    /// the live model, told at a job's end (read-your-writes for the pages)
    model: Option<crate::model::Model>,
}

impl Deploys {
    pub fn new(db: SqlitePool, engine: Engine) -> Deploys {
        Deploys {
            db,
            engine,
            jobs: Arc::default(),
            model: None,
        }
    }

    /// Waits at each job's end until `model` holds what the job changed.
    pub fn following(mut self, model: crate::model::Model) -> Deploys {
        self.model = Some(model);
        self
    }

    /// Checks the source, stores it as the stack's next version and starts deploying it (or
    /// queues it, see the module docs). The job's page follows it.
    pub async fn deploy(&self, req: DeployRequest) -> Result<Arc<Job>, DeployError> {
        run::deploy(self, req).await
    }

    /// Starts removing `stack` (or queues the removal behind a deploy still applying).
    pub async fn remove(&self, stack: &str, who: Who) -> Arc<Job> {
        run::remove(self, stack, who).await
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs.get(id)
    }

    /// The job of `version` of `stack`, while berth remembers it (an hour after it ended).
    pub fn deploy_of(&self, stack: &str, version: i64) -> Option<Arc<Job>> {
        self.jobs.deploy_of(stack, version)
    }

    /// A job running, waiting or queued on `stack`.
    pub fn running_on(&self, stack: &str) -> Option<Arc<Job>> {
        self.jobs.running_on(stack)
    }

    /// Deploys the stack's newest stored version again with every tag resolved anew on its
    /// registry (with credentials): services whose digest changed roll, the others are left
    /// alone. Refused when berth holds no version of the stack.
    pub async fn pull_redeploy(&self, stack: &str, who: Who) -> Result<Arc<Job>, DeployError> {
        let Some(v) = db::stacks::latest(&self.db, stack).await? else {
            return Err(DeployError::Refused(format!(
                "stack {stack} has no version stored in berth (it was deployed elsewhere): pull and redeploy its services one by one"
            )));
        };
        let more = v.more_files();
        self.deploy(DeployRequest {
            stack: v.stack,
            compose: v.compose,
            compose_name: v.compose_name,
            more,
            env: v.env,
            files: None,
            prune: v.prune,
            base_version: None,
            redeploy_of: Some(v.version),
            images: Images::Pull,
            who,
        })
        .await
    }

    /// The registry credentials every deploy and service change sends, by registry domain:
    /// every registry stored on the registries page. A registry whose secret cannot be opened
    /// is left out (and logged): its images are then sent without credentials.
    pub async fn registry_auth(&self) -> RegistryAuth {
        let mut auth = RegistryAuth::default();
        let stored = match db::registries::list(&self.db).await {
            Ok(list) => list,
            Err(e) => {
                tracing::error!("cannot read the stored registries: {e}");
                return auth;
            }
        };
        for r in stored {
            match db::registries::secret(&self.db, r.id).await {
                Ok(Some(secret)) => auth.insert_login(&r.address, &r.username, &secret),
                Ok(None) => {}
                Err(e) => tracing::error!("cannot open the secret of registry {}: {e}", r.address),
            }
        }
        auth
    }

    /// The stored version a deploy would start from, for the editor's `base_version`.
    pub async fn latest_version(&self, stack: &str) -> sqlx::Result<Option<i64>> {
        Ok(db::stacks::latest(&self.db, stack)
            .await?
            .map(|v| v.version))
    }
}
