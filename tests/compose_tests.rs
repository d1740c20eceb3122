//! Tests of `berth::compose`, one binary with a module per area:
//!
//! * `api` — the public API: error locations, `FileSource`, ID resolution, the load/convert
//!   messages of STACK_DEPLOY_SPEC section 7;
//! * `loader` — `load_config`/`load` against `docker stack config`/`deploy` output recorded
//!   from docker CLI 28.2.2 (`tests/fixtures/compose/loader`, `tests/golden/compose/loader`);
//! * `convert` — `StackSpec` goldens (`BLESS=1` rewrites) checked against the API requests
//!   CLI 28.2.2 sent for the same files (`tests/fixtures/compose/convert`);
//! * `corpus` — parity on the shared compose corpus when `BERTH_COMPOSE_CORPUS` is set;
//! * `differential` — random files against recorded CLI behaviour, when
//!   `BERTH_COMPOSE_DIFF_DIR` is set (`tests/fixtures/compose/random-diff.py`);
//!
//! The last two skip without their input outside CI, and fail in CI (`CI` set): `scripts/test`
//! records the random files and `.ci/run` provides the corpus.
//! * `fuzz` — a bounded, deterministic no-panic check.

/// The directory an env-gated test reads, from `var`. Outside CI a missing input skips the
/// test (it says so); in CI (`CI` set, as `.ci/run` runs) it fails: CI always provides it.
pub fn input_dir(var: &str, what: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os(var) {
        Some(dir) => Some(dir.into()),
        None if in_ci() => panic!("{what}: {var} is not set, and CI must run this test"),
        None => {
            println!("{what}: {var} not set, skipped");
            None
        }
    }
}

/// `CI` is set (and not `false`/`0`), as CI services do.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

#[path = "compose/api.rs"]
mod api;
#[path = "compose/convert.rs"]
mod convert;
#[path = "compose/corpus.rs"]
mod corpus;
#[path = "compose/differential.rs"]
mod differential;
#[path = "compose/fuzz.rs"]
mod fuzz;
#[path = "compose/loader.rs"]
mod loader;
