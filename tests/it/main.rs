//! berth's integration tests: the real router, a real SQLite file, real Docker swarms (the
//! project's lab, see scripts/lab) and a real browser. Run them with `scripts/test`, which
//! brings the labs up and sets the `BERTH_TEST_*` variables the harness reads.

mod harness;

mod agent;
mod alerts;
mod api;
mod auth;
mod auth_hardening;
mod browser;
mod ci_client;
mod console;
mod dashboard;
mod docker_status;
mod error_pages;
mod git_stacks;
mod hooks;
mod image;
mod live;
mod model;
mod nodes;
mod objects;
mod oidc;
mod policy;
mod private_images;
mod process;
mod registries;
mod security;
mod services;
mod stack_engine;
mod stacks;
mod swarm_state;
mod totp;
