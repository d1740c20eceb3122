//! First run: while no admin exists, setup needs a one-time code printed in berth's log, so a
//! fresh install reachable from the internet cannot be claimed by whoever finds it first.

use std::sync::Mutex;

use super::tokens;

#[derive(Debug, Default)]
pub struct SetupGate {
    code: Mutex<Option<String>>,
}

impl SetupGate {
    /// Creates a new code (replacing any earlier one) and returns it for the log.
    pub fn issue(&self) -> String {
        let code = tokens::setup_code();
        *self.lock() = Some(code.clone());
        code
    }

    /// Whether setup is still open (a code was issued and not used).
    pub fn is_open(&self) -> bool {
        self.lock().is_some()
    }

    /// The current code (tests read it here instead of from the log).
    pub fn current(&self) -> Option<String> {
        self.lock().clone()
    }

    /// Checks a code typed by the user; case, spaces and dashes do not matter.
    pub fn check(&self, typed: &str) -> bool {
        let guard = self.lock();
        let Some(code) = guard.as_deref() else {
            return false;
        };
        tokens::constant_time_eq(normalize(typed).as_bytes(), normalize(code).as_bytes())
    }

    /// Closes setup for good (after the admin was created).
    pub fn close(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.code.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_checked_loosely_and_closes() {
        let g = SetupGate::default();
        assert!(!g.check("anything"));
        let code = g.issue();
        assert!(g.check(&code));
        assert!(g.check(&code.to_lowercase().replace('-', " ")));
        assert!(!g.check("WRONG-CODE"));
        g.close();
        assert!(!g.check(&code));
        assert!(!g.is_open());
    }
}
