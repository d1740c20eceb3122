//! Time-based one-time codes (RFC 6238) for local accounts: 30-second steps, 6 digits, SHA-1
//! (what every authenticator app speaks), one step of clock skew either way. The code maths
//! and the `otpauth://` URI come from `totp-rs`; the QR code from `qrcode` (SVG: a rect and a
//! path with fill attributes, no style or script, so it passes berth's strict CSP inline).
//!
//! A code is usable once: the caller stores the newest accepted step and refuses any step at or
//! before it ([`crate::db::totp::use_step`] does both in one statement). Recovery codes are
//! random 60-bit words, shown once and stored as sha256 (they carry enough entropy that a slow
//! hash adds nothing).

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::tokens;

/// Seconds per step.
pub const STEP: u64 = 30;
/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Bytes of a shared secret (160 bits, RFC 4226's recommendation).
pub const SECRET_LEN: usize = 20;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Longest code field read at all (a code, or a recovery code with separators).
pub const MAX_CODE_LEN: usize = 64;
/// What authenticator apps show as the account's issuer.
pub const ISSUER: &str = "berth";

/// A new random shared secret.
pub fn new_secret() -> Vec<u8> {
    let mut buf = vec![0u8; SECRET_LEN];
    rand::rng().fill_bytes(&mut buf);
    buf
}

fn totp(secret: &[u8], account: &str) -> Result<Totp, String> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some(ISSUER))
        // a colon would split the label; berth's user names have none, but never fail on it
        .with_account_name(account.replace(':', "_"))
        .build()
        .map_err(|e| format!("cannot build a TOTP: {e}"))
}

/// The secret as authenticator apps take it typed in (base32, no padding).
pub fn secret_text(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The same in groups of four, easier to type.
pub fn secret_grouped(secret: &[u8]) -> String {
    let text = secret_text(secret);
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://totp/...` URI an app scans.
pub fn uri(secret: &[u8], account: &str) -> Result<String, String> {
    totp(secret, account)?
        .to_url()
        .map_err(|e| format!("cannot write the otpauth URI: {e}"))
}

/// The URI as an SVG QR code (no XML prolog: it goes inline into a page).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_string())
}

/// What a typed code looks like once spaces and dashes are gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// six digits
    Code(String),
    /// a recovery code, upper case, without separators
    Recovery(String),
    /// neither: refused without looking anything up
    Invalid,
}

/// Reads a typed code (at most [`MAX_CODE_LEN`] bytes are looked at).
pub fn parse(raw: &str) -> Typed {
    if raw.len() > MAX_CODE_LEN {
        return Typed::Invalid;
    }
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if s.len() == DIGITS as usize && s.bytes().all(|b| b.is_ascii_digit()) {
        return Typed::Code(s);
    }
    let up = s.to_ascii_uppercase();
    if up.len() == RECOVERY_LEN && up.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return Typed::Recovery(up);
    }
    Typed::Invalid
}

/// The step a six-digit code matches at `now` (unix seconds), within one step either way.
pub fn check(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    totp(secret, "").ok()?.check(code, now)
}

/// The code of the step that holds `time` (tests and the enrolment page's help use it).
pub fn code_at(secret: &[u8], time: u64) -> Option<String> {
    Some(totp(secret, "").ok()?.generate(time).to_string())
}

const RECOVERY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const RECOVERY_LEN: usize = 12;

/// Fresh recovery codes as shown (`XXXX-XXXX-XXXX`: 12 characters of 32, 60 bits).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut buf = [0u8; RECOVERY_LEN];
            rand::rng().fill_bytes(&mut buf);
            let chars: Vec<u8> = buf
                .iter()
                .map(|b| RECOVERY_ALPHABET[(*b as usize) % RECOVERY_ALPHABET.len()])
                .collect();
            chars
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The stored form of a recovery code (shown or typed form both work).
pub fn recovery_hash(code: &str) -> Option<Vec<u8>> {
    match parse(code) {
        Typed::Recovery(norm) => Some(tokens::hash_token(&norm)),
        _ => None,
    }
}

/// Unix seconds now.
pub fn now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1: secret "12345678901234567890"; 8-digit codes, of which six
    // digits are the last six.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        for (t, eight) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, t).unwrap(), eight[2..], "t={t}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_way_and_not_beyond() {
        let secret = new_secret();
        let now = 1_700_000_015;
        let here = now / STEP;
        for (offset, ok) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let t = (now as i64 + offset * STEP as i64) as u64;
            let code = code_at(&secret, t).unwrap();
            let got = check(&secret, &code, now);
            if ok {
                assert_eq!(got, Some((here as i64 + offset) as u64), "offset {offset}");
            } else {
                // another step's code may collide by chance (1 in a million): not this one
                assert_ne!(got, Some((here as i64 + offset) as u64), "offset {offset}");
            }
        }
        assert_eq!(check(&secret, "abcdef", now), None);
    }

    #[test]
    fn typed_codes_are_read_in_their_shapes() {
        assert_eq!(parse(" 123 456 "), Typed::Code("123456".into()));
        assert_eq!(parse("1234567"), Typed::Invalid);
        assert_eq!(
            parse("abcd-efgh-jkmn"),
            Typed::Recovery("ABCDEFGHJKMN".into())
        );
        assert_eq!(
            parse("ABCD-EFGH-JKM1"),
            Typed::Invalid,
            "1 is not in the alphabet"
        );
        assert_eq!(parse(&"2".repeat(MAX_CODE_LEN + 1)), Typed::Invalid);
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for c in &codes {
            assert_eq!(c.len(), 14);
            assert!(matches!(parse(c), Typed::Recovery(_)));
            assert_eq!(
                recovery_hash(c),
                recovery_hash(&c.to_lowercase().replace('-', " "))
            );
        }
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret_and_no_style() {
        let secret = new_secret();
        let u = uri(&secret, "ops@corp").unwrap();
        assert!(u.starts_with("otpauth://totp/"), "{u}");
        assert!(u.contains(&format!("secret={}", secret_text(&secret))));
        assert!(u.contains("issuer=berth"));
        assert_eq!(
            secret_grouped(&secret).replace(' ', ""),
            secret_text(&secret)
        );
        let svg = qr_svg(&u).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("style") && !svg.contains("script"));
    }
}
