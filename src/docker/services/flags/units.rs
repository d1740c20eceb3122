//! CPUs, sizes and durations as the service form takes them: the CLI's own parsers
//! ([`crate::syntax`]), with friendlier messages and the form's limits (no zero CPUs or sizes,
//! no negative durations), and the same formatting back.

use crate::syntax::{duration, units};

pub use crate::syntax::units::{format_bytes, format_cpus};

/// `--limit-cpu 0.5`, `1/2`, `5e-1` → 500 000 000 nano-CPUs, exactly (`opts.ParseCPUs`).
pub fn parse_cpus(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not a number of CPUs (e.g. 0.5, 2 or 1/2)");
    let n = units::parse_cpus(s).map_err(|e| {
        if e == "value is too precise" {
            format!("{s:?} is more precise than a billionth of a CPU")
        } else {
            bad()
        }
    })?;
    match n {
        0 => Err("0 CPUs: leave the field empty for no limit".into()),
        n if n < 0 => Err(bad()),
        n => Ok(n),
    }
}

/// `256M`, `1.5g`, `512MiB`, `1048576`: binary units like the CLI's `--limit-memory`
/// (go-units `RAMInBytes`).
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a size (e.g. 256M, 1.5G, 512MiB)");
    match units::ram_in_bytes(t) {
        Ok(n) if (1..9_000_000_000_000_000_000).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

/// Go durations, as the CLI takes them: `5s`, `1m30s`, `500ms`, `1h` (`time.ParseDuration`).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    match duration::parse_duration(t) {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(format!("{t:?} is not a duration (e.g. 5s, 1m30s, 500ms)")),
    }
}

/// Nanoseconds as Go prints a duration: `5s`, `1m30s`, `1h0m0s`, `500ms`.
pub fn format_duration(nanos: i64) -> String {
    duration::duration_string(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_are_exact() {
        assert_eq!(parse_cpus("0.5").unwrap(), 500_000_000);
        assert_eq!(parse_cpus("2").unwrap(), 2_000_000_000);
        assert_eq!(parse_cpus(".25").unwrap(), 250_000_000);
        assert_eq!(parse_cpus("0.000000001").unwrap(), 1);
        assert!(
            parse_cpus("abc")
                .unwrap_err()
                .contains("not a number of CPUs")
        );
        assert!(parse_cpus("-1").is_err());
        assert!(
            parse_cpus("0")
                .unwrap_err()
                .contains("leave the field empty")
        );
        assert!(
            parse_cpus("0.0000000001")
                .unwrap_err()
                .contains("more precise than a billionth")
        );
        assert_eq!(format_cpus(500_000_000), "0.5");
        assert_eq!(format_cpus(2_000_000_000), "2");
        assert_eq!(format_cpus(1_250_000_000), "1.25");
    }

    #[test]
    fn cpus_take_fractions_like_limit_cpu() {
        // `docker service create --limit-cpu 1/2` (big.Rat); the form used to refuse it
        assert_eq!(parse_cpus("1/2").unwrap(), 500_000_000);
        assert_eq!(parse_cpus(" 3/4 ").unwrap(), 750_000_000);
        assert_eq!(parse_cpus("5e-1").unwrap(), 500_000_000);
        assert!(parse_cpus("1/3").unwrap_err().contains("more precise"));
        assert!(
            parse_cpus("1/0")
                .unwrap_err()
                .contains("not a number of CPUs")
        );
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(parse_bytes("64M").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("64mb").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("1.5g").unwrap(), 3 << 29);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        assert!(parse_bytes("lots").unwrap_err().contains("not a size"));
        assert!(parse_bytes("5X").is_err());
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("10000P").is_err());
        assert_eq!(format_bytes(64 << 20), "64MiB");
        assert_eq!(format_bytes(1536 << 10), "1536KiB");
        assert_eq!(format_bytes(1000), "1000B");
        assert_eq!(parse_bytes(&format_bytes(3 << 29)).unwrap(), 3 << 29);
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(parse_duration("5s").unwrap(), 5_000_000_000);
        assert_eq!(parse_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_duration("1.5h").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("0").unwrap(), 0);
        assert!(parse_duration("5").unwrap_err().contains("not a duration"));
        assert!(parse_duration("5 days").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(format_duration(90_000_000_000), "1m30s");
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(500_000_000), "500ms");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        // Go's `Duration.String`, as compose shows durations (the form used to say 1500µs)
        assert_eq!(format_duration(1_500_000), "1.5ms");
        assert_eq!(
            parse_duration(&format_duration(5_400_000_000_000)).unwrap(),
            5_400_000_000_000
        );
    }
}
