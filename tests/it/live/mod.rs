//! Issue 14: live pages and /metrics.

mod browser;
mod metrics;
mod viewers;
