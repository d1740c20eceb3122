//! Small re-implementations of Go standard-library behaviour the CLI's messages and output
//! depend on: `strconv.Quote`, `%v` of floats, `time.ParseDuration`/`Duration.String`,
//! `strconv.Atoi`/`ParseFloat` errors, and `fmt.Sprint` of decoded YAML values. The parsers and
//! `strconv.Quote` live in [`crate::syntax`] (the service forms use them too); they are
//! re-exported here for the loader.

pub use crate::syntax::duration::{duration_string, parse_duration};
pub use crate::syntax::strconv::{atoi, go_quote, parse_float};

use super::yaml::{Kind, Node};

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

#[cfg(test)]
mod tests;
