//! Small re-implementations of Go standard-library behaviour the CLI's messages and output
//! depend on: `strconv.Quote`, `%v` of floats, `time.ParseDuration`/`Duration.String`,
//! `strconv.Atoi`/`ParseFloat` errors, and `fmt.Sprint` of decoded YAML values.

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

/// The `time` package's own quoting (used in duration errors).
fn time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Go `time.ParseDuration`, returning nanoseconds or Go's error text.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    const LIMIT: u64 = 1 << 63;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // leading int
        let mut i = 0;
        let mut v: u64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(b[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let start = i;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(b[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > start;
        }
        if !pre && !post {
            return Err(invalid());
        }
        s = &s[i..];
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map(|(j, _)| j)
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                time_quote(orig)
            ));
        }
        let unit_str = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_str {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(unit_str),
                    time_quote(orig)
                ));
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total = total.saturating_add(v);
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    if total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// Go `time.Duration.String`.
pub fn duration_string(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out: Vec<u8> = Vec::new(); // built reversed
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".into();
        }
        out.push(b's');
        let prec;
        if u < 1_000 {
            prec = 0;
            out.push(b'n');
        } else if u < 1_000_000 {
            prec = 3;
            // "µ" (U+00B5) reversed bytes
            out.push(0xb5);
            out.push(0xc2);
        } else {
            prec = 6;
            out.push(b'm');
        }
        u = fmt_frac(&mut out, u, prec);
        fmt_int(&mut out, u);
    } else {
        out.push(b's');
        u = fmt_frac(&mut out, u, 9);
        fmt_int(&mut out, u % 60);
        u /= 60;
        if u > 0 {
            out.push(b'm');
            fmt_int(&mut out, u % 60);
            u /= 60;
            if u > 0 {
                out.push(b'h');
                fmt_int(&mut out, u);
            }
        }
    }
    if neg {
        out.push(b'-');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn fmt_frac(out: &mut Vec<u8>, mut v: u64, prec: usize) -> u64 {
    let mut print = false;
    for _ in 0..prec {
        let digit = v % 10;
        print = print || digit != 0;
        if print {
            out.push(b'0' + digit as u8);
        }
        v /= 10;
    }
    if print {
        out.push(b'.');
    }
    v
}

fn fmt_int(out: &mut Vec<u8>, mut v: u64) {
    if v == 0 {
        out.push(b'0');
        return;
    }
    while v > 0 {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
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
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_go() {
        assert_eq!(format_float(2.5), "2.5");
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(123456.0), "123456");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(-1.5e-7), "-1.5e-07");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float32(0.3), "0.3");
        assert_eq!(format_float32(0.1), "0.1");
    }

    #[test]
    fn durations_round_trip_like_go() {
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(
            parse_duration("10"),
            Err("time: missing unit in duration \"10\"".into())
        );
        assert_eq!(
            parse_duration("1d"),
            Err("time: unknown unit \"d\" in duration \"1d\"".into())
        );
        assert_eq!(
            parse_duration(""),
            Err("time: invalid duration \"\"".into())
        );
        assert_eq!(parse_duration("-1s"), Ok(-1_000_000_000));
        assert_eq!(duration_string(90_000_000_000), "1m30s");
        assert_eq!(duration_string(60_000_000_000), "1m0s");
        assert_eq!(duration_string(3_600_000_000_000), "1h0m0s");
        assert_eq!(duration_string(120_000_000_000), "2m0s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(duration_string(1_500), "1.5µs");
        assert_eq!(duration_string(0), "0s");
        assert_eq!(duration_string(10_000_000_000), "10s");
        assert_eq!(duration_string(-1_500_000_000), "-1.5s");
    }

    #[test]
    fn atoi_and_parse_float_errors() {
        assert_eq!(atoi("12"), Ok(12));
        assert_eq!(atoi("-3"), Ok(-3));
        assert_eq!(
            atoi("abc"),
            Err("strconv.Atoi: parsing \"abc\": invalid syntax".into())
        );
        assert_eq!(
            atoi("99999999999999999999"),
            Err("strconv.Atoi: parsing \"99999999999999999999\": value out of range".into())
        );
        assert_eq!(parse_float("0.5"), Ok(0.5));
        assert_eq!(
            parse_float("x"),
            Err("strconv.ParseFloat: parsing \"x\": invalid syntax".into())
        );
    }

    #[test]
    fn quote_like_go() {
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(go_quote("é"), "\"é\"");
    }
}
