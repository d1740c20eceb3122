//! Mutual authentication between berth and its agents: every request and every answer is
//! signed with HMAC-SHA256 under one shared key.
//!
//! Why HMAC and not mTLS: berth already holds one secret to hand out (a Docker secret mounted
//! into every agent), the overlay network carries plain HTTP, and a signature per message needs
//! no certificate authority, no expiry to renew and no TLS handshake per agent connection.
//! A request is signed over its method, path and query, a timestamp, a random nonce and the
//! SHA-256 of its body; the agent refuses anything older or newer than [`VALIDITY`] and any
//! nonce it has already seen in that window (no replay). The answer is signed over the request's
//! nonce, its status, its own timestamp and its body, so berth believes only its agent.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How far a signed message's timestamp may be from the receiver's clock, in seconds.
pub const VALIDITY: i64 = 30;

pub const H_TIME: &str = "x-berth-time";
pub const H_NONCE: &str = "x-berth-nonce";
pub const H_SIG: &str = "x-berth-signature";

/// The shared key: 32 random bytes, kept as 64 hex digits in files and in the Docker secret.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    pub fn generate() -> Key {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Key(k)
    }

    /// Reads a key file's text: 64 hex digits, surrounding whitespace ignored.
    pub fn parse(text: &str) -> Option<Key> {
        let t = text.trim();
        if t.len() != 64 {
            return None;
        }
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(t.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Key(k))
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// A short public name for the key (first 8 hex digits of its SHA-256): names the Docker
    /// secret that carries it, never reveals it.
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(self.0)[..4])
    }

    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        // HMAC takes keys of any length: new_from_slice cannot fail
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m
    }

    /// The signature of a request (hex).
    pub fn sign_request(
        &self,
        method: &str,
        path: &str,
        time: i64,
        nonce: &str,
        body: &[u8],
    ) -> String {
        let t = time.to_string();
        let h = Sha256::digest(body);
        hex(&self
            .mac(&[
                b"berth-agent-request-1",
                method.as_bytes(),
                path.as_bytes(),
                t.as_bytes(),
                nonce.as_bytes(),
                &h,
            ])
            .finalize()
            .into_bytes())
    }

    /// Checks a request's signature in constant time.
    pub fn verify_request(
        &self,
        method: &str,
        path: &str,
        time: i64,
        nonce: &str,
        body: &[u8],
        sig: &str,
    ) -> bool {
        let t = time.to_string();
        let h = Sha256::digest(body);
        let Some(sig) = unhex(sig) else { return false };
        self.mac(&[
            b"berth-agent-request-1",
            method.as_bytes(),
            path.as_bytes(),
            t.as_bytes(),
            nonce.as_bytes(),
            &h,
        ])
        .verify_slice(&sig)
        .is_ok()
    }

    /// The signature of an answer to the request that carried `nonce`.
    pub fn sign_response(&self, nonce: &str, status: u16, time: i64, body: &[u8]) -> String {
        let (s, t) = (status.to_string(), time.to_string());
        let h = Sha256::digest(body);
        hex(&self
            .mac(&[
                b"berth-agent-response-1",
                nonce.as_bytes(),
                s.as_bytes(),
                t.as_bytes(),
                &h,
            ])
            .finalize()
            .into_bytes())
    }

    pub fn verify_response(
        &self,
        nonce: &str,
        status: u16,
        time: i64,
        body: &[u8],
        sig: &str,
    ) -> bool {
        let (s, t) = (status.to_string(), time.to_string());
        let h = Sha256::digest(body);
        let Some(sig) = unhex(sig) else { return false };
        self.mac(&[
            b"berth-agent-response-1",
            nonce.as_bytes(),
            s.as_bytes(),
            t.as_bytes(),
            &h,
        ])
        .verify_slice(&sig)
        .is_ok()
    }
}

/// A fresh random nonce (128 bits, hex).
pub fn nonce() -> String {
    let mut n = [0u8; 16];
    rand::rng().fill_bytes(&mut n);
    hex(&n)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Whether a message stamped `time` is acceptable at `now`.
pub fn fresh(time: i64, now: i64) -> bool {
    (now - time).abs() <= VALIDITY
}

/// A nonce's shape: 32 lowercase hex digits.
pub fn is_nonce(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let k = Key::generate();
        let n = nonce();
        let sig = k.sign_request("GET", "/v1/containers", 100, &n, b"");
        assert!(k.verify_request("GET", "/v1/containers", 100, &n, b"", &sig));
        assert!(!k.verify_request("POST", "/v1/containers", 100, &n, b"", &sig));
        assert!(!k.verify_request("GET", "/v1/images", 100, &n, b"", &sig));
        assert!(!k.verify_request("GET", "/v1/containers", 101, &n, b"", &sig));
        assert!(!k.verify_request("GET", "/v1/containers", 100, &nonce(), b"", &sig));
        assert!(!k.verify_request("GET", "/v1/containers", 100, &n, b"x", &sig));
        assert!(!Key::generate().verify_request("GET", "/v1/containers", 100, &n, b"", &sig));
        assert!(!k.verify_request("GET", "/v1/containers", 100, &n, b"", "zz"));
    }

    #[test]
    fn an_answer_is_bound_to_its_request_and_is_not_a_request() {
        let k = Key::generate();
        let n = nonce();
        let sig = k.sign_response(&n, 200, 5, b"{}");
        assert!(k.verify_response(&n, 200, 5, b"{}", &sig));
        assert!(!k.verify_response(&nonce(), 200, 5, b"{}", &sig));
        assert!(!k.verify_response(&n, 500, 5, b"{}", &sig));
        assert!(!k.verify_response(&n, 200, 5, b"[]", &sig));
        // a response's signature never passes as a request's
        assert!(!k.verify_request("GET", "/", 5, &n, b"{}", &sig));
    }

    #[test]
    fn keys_round_trip_through_hex_and_bad_text_is_refused() {
        let k = Key::generate();
        let again = Key::parse(&format!(" {}\n", k.to_hex())).expect("parses");
        assert_eq!(again.to_hex(), k.to_hex());
        assert_eq!(k.fingerprint().len(), 8);
        assert!(Key::parse("abc").is_none());
        assert!(Key::parse(&"g".repeat(64)).is_none());
        assert!(Key::parse(&"é".repeat(32)).is_none());
    }

    #[test]
    fn stale_or_future_stamps_are_refused() {
        assert!(fresh(1000, 1000 + VALIDITY));
        assert!(!fresh(1000, 1001 + VALIDITY));
        assert!(!fresh(1001 + VALIDITY, 1000));
        assert!(is_nonce(&nonce()));
        assert!(!is_nonce("ABCDEF0123456789abcdef0123456789"));
    }
}
