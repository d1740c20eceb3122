//! Login throttling.
//!
//! * Per user name: after [`FREE_FAILURES`] failures, each further attempt must wait an
//!   exponentially growing delay, capped at [`MAX_DELAY`]. A success resets it. Blocks are
//!   always temporary.
//! * Global cap: at most [`GLOBAL_FAILURES_PER_MINUTE`] failed logins per minute across all
//!   names, so a spray over many names cannot grind the two cores with argon2.
//! * Trusted browsers: a browser that logged in successfully before carries a device token
//!   (see `db` and the login handler). Its attempts are throttled under their own key and are
//!   exempt from the global cap, so an attacker hammering the admin's name can never lock the
//!   real admin out of their own browser (OWASP "device cookies").
//!
//! Keys are not client addresses: behind the ingress routing mesh every client has the same one.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const MAX_DELAY: Duration = Duration::from_secs(300);
pub const GLOBAL_FAILURES_PER_MINUTE: usize = 60;
const MAX_KEYS: usize = 10_000;
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// Who an attempt is throttled as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// An unknown browser trying this (lower-cased) user name.
    User(String),
    /// A browser holding a valid device token for the user it tries.
    Device(String),
}

impl Key {
    pub fn user(name: &str) -> Key {
        Key::User(name.to_lowercase())
    }
}

#[derive(Debug)]
struct KeyState {
    failures: u32,
    blocked_until: Option<Instant>,
    last_failure: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<Key, KeyState>,
    global: VecDeque<Instant>,
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    inner: Mutex<Inner>,
}

impl LoginThrottle {
    /// `Err(retry_after)` when this attempt must be refused without checking the password.
    pub fn check(&self, key: &Key) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn failure(&self, key: &Key) {
        self.failure_at(key, Instant::now())
    }

    pub fn success(&self, key: &Key) {
        self.lock().keys.remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_at(&self, key: &Key, now: Instant) -> Result<(), Duration> {
        let mut inner = self.lock();
        if let Some(until) = inner.keys.get(key).and_then(|s| s.blocked_until)
            && until > now
        {
            return Err(round_up(until - now));
        }
        if matches!(key, Key::User(_)) {
            prune_global(&mut inner.global, now);
            if inner.global.len() >= GLOBAL_FAILURES_PER_MINUTE {
                let oldest = inner.global.front().copied().unwrap_or(now);
                return Err(round_up(
                    (oldest + Duration::from_secs(60)).saturating_duration_since(now),
                ));
            }
        }
        Ok(())
    }

    fn failure_at(&self, key: &Key, now: Instant) {
        let mut inner = self.lock();
        if matches!(key, Key::User(_)) {
            prune_global(&mut inner.global, now);
            inner.global.push_back(now);
        }
        if inner.keys.len() >= MAX_KEYS {
            inner
                .keys
                .retain(|_, s| now.saturating_duration_since(s.last_failure) < FORGET_AFTER);
            if inner.keys.len() >= MAX_KEYS {
                // still full of fresh keys: drop the unblocked ones first
                inner
                    .keys
                    .retain(|_, s| s.blocked_until.is_some_and(|u| u > now));
            }
        }
        let st = inner.keys.entry(key.clone()).or_insert(KeyState {
            failures: 0,
            blocked_until: None,
            last_failure: now,
        });
        if now.saturating_duration_since(st.last_failure) >= FORGET_AFTER {
            st.failures = 0;
        }
        st.failures += 1;
        st.last_failure = now;
        if st.failures >= FREE_FAILURES {
            let exp = (st.failures - FREE_FAILURES).min(16);
            let delay = Duration::from_secs(1u64 << exp).min(MAX_DELAY);
            st.blocked_until = Some(now + delay);
        }
    }
}

fn prune_global(global: &mut VecDeque<Instant>, now: Instant) {
    while global
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(60))
    {
        global.pop_front();
    }
}

fn round_up(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_free_failures_and_grows_exponentially() {
        let t = LoginThrottle::default();
        let k = Key::user("Admin");
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            assert!(t.check_at(&k, t0).is_ok());
            t.failure_at(&k, t0);
        }
        assert!(t.check_at(&k, t0).is_ok());
        t.failure_at(&k, t0); // 5th failure: 1 s
        assert_eq!(t.check_at(&k, t0), Err(Duration::from_secs(1)));
        assert!(t.check_at(&k, t0 + Duration::from_secs(1)).is_ok());
        t.failure_at(&k, t0 + Duration::from_secs(1)); // 6th: 2 s
        assert_eq!(
            t.check_at(&k, t0 + Duration::from_secs(1)),
            Err(Duration::from_secs(2))
        );
        // the same name in another case is the same key
        assert!(
            t.check_at(&Key::user("admin"), t0 + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn delay_is_capped_and_never_permanent() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        let mut now = Instant::now();
        for _ in 0..40 {
            t.failure_at(&k, now);
            now += Duration::from_millis(10);
        }
        let wait = t.check_at(&k, now).unwrap_err();
        assert!(wait <= MAX_DELAY, "{wait:?}");
        assert!(t.check_at(&k, now + MAX_DELAY).is_ok());
    }

    #[test]
    fn success_resets() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        let now = Instant::now();
        for _ in 0..FREE_FAILURES {
            t.failure_at(&k, now);
        }
        assert!(t.check_at(&k, now).is_err());
        t.success(&k);
        assert!(t.check_at(&k, now).is_ok());
    }

    #[test]
    fn global_cap_spares_trusted_browsers() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..GLOBAL_FAILURES_PER_MINUTE {
            t.failure_at(&Key::user(&format!("user{i}")), now);
        }
        assert!(t.check_at(&Key::user("admin"), now).is_err());
        assert!(t.check_at(&Key::Device("abc".into()), now).is_ok());
        assert!(
            t.check_at(&Key::user("admin"), now + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn attacker_on_a_name_does_not_block_the_trusted_browser() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..30 {
            t.failure_at(&Key::user("admin"), now);
        }
        assert!(t.check_at(&Key::user("admin"), now).is_err());
        assert!(t.check_at(&Key::Device("admin-laptop".into()), now).is_ok());
    }
}
