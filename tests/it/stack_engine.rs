//! The stack engine against real swarms: parity with `docker stack deploy` (the `parity` lab),
//! invalid files that must create nothing, redeploys, waiting and removal, and the
//! `berth stack` command line (the `one` lab).

mod cli;
mod negative;
mod parity;
mod redeploy;
mod support;
