//! Secure by default (issue 11): panics contained, secrets encrypted at rest, HTTPS with a
//! generated or given certificate, the public URL's rules, and berth behind a TLS proxy.

mod panic;
mod proxy;
mod tls;
