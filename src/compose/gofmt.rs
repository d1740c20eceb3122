//! Small re-implementations of Go standard-library behaviour the CLI's messages and output
//! depend on: `strconv.Quote`, `%v` of floats, `time.ParseDuration`/`Duration.String`,
//! `strconv.Atoi`/`ParseFloat` errors, and `fmt.Sprint` of decoded YAML values.

mod duration;

pub use duration::{duration_string, parse_duration};

use super::yaml::{Kind, Node};

/// Go `strconv.Quote` (also what `%#v` prints for a string).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Approximation of Go `strconv.IsPrint`.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Shortest decimal digits and decimal-point position of a finite, non-zero float, like Go's
/// `strconv` shortest formatting (`digits` has no leading/trailing zeros; value = 0.digits × 10^dp).
fn shortest_digits(sci: &str) -> (String, i32) {
    // `sci` is Rust's `{:e}` rendering of a positive value: "d[.ddd]e[-]x"
    let (mant, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0').to_string();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    (digits, exp + 1)
}

fn format_g_digits(neg: bool, digits: &str, dp: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        // %e with the shortest digits
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let dpu = dp as usize;
        if dpu >= digits.len() {
            out.push_str(digits);
            for _ in digits.len()..dpu {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..dpu]);
            out.push('.');
            out.push_str(&digits[dpu..]);
        }
    }
    out
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)`, which is also `fmt.Sprint(f)`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, dp) = shortest_digits(&format!("{:e}", f.abs()));
    format_g_digits(f < 0.0, &digits, dp)
}

/// Go `strconv.FormatFloat(float64(f), 'g', -1, 32)` (yaml.v3 for `float32` fields).
pub fn format_float32(f: f32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, dp) = shortest_digits(&format!("{:e}", f.abs()));
    format_g_digits(f < 0.0, &digits, dp)
}

/// Go `fmt.Sprint` of a decoded YAML value.
pub fn go_sprint(node: &Node) -> String {
    match &node.kind {
        Kind::Null => "<nil>".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        Kind::Uint(u) => u.to_string(),
        Kind::Float(f) => format_float(*f),
        Kind::Str(s) => s.clone(),
        Kind::Time(t) => t.go_string(),
        Kind::Seq(items) => {
            let parts: Vec<String> = items.iter().map(go_sprint).collect();
            format!("[{}]", parts.join(" "))
        }
        Kind::Map(entries) => {
            let mut parts: Vec<(String, String)> = entries
                .iter()
                .map(|e| (e.key.clone(), go_sprint(&e.value)))
                .collect();
            parts.sort();
            let parts: Vec<String> = parts.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go `strconv.Atoi`, returning Go's error text.
pub fn atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(syntax());
    }
    let mut acc: i128 = 0;
    for c in digits.bytes() {
        acc = acc * 10 + i128::from(c - b'0');
        if acc > i128::from(i64::MAX) + 1 {
            return Err(range());
        }
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).map_err(|_| range())
}

/// Go `strconv.ParseFloat(s, 64)` (decimal forms, `inf`, `nan`; no hex floats).
pub fn parse_float(s: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        )
    };
    let mut cleaned = String::with_capacity(s.len());
    if s.contains('_') {
        // Go allows `_` only between digits
        let b = s.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'_' {
                let before = i > 0 && b[i - 1].is_ascii_digit();
                let after = b.get(i + 1).is_some_and(|x| x.is_ascii_digit());
                if !before || !after {
                    return Err(syntax());
                }
            } else {
                cleaned.push(c as char);
            }
        }
    } else {
        cleaned.push_str(s);
    }
    let lower = cleaned.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let special = matches!(body, "inf" | "infinity" | "nan");
    if !special
        && !body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
    {
        return Err(syntax());
    }
    if lower.len() - body.len() > 1 {
        return Err(syntax());
    }
    match cleaned.parse::<f64>() {
        Ok(f) if f.is_infinite() && !special => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        )),
        Ok(f) => Ok(f),
        Err(_) => Err(syntax()),
    }
}

#[cfg(test)]
mod tests;
