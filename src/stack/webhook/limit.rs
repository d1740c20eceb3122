//! The rate limit of each deploy webhook: a token bucket per hook, checked and taken in one
//! step under one lock (no await in between), so a burst of calls cannot slip past it.
//!
//! Hand-written rather than `governor`: the whole policy is these few lines, the keys are hook
//! ids (bounded by the hooks that exist, and forgotten once their bucket is full again), and
//! the answer needs the wait until the next call is allowed for `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Calls a hook may make at once.
pub const BURST: u32 = 5;
/// One more call is allowed every this long.
pub const REFILL: Duration = Duration::from_secs(12);

#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl Limiter {
    /// Takes one call of `hook`'s allowance, or says how long until one is free.
    pub fn take(&self, hook: i64) -> Result<(), Duration> {
        self.take_at(hook, Instant::now())
    }

    fn take_at(&self, hook: i64, now: Instant) -> Result<(), Duration> {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // buckets that are full again are the same as none: forget them
        if map.len() > 1024 {
            map.retain(|_, (tokens, at)| level(*tokens, *at, now) < BURST as f64);
        }
        let (tokens, at) = map.entry(hook).or_insert((BURST as f64, now));
        let available = level(*tokens, *at, now);
        if available >= 1.0 {
            *tokens = available - 1.0;
            *at = now;
            Ok(())
        } else {
            let missing = 1.0 - available;
            Err(REFILL.mul_f64(missing))
        }
    }
}

fn level(tokens: f64, at: Instant, now: Instant) -> f64 {
    let refilled = now.saturating_duration_since(at).as_secs_f64() / REFILL.as_secs_f64();
    (tokens + refilled).min(BURST as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_calls_wait_for_the_refill_per_hook() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..BURST {
            l.take_at(1, t0).unwrap();
        }
        let wait = l.take_at(1, t0).unwrap_err();
        assert!(wait <= REFILL && wait > REFILL / 2, "{wait:?}");
        // another hook has its own allowance
        l.take_at(2, t0).unwrap();
        // one refill period later, one more call
        l.take_at(1, t0 + REFILL).unwrap();
        assert!(l.take_at(1, t0 + REFILL).is_err());
    }
}
