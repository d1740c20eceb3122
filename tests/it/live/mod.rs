//! Issue 14: live pages and /metrics.

mod metrics;
