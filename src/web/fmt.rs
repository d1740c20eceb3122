//! Small formatting helpers for templates.

/// 1536 → "1.5 KiB"; binary units like docker's.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n.max(0) as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", n.max(0))
    } else if v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// 2.0 → "2", 0.25 → "0.25"
pub fn cpus(c: f64) -> String {
    let s = format!("{c:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Unix milliseconds as RFC 3339 in UTC ("" when out of range).
pub fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// 12.345 → "12.3 %"
pub fn percent(p: f64) -> String {
    if p >= 100.0 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(8 * 1024 * 1024 * 1024), "8.0 GiB");
        assert_eq!(cpus(2.0), "2");
        assert_eq!(cpus(0.25), "0.25");
    }
}
