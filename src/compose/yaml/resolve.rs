//! Scalar resolution of untagged and tagged plain scalars, like yaml.v3 `resolve.go`.

use super::Kind;

/// Resolves an explicitly tagged (`!!int`, `!!bool`, …) scalar like yaml.v3 `resolve`.
pub(crate) fn resolve_tagged(tag: &str, value: &str) -> Result<Kind, String> {
    let resolved = resolve_plain(value);
    let rtag = match &resolved {
        Kind::Null => "null",
        Kind::Bool(_) => "bool",
        Kind::Int(_) | Kind::Uint(_) => "int",
        Kind::Float(_) => "float",
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
        "timestamp" | "merge" => Ok(Kind::Str(value.to_string())),
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
            if looks_like_timestamp(s) {
                return Kind::Str(s.to_string());
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

/// Whether yaml.v3 would read `s` as a timestamp (`resolve.go` `parseTimestamp`: the layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`, `2006-1-2`).
pub fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, min: usize, max: usize| -> Option<(u32, usize)> {
        let n = b[from.min(b.len())..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let v = s[from..from + n].parse().ok()?;
        Some((v, from + n))
    };
    if b.len() < 8 || b[..4].iter().any(|c| !c.is_ascii_digit()) || b[4] != b'-' {
        return false;
    }
    let Ok(year) = s[..4].parse::<u32>() else {
        return false;
    };
    let Some((month, i)) = digits(5, 1, 2) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    let Some((day, mut i)) = digits(i + 1, 1, 2) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day < 1 || day > days {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zone_required = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    let time = |i: usize| -> Option<usize> {
        let (h, i) = digits(i, 1, 2)?;
        if b.get(i) != Some(&b':') || h > 23 {
            return None;
        }
        let (m, i) = digits(i + 1, 1, 2)?;
        if b.get(i) != Some(&b':') || m > 59 {
            return None;
        }
        let (sec, mut i) = digits(i + 1, 1, 2)?;
        if sec > 59 {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            i += 1 + n;
        }
        Some(i)
    };
    let Some(end) = time(i + 1) else {
        return false;
    };
    i = end;
    if !zone_required {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = &s[i + 1..];
            rest.len() == 5
                && rest.as_bytes()[2] == b':'
                && rest[..2].bytes().all(|c| c.is_ascii_digit())
                && rest[3..].bytes().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
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
