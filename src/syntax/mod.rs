//! Docker's syntax, once: the Go-parity cores that both the compose loader (`compose/`) and the
//! service forms (`docker/services/flags`) use, so `docker stack deploy` and `docker service
//! create` read the same text the same way (as docker/cli shares `opts`, `go-units`,
//! `go-connections/nat`, `distribution/reference` and `google/shlex` between them).
//!
//! Every function here is pure (no I/O) and returns Go's own result and error text; callers that
//! talk to people (the forms) wrap the errors in friendlier sentences. This module imports nothing
//! from the rest of berth: imports go one way, `web → stack → compose/docker → syntax`.
//!
//! * [`duration`]: `time.ParseDuration` and `Duration.String`.
//! * [`strconv`]: `strconv.Quote`, `Atoi` and `ParseFloat` with Go's error text.
//! * [`units`]: go-units `RAMInBytes`, `opts.ParseCPUs` (a `big.Rat`: `0.5`, `1/2`, `5e-1`), and
//!   their exact formatting back.
//! * [`ports`]: `nat.ParsePortSpec` expanded like `ConvertPortToPortConfig`, and every way berth
//!   shows a published port.
//! * [`reference`]: `distribution/reference` image references.
//! * [`shlex`]: `google/shlex` word splitting, and quoting words back.
//! * [`mounts`]: the mount types and bind propagations the engine knows.

pub mod duration;
pub mod mounts;
pub mod ports;
pub mod reference;
pub mod shlex;
pub mod strconv;
pub mod units;
