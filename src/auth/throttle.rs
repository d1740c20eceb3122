//! Login throttling.
//!
//! An attempt is *reserved* before the password is checked: in one lock step the throttle
//! decides and counts the attempt as a failure, so a burst of concurrent guesses cannot all pass
//! the check before the first one is counted. A success gives its reservation back
//! ([`Reservation::succeeded`]); a reservation dropped without a verdict stays a failure.
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
//! * One-time codes: wrong codes are counted per account under their own key, so signing in
//!   again with the right password does not buy more guesses at the code.
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
    /// A signed-in user confirming their own password (password change, account changes).
    Reauth(i64),
    /// One-time codes of this account (the sign-in's second step, enrolment, turning it off):
    /// a right password does not forgive them, only a right code does.
    Totp(i64),
}

impl Key {
    pub fn user(name: &str) -> Key {
        Key::User(name.to_lowercase())
    }
}

#[derive(Debug)]
struct KeyState {
    /// failures, counting the reservations still pending
    failures: u32,
    /// reservations whose verdict is not known yet
    pending: u32,
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

/// An attempt counted as failed until it is declared a success.
#[must_use = "a reservation is a failure unless declared a success"]
#[derive(Debug)]
pub struct Reservation<'a> {
    throttle: &'a LoginThrottle,
    key: Key,
    at: Instant,
    settled: bool,
}

impl Reservation<'_> {
    /// The password was right: forget this key's failures (other pending attempts still count)
    /// and give back this attempt's place in the global count.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle.settle(&self.key, self.at, true);
    }

    /// The password was wrong: the failure was already counted when the attempt was reserved.
    pub fn failed(mut self) {
        self.settled = true;
        self.throttle.settle(&self.key, self.at, false);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle.settle(&self.key, self.at, false);
        }
    }
}

impl LoginThrottle {
    /// Checks and counts an attempt in one step. `Err(retry_after)` when it must be refused
    /// without checking the password.
    pub fn reserve(&self, key: &Key) -> Result<Reservation<'_>, Duration> {
        let now = Instant::now();
        self.reserve_at(key, now)?;
        Ok(Reservation {
            throttle: self,
            key: key.clone(),
            at: now,
            settled: false,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reserve_at(&self, key: &Key, now: Instant) -> Result<(), Duration> {
        let mut inner = self.lock();
        if let Some(until) = inner.keys.get(key).and_then(|s| s.blocked_until)
            && until > now
        {
            return Err(round_up(until - now));
        }
        let global = matches!(key, Key::User(_));
        if global {
            prune_global(&mut inner.global, now);
            if inner.global.len() >= GLOBAL_FAILURES_PER_MINUTE {
                let oldest = inner.global.front().copied().unwrap_or(now);
                return Err(round_up(
                    (oldest + Duration::from_secs(60)).saturating_duration_since(now),
                ));
            }
            inner.global.push_back(now);
        }
        make_room(&mut inner.keys, now);
        let st = inner.keys.entry(key.clone()).or_insert(KeyState {
            failures: 0,
            pending: 0,
            blocked_until: None,
            last_failure: now,
        });
        if st.pending == 0 && now.saturating_duration_since(st.last_failure) >= FORGET_AFTER {
            st.failures = 0;
        }
        st.failures += 1;
        st.pending += 1;
        st.last_failure = now;
        if let Some(delay) = delay_after(st.failures) {
            st.blocked_until = Some(now + delay);
        }
        Ok(())
    }

    fn settle(&self, key: &Key, at: Instant, success: bool) {
        self.settle_at(key, at, success, Instant::now())
    }

    fn settle_at(&self, key: &Key, at: Instant, success: bool, now: Instant) {
        let mut inner = self.lock();
        if success
            && matches!(key, Key::User(_))
            && let Some(i) = inner.global.iter().rposition(|t| *t == at)
        {
            inner.global.remove(i);
        }
        let Some(st) = inner.keys.get_mut(key) else {
            return;
        };
        st.pending = st.pending.saturating_sub(1);
        if success {
            // what is still in flight stays counted; the rest is forgiven
            st.failures = st.pending;
            if st.failures < FREE_FAILURES {
                st.blocked_until = None;
            }
            if st.pending == 0 {
                inner.keys.remove(key);
            }
        } else if let Some(delay) = delay_after(st.failures) {
            // the wait runs from the verdict too, however long the check took
            let until = now + delay;
            st.blocked_until = Some(st.blocked_until.map_or(until, |u| u.max(until)));
        }
    }
}

/// The block after `failures` failures: none below [`FREE_FAILURES`], then 1 s doubling up to
/// [`MAX_DELAY`].
fn delay_after(failures: u32) -> Option<Duration> {
    (failures >= FREE_FAILURES).then(|| {
        let exp = (failures - FREE_FAILURES).min(16);
        Duration::from_secs(1u64 << exp).min(MAX_DELAY)
    })
}

/// Keeps the table under [`MAX_KEYS`]: drops stale keys first, then unblocked idle ones.
fn make_room(keys: &mut HashMap<Key, KeyState>, now: Instant) {
    if keys.len() < MAX_KEYS {
        return;
    }
    keys.retain(|_, s| {
        s.pending > 0 || now.saturating_duration_since(s.last_failure) < FORGET_AFTER
    });
    if keys.len() >= MAX_KEYS {
        // still full of fresh keys: drop the unblocked ones first
        keys.retain(|_, s| s.pending > 0 || s.blocked_until.is_some_and(|u| u > now));
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

    /// One whole attempt that fails, as the handlers make it.
    fn fail_at(t: &LoginThrottle, k: &Key, now: Instant) -> Result<(), Duration> {
        t.reserve_at(k, now)?;
        t.settle_at(k, now, false, now);
        Ok(())
    }

    #[test]
    fn blocks_after_free_failures_and_grows_exponentially() {
        let t = LoginThrottle::default();
        let k = Key::user("Admin");
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(fail_at(&t, &k, t0).is_ok());
        }
        // the 5th failure blocked for 1 s
        assert_eq!(t.reserve_at(&k, t0), Err(Duration::from_secs(1)));
        assert!(fail_at(&t, &k, t0 + Duration::from_secs(1)).is_ok()); // 6th: 2 s
        assert_eq!(
            t.reserve_at(&k, t0 + Duration::from_secs(1)),
            Err(Duration::from_secs(2))
        );
        // the same name in another case is the same key
        assert!(
            t.reserve_at(&Key::user("admin"), t0 + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn concurrent_attempts_are_counted_before_their_verdict() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        let now = Instant::now();
        // a burst: nobody has an answer yet, yet only FREE_FAILURES get through
        let mut held = Vec::new();
        for _ in 0..300 {
            if let Ok(r) = t.reserve(&k) {
                held.push(r);
            }
        }
        assert_eq!(held.len(), FREE_FAILURES as usize);
        assert!(t.reserve_at(&k, now).is_err());
        drop(held); // dropped without a verdict: still failures
        assert!(t.reserve(&k).is_err());
    }

    #[test]
    fn a_success_gives_its_reservation_back_but_keeps_others_pending() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        let a = t.reserve(&k).unwrap();
        let b = t.reserve(&k).unwrap();
        let c = t.reserve(&k).unwrap();
        a.succeeded();
        // b and c are still in flight and count
        let d = t.reserve(&k).unwrap();
        let e = t.reserve(&k).unwrap();
        let f = t.reserve(&k).unwrap();
        assert!(t.reserve(&k).is_err(), "b c d e f are five failures");
        for r in [b, c, d, e, f] {
            r.failed();
        }
        assert!(t.reserve(&k).is_err());
    }

    #[test]
    fn the_wait_runs_from_the_verdict_of_a_slow_check() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        let t0 = Instant::now();
        for _ in 1..FREE_FAILURES {
            fail_at(&t, &k, t0).unwrap();
        }
        t.reserve_at(&k, t0).unwrap();
        // the fifth check takes 3 s; its verdict starts the 1 s wait
        let verdict = t0 + Duration::from_secs(3);
        t.settle_at(&k, t0, false, verdict);
        assert_eq!(t.reserve_at(&k, verdict), Err(Duration::from_secs(1)));
    }

    #[test]
    fn delay_is_capped_and_never_permanent() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        let mut now = Instant::now();
        for _ in 0..40 {
            // each attempt right when the previous block ends
            fail_at(&t, &k, now).unwrap();
            now += MAX_DELAY;
        }
        fail_at(&t, &k, now).unwrap();
        let wait = t.reserve_at(&k, now).unwrap_err();
        assert_eq!(wait, MAX_DELAY);
        assert!(t.reserve_at(&k, now + MAX_DELAY).is_ok());
    }

    #[test]
    fn success_resets() {
        let t = LoginThrottle::default();
        let k = Key::user("admin");
        for _ in 0..FREE_FAILURES - 1 {
            t.reserve(&k).unwrap().failed();
        }
        t.reserve(&k).unwrap().succeeded();
        for _ in 0..FREE_FAILURES {
            t.reserve(&k).unwrap().failed();
        }
        assert!(t.reserve(&k).is_err());
    }

    #[test]
    fn global_cap_spares_trusted_browsers_and_signed_in_users() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..GLOBAL_FAILURES_PER_MINUTE {
            fail_at(&t, &Key::user(&format!("user{i}")), now).unwrap();
        }
        assert!(t.reserve_at(&Key::user("admin"), now).is_err());
        assert!(t.reserve_at(&Key::Device("abc".into()), now).is_ok());
        assert!(t.reserve_at(&Key::Reauth(1), now).is_ok());
        assert!(
            t.reserve_at(&Key::user("admin"), now + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn successes_do_not_use_up_the_global_cap() {
        let t = LoginThrottle::default();
        for i in 0..3 * GLOBAL_FAILURES_PER_MINUTE {
            t.reserve(&Key::user(&format!("user{i}")))
                .unwrap()
                .succeeded();
        }
        assert!(t.reserve(&Key::user("admin")).is_ok());
    }

    #[test]
    fn attacker_on_a_name_does_not_block_the_trusted_browser() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..30 {
            let _ = fail_at(&t, &Key::user("admin"), now);
        }
        assert!(t.reserve_at(&Key::user("admin"), now).is_err());
        assert!(
            t.reserve_at(&Key::Device("admin-laptop".into()), now)
                .is_ok()
        );
    }
}
