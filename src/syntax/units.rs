//! Sizes and CPUs: go-units `RAMInBytes` (`docker/go-units/size.go`: compose `mem_limit`,
//! `--limit-memory`, tmpfs sizes) and `opts.ParseCPUs` (`opts/opts.go`, an exact `big.Rat` × 1e9:
//! compose `cpus`, `--limit-cpu`), and both formatted back exactly.

/// go-units `RAMInBytes`: binary multiples (`50M` = 52 428 800), suffixes k/m/g/t/p with an
/// optional `b`/`ib`, case-insensitive; errors carry go-units' messages.
pub fn ram_in_bytes(size: &str) -> Result<i64, String> {
    let Some(sep) = size.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ') else {
        return Err(format!("invalid size: '{size}'"));
    };
    let (num, sfx) = if size.as_bytes()[sep] != b' ' {
        (&size[..=sep], &size[sep + 1..])
    } else {
        (&size[..sep], &size[sep + 1..])
    };
    let value: f64 = parse_go_float(num)?;
    if value < 0.0 {
        return Err(format!("invalid size: '{size}'"));
    }
    if sfx.is_empty() {
        return Ok(value as i64);
    }
    let bad = |s: &str| Err(format!("invalid suffix: '{s}'"));
    if sfx.len() > 3 {
        return bad(sfx);
    }
    let lower = sfx.to_lowercase();
    let b = lower.as_bytes();
    if b[0] == b'b' {
        if b.len() > 1 {
            return bad(&lower);
        }
        return Ok(value as i64);
    }
    let mul: f64 = match b[0] {
        b'k' => 1024.0,
        b'm' => 1024.0 * 1024.0,
        b'g' => 1024.0 * 1024.0 * 1024.0,
        b't' => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        b'p' => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return bad(&lower),
    };
    if (b.len() == 2 && b[1] != b'b') || (b.len() == 3 && &lower[1..] != "ib") {
        return bad(&lower);
    }
    Ok((value * mul) as i64)
}

fn parse_go_float(num: &str) -> Result<f64, String> {
    super::strconv::parse_float(num)
}

/// `opts.ParseCPUs`: the value as an exact rational times 1e9, which must be an integer.
/// Accepts decimals with an optional exponent and `a/b` fractions (no `0x` forms).
pub fn parse_cpus(value: &str) -> Result<i64, String> {
    let fail = || format!("failed to parse {value} as a rational number");
    let (num, den) = parse_rat(value).ok_or_else(fail)?;
    // nano = num * 1e9 / den must be an integer
    let scaled = num.checked_mul(1_000_000_000).ok_or_else(fail)?;
    if den == 0 {
        return Err(fail());
    }
    if scaled % den != 0 {
        return Err("value is too precise".into());
    }
    let nano = scaled / den;
    Ok(nano as i64)
}

/// Nano-CPUs as the shortest exact decimal: `500000000` → `0.5`, `2000000000` → `2`.
pub fn format_cpus(nano: i64) -> String {
    let sign = if nano < 0 { "-" } else { "" };
    let n = nano.unsigned_abs();
    let (int, frac) = (n / 1_000_000_000, n % 1_000_000_000);
    if frac == 0 {
        format!("{sign}{int}")
    } else {
        let frac = format!("{frac:09}");
        format!("{sign}{int}.{}", frac.trim_end_matches('0'))
    }
}

/// The exact size in the largest binary unit that divides it: `64MiB`, `1536KiB`, `1000B`
/// (what [`ram_in_bytes`] reads back to the same number).
pub fn format_bytes(n: i64) -> String {
    const UNITS: [(&str, i64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (u, m) in UNITS {
        if n >= m && n % m == 0 {
            return format!("{}{u}", n / m);
        }
    }
    format!("{n}B")
}

/// Parses a `big.Rat` string into numerator/denominator (denominator > 0).
fn parse_rat(s: &str) -> Option<(i128, i128)> {
    if let Some((a, b)) = s.split_once('/') {
        let n = parse_dec_int(a)?;
        if b.starts_with(['+', '-']) {
            return None;
        }
        let d = parse_dec_int(b)?;
        if d == 0 {
            return None;
        }
        return Some((n, d));
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    if ip.is_empty() && fp.is_empty() {
        return None;
    }
    if !ip.bytes().all(|c| c.is_ascii_digit()) || !fp.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut exp10: i64 = match exp {
        None => 0,
        Some(e) => {
            let (eneg, ed) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if ed.is_empty() || !ed.bytes().all(|c| c.is_ascii_digit()) || ed.len() > 6 {
                return None;
            }
            let v: i64 = ed.parse().ok()?;
            if eneg { -v } else { v }
        }
    };
    let digits = format!("{ip}{fp}");
    let digits = digits.trim_start_matches('0');
    exp10 -= fp.len() as i64;
    if digits.len() > 30 {
        return None;
    }
    let mut n: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut d: i128 = 1;
    if exp10 >= 0 {
        if exp10 > 30 {
            return if n == 0 { Some((0, 1)) } else { None };
        }
        n = n.checked_mul(10i128.checked_pow(exp10 as u32)?)?;
    } else {
        if -exp10 > 30 {
            return if n == 0 {
                Some((0, 1))
            } else {
                Some((n, i128::MAX))
            };
        }
        d = 10i128.checked_pow((-exp10) as u32)?;
    }
    if neg {
        n = -n;
    }
    Some((n, d))
}

fn parse_dec_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() || body.len() > 30 || !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i128 = body.parse().ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests;
