//! A password check as one guarded unit: a place among the few argon2 computations allowed to
//! run at once, and a throttle reservation made before any work starts.
//!
//! Every argon2 computation holds 19 MiB for ~40 ms on a core; without a bound, a burst of
//! requests holds `burst × 19 MiB` and queues the blocking pool for seconds. [`PasswordGate`]
//! lets [`CONCURRENT_HASHES`] run at once and refuses the rest at once (the caller answers 503
//! with Retry-After) instead of queueing them. The permit moves into the blocking thread, so a
//! client that hangs up mid-check does not free a place while argon2 still runs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::password;
use super::throttle::{Key, LoginThrottle, Reservation};

/// argon2 computations allowed at once (berth's host has a couple of cores).
pub const CONCURRENT_HASHES: usize = 4;
/// What a caller refused for lack of a place is told to wait.
pub const BUSY_RETRY: Duration = Duration::from_secs(1);

/// The bound on argon2 work running at once.
#[derive(Debug)]
pub struct PasswordGate {
    permits: Arc<Semaphore>,
}

impl Default for PasswordGate {
    fn default() -> Self {
        PasswordGate {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
        }
    }
}

/// Why an attempt was refused before any work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Too many password checks running now (503).
    Busy,
    /// This key failed too often (429).
    Throttled(Duration),
}

impl Refused {
    pub fn retry_after(self) -> Duration {
        match self {
            Refused::Busy => BUSY_RETRY,
            Refused::Throttled(d) => d,
        }
    }
}

/// A reserved attempt holding a place for argon2 work. Dropped without [`Attempt::succeeded`],
/// it counts as a failure.
#[derive(Debug)]
pub struct Attempt<'a> {
    permit: Option<OwnedSemaphorePermit>,
    reservation: Option<Reservation<'a>>,
}

/// Takes a place for argon2 work, then reserves an attempt for `key`; refuses at once when
/// either is not available.
pub fn begin<'a>(
    gate: &PasswordGate,
    throttle: &'a LoginThrottle,
    key: &Key,
) -> Result<Attempt<'a>, Refused> {
    let permit = gate
        .permits
        .clone()
        .try_acquire_owned()
        .map_err(|_| Refused::Busy)?;
    let reservation = throttle.reserve(key).map_err(Refused::Throttled)?;
    Ok(Attempt {
        permit: Some(permit),
        reservation: Some(reservation),
    })
}

impl Attempt<'_> {
    /// Verifies `password` against a stored hash (`None`: a dummy check that costs the same).
    /// Does not settle the reservation: call [`Attempt::succeeded`] or [`Attempt::failed`].
    pub async fn verify(&mut self, password: String, stored: Option<String>) -> bool {
        self.blocking(move || password::verify_blocking(&password, stored.as_deref()))
            .await
            .unwrap_or(false)
    }

    /// Hashes a new password with the place this attempt holds.
    pub async fn hash(&mut self, password: String) -> Result<String, String> {
        self.blocking(move || password::hash_blocking(&password))
            .await
            .unwrap_or_else(|| Err("password hashing task failed".into()))
    }

    /// The check passed: the reservation is given back.
    pub fn succeeded(&mut self) {
        if let Some(r) = self.reservation.take() {
            r.succeeded();
        }
    }

    /// The check failed: the reservation stays counted.
    pub fn failed(&mut self) {
        if let Some(r) = self.reservation.take() {
            r.failed();
        }
    }

    async fn blocking<T: Send + 'static>(
        &mut self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let permit = self.permit.take();
        let (out, permit) = tokio::task::spawn_blocking(move || (f(), permit))
            .await
            .ok()?;
        self.permit = permit;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_at_once_when_every_place_is_taken() {
        let gate = PasswordGate::default();
        let throttle = LoginThrottle::default();
        let mut held = Vec::new();
        for i in 0..CONCURRENT_HASHES {
            held.push(begin(&gate, &throttle, &Key::Reauth(i as i64)).unwrap());
        }
        let refused = begin(&gate, &throttle, &Key::Reauth(99)).unwrap_err();
        assert_eq!(refused, Refused::Busy);
        assert_eq!(refused.retry_after(), BUSY_RETRY);
        drop(held);
        assert!(begin(&gate, &throttle, &Key::Reauth(99)).is_ok());
    }

    #[tokio::test]
    async fn a_wrong_password_counts_and_a_right_one_is_given_back() {
        let gate = PasswordGate::default();
        let throttle = LoginThrottle::default();
        let key = Key::user("admin");
        let mut a = begin(&gate, &throttle, &key).unwrap();
        let stored = a.hash("correct horse battery".into()).await.unwrap();
        assert!(
            a.verify("correct horse battery".into(), Some(stored.clone()))
                .await
        );
        a.succeeded();
        drop(a);
        for _ in 1..super::super::throttle::FREE_FAILURES {
            let mut a = begin(&gate, &throttle, &key).unwrap();
            assert!(!a.verify("wrong".into(), Some(stored.clone())).await);
            a.failed();
        }
        // the fifth is let through and counted at once: a sixth is refused while it runs
        let _fifth = begin(&gate, &throttle, &key).unwrap();
        assert!(matches!(
            begin(&gate, &throttle, &key),
            Err(Refused::Throttled(_))
        ));
    }
}
