//! Private registries against the registry lab: a real registry (TLS with the lab's own CA,
//! htpasswd auth) beside a 2-node swarm whose tasks pull.

mod client;
mod freshness;
mod lab;
mod pages;
