//! Go `strconv`: `Quote`, and `Atoi`/`ParseFloat` with Go's error text.

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
