//! Secrets at rest: values berth must keep but never store in the clear (stack env values and
//! uploaded files; next registry credentials and API tokens) are sealed with
//! XChaCha20-Poly1305 (RustCrypto) under a 256-bit key that is not in the database.
//!
//! The key comes from a file: BERTH_SECRET_KEY_FILE (a Docker secret) when given, else
//! `secret.key` in the data directory, created on first start with mode 0600. Each value gets
//! its own random 192-bit nonce; the sealed text is `v1:` + base64(nonce ‖ ciphertext ‖ tag), so
//! a later scheme can live next to it. The purpose (e.g. `stack env`) is bound as associated
//! data: a sealed value cannot be moved to another column. Opening with a wrong key or damaged
//! data fails with an error, never garbage.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const V1: &str = "v1:";
/// Name of the key file created in the data directory when no key file is given.
pub const KEY_FILE_NAME: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the secret key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error(
        "the secret key file {0} is not a key: expected 32 random bytes as base64 (44 characters, \
         e.g. `openssl rand -base64 32`) or hex (64 characters)"
    )]
    BadKey(PathBuf),
    #[error(
        "a sealed {purpose} has an unknown format (not `v1:`): is this berth older than the data?"
    )]
    UnknownFormat { purpose: String },
    #[error(
        "cannot decrypt a sealed {purpose}: the secret key is not the one it was sealed with, \
         or the data is damaged"
    )]
    WrongKeyOrDamaged { purpose: String },
}

/// Seals and opens values with one key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// Where the key came from (for error messages).
    pub source: PathBuf,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    pub fn from_key(key: [u8; KEY_LEN], source: PathBuf) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(&Key::from(key)),
            source,
        }
    }

    /// Seals `plain` for `purpose` with a fresh random nonce.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: purpose.as_bytes(),
                },
            )
            // XChaCha20-Poly1305 fails only beyond 256 GiB per message
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{V1}{}", B64.encode(out))
    }

    /// Opens a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SecretError> {
        let body = sealed
            .strip_prefix(V1)
            .ok_or_else(|| SecretError::UnknownFormat {
                purpose: purpose.into(),
            })?;
        let damaged = || SecretError::WrongKeyOrDamaged {
            purpose: purpose.into(),
        };
        let raw = B64.decode(body).map_err(|_| damaged())?;
        if raw.len() < NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| damaged())?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| damaged())
    }

    /// Opens a value sealed from UTF-8 text.
    pub fn open_text(&self, purpose: &str, sealed: &str) -> Result<String, SecretError> {
        String::from_utf8(self.open(purpose, sealed)?).map_err(|_| SecretError::WrongKeyOrDamaged {
            purpose: purpose.into(),
        })
    }
}

/// Reads the key from `given` (BERTH_SECRET_KEY_FILE) or from `secret.key` in `data_dir`.
/// The data-directory file is created (mode 0600) only when `may_create` is true: a database
/// that already holds sealed values must never get a fresh key silently.
pub fn load_key(
    given: Option<&Path>,
    data_dir: &Path,
    may_create: bool,
) -> Result<Sealer, SecretError> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => data_dir.join(KEY_FILE_NAME),
    };
    let key_file = |reason: String| SecretError::KeyFile {
        path: path.clone(),
        reason,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = parse_key(&text).ok_or_else(|| SecretError::BadKey(path.clone()))?;
            Ok(Sealer::from_key(key, path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && given.is_none() && may_create => {
            let mut key = [0u8; KEY_LEN];
            rand::rng().fill_bytes(&mut key);
            write_new_key(&path, &key).map_err(|e| key_file(format!("cannot create it: {e}")))?;
            tracing::info!(
                "created the secret key {} (mode 0600): keep it with backups of the database, which cannot be read without it",
                path.display()
            );
            Ok(Sealer::from_key(key, path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && given.is_none() => Err(key_file(
            "it is missing, and the database holds values sealed with it: restore the file \
             (or give it with BERTH_SECRET_KEY_FILE)"
                .into(),
        )),
        Err(e) => Err(key_file(e.to_string())),
    }
}

fn write_new_key(path: &Path, key: &[u8; KEY_LEN]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    writeln!(f, "{}", B64.encode(key))?;
    f.sync_all()
}

/// A key as base64 (44 characters) or hex (64 characters), surrounding whitespace ignored.
/// Whether `text` is a key as a key file holds it.
pub fn is_key(text: &str) -> bool {
    parse_key(text).is_some()
}

fn parse_key(text: &str) -> Option<[u8; KEY_LEN]> {
    let t = text.trim();
    let bytes = if t.len() == 2 * KEY_LEN && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..KEY_LEN)
            .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        B64.decode(t).ok()?
    };
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(b: u8) -> Sealer {
        Sealer::from_key([b; KEY_LEN], PathBuf::from("test"))
    }

    #[test]
    fn sealed_values_open_with_the_same_key_and_purpose_only() {
        let s = sealer(1);
        let a = s.seal("stack env", b"PASSWORD=hunter2");
        let b = s.seal("stack env", b"PASSWORD=hunter2");
        assert!(a.starts_with("v1:") && !a.contains("hunter2"));
        assert_ne!(a, b, "a fresh nonce per value");
        assert_eq!(s.open("stack env", &a).unwrap(), b"PASSWORD=hunter2");
        assert!(matches!(
            sealer(2).open("stack env", &a),
            Err(SecretError::WrongKeyOrDamaged { .. })
        ));
        assert!(matches!(
            s.open("stack files", &a),
            Err(SecretError::WrongKeyOrDamaged { .. })
        ));
        assert!(matches!(
            s.open("stack env", "PASSWORD=hunter2"),
            Err(SecretError::UnknownFormat { .. })
        ));
        let mut damaged = a.clone();
        damaged.pop();
        damaged.push('A');
        assert!(s.open("stack env", &damaged).is_err());
        assert!(s.open("stack env", "v1:AAAA").is_err());
    }

    #[test]
    fn keys_are_read_as_base64_or_hex() {
        assert_eq!(
            parse_key(&format!("{}\n", B64.encode([7u8; 32]))),
            Some([7u8; 32])
        );
        assert_eq!(parse_key(&"0a".repeat(32)), Some([10u8; 32]));
        assert_eq!(parse_key("short"), None);
        assert_eq!(parse_key(&B64.encode([7u8; 16])), None);
    }

    #[test]
    fn a_missing_key_is_created_once_with_mode_0600_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_key(None, dir.path(), false),
            Err(SecretError::KeyFile { .. })
        ));
        let first = load_key(None, dir.path(), true).unwrap();
        let sealed = first.seal("p", b"x");
        let path = dir.path().join(KEY_FILE_NAME);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_key(None, dir.path(), true).unwrap();
        assert_eq!(again.open("p", &sealed).unwrap(), b"x");
        let given = dir.path().join("given");
        assert!(
            load_key(Some(&given), dir.path(), true).is_err(),
            "a given file must exist"
        );
        std::fs::write(&given, "not a key").unwrap();
        assert!(matches!(
            load_key(Some(&given), dir.path(), true),
            Err(SecretError::BadKey(_))
        ));
    }
}
