//! Scalar resolution of untagged and tagged plain scalars, like yaml.v3 `resolve.go`.

use granit_parser::Tag;

use super::Kind;
use super::time::Timestamp;

/// Tag classes that matter for scalar resolution.
pub(crate) enum TagClass {
    None,
    NonSpecific,
    Core(String),
    Custom,
}

pub(crate) fn classify(tag: Option<&Tag>) -> TagClass {
    let Some(tag) = tag else {
        return TagClass::None;
    };
    if let Some(suffix) = tag.suffix_in_namespace("tag:yaml.org,2002:") {
        return TagClass::Core(suffix.into_owned());
    }
    if tag.handle() == "!" && tag.suffix().is_empty() {
        return TagClass::NonSpecific;
    }
    TagClass::Custom
}

/// Resolves an explicitly tagged (`!!int`, `!!bool`, …) scalar like yaml.v3 `resolve`.
pub(crate) fn resolve_tagged(tag: &str, value: &str) -> Result<Kind, String> {
    let resolved = resolve_plain(value);
    let rtag = match &resolved {
        Kind::Null => "null",
        Kind::Bool(_) => "bool",
        Kind::Int(_) | Kind::Uint(_) => "int",
        Kind::Float(_) => "float",
        Kind::Time(_) => "timestamp",
        _ => "str",
    };
    match tag {
        "binary" => {
            use base64::Engine as _;
            let cleaned: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .map_err(|_| "!!binary value contains invalid base64 data".to_string())?;
            Ok(Kind::Str(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "merge" => Ok(Kind::Str(value.to_string())),
        t if t == rtag => Ok(resolved),
        "float" if rtag == "int" => Ok(match resolved {
            Kind::Int(i) => Kind::Float(i as f64),
            Kind::Uint(u) => Kind::Float(u as f64),
            other => other,
        }),
        other => Err(format!("cannot decode !!{rtag} `{value}` as a !!{other}")),
    }
}

/// yaml.v3 `resolve("", s)` for an untagged plain scalar.
pub fn resolve_plain(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return Kind::Float(f);
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(ts) = Timestamp::parse(s) {
                return Kind::Time(ts);
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if let Some(i) = go_parse_int_base0(&plain) {
                return Kind::Int(i);
            }
            if let Some(u) = go_parse_uint_base0(&plain) {
                return Kind::Uint(u);
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = go_parse_float(&plain)
            {
                return Kind::Float(f);
            }
        }
        _ => {}
    }
    Kind::Str(s.to_string())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
pub(crate) fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseFloat(s, 64)` for the decimal forms yaml can reach.
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.trim_start_matches(['+', '-']);
    if body.is_empty()
        || !body.bytes().all(|c| {
            c.is_ascii_digit() || c == b'.' || c == b'e' || c == b'E' || c == b'+' || c == b'-'
        })
    {
        return None;
    }
    // Go reports a range error (and yaml.v3 then keeps the string) for overflows
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go `strconv.ParseInt(s, 0, 64)` (sign, `0x`/`0o`/`0b`, leading-zero octal).
pub fn go_parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_magnitude_base0(body)?;
    if neg {
        if mag <= (i64::MAX as u128) + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if mag <= i64::MAX as u128 {
        Some(mag as i64)
    } else {
        None
    }
}

/// Go `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn go_parse_uint_base0(s: &str) -> Option<u64> {
    let mag = parse_magnitude_base0(s)?;
    u64::try_from(mag).ok()
}

pub(crate) fn parse_magnitude_base0(body: &str) -> Option<u128> {
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() {
        return None;
    }
    let mut acc: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)? as u128;
        acc = acc.checked_mul(radix as u128)?.checked_add(d)?;
        if acc > u64::MAX as u128 + 1 {
            return None;
        }
    }
    Some(acc)
}
