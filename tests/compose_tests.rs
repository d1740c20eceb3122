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
//! * `fuzz` — a bounded, deterministic no-panic check.

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
