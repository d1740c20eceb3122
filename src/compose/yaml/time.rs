//! Unquoted timestamps, which yaml.v3 decodes into Go `time.Time` values (`resolve.go`
//! `parseTimestamp` with the layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
//! `2006-1-2 15:4:5.999999999` and `2006-1-2`). The CLI then prints them the way Go does:
//! `time.Time.String()` in labels and environment values, RFC 3339 in `x-*` extras.
//!
//! Offsets are kept as fixed zones, except a zero offset, which reads as UTC (what Go does on
//! a machine whose local zone is UTC, like the CLI in a container).

/// A parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Seconds east of UTC; `None` for UTC.
    offset: Option<i32>,
}

fn digits(b: &[u8], from: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let n = b
        .get(from..)?
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n < min {
        return None;
    }
    let mut v: u32 = 0;
    for c in &b[from..from + n] {
        v = v * 10 + u32::from(c - b'0');
    }
    Some((v, from + n))
}

impl Timestamp {
    /// Parses like yaml.v3 does (only values starting with four digits and a `-` qualify).
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 8 || b[..4].iter().any(|c| !c.is_ascii_digit()) || b[4] != b'-' {
            return None;
        }
        let (year, _) = digits(b, 0, 4, 4)?;
        let (month, i) = digits(b, 5, 1, 2)?;
        if b.get(i) != Some(&b'-') {
            return None;
        }
        let (day, i) = digits(b, i + 1, 1, 2)?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day < 1 || day > days {
            return None;
        }
        let mut ts = Timestamp {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offset: None,
        };
        if i == b.len() {
            return Some(ts);
        }
        let zone_required = match b[i] {
            b'T' | b't' => true,
            b' ' => false,
            _ => return None,
        };
        let (hour, j) = digits(b, i + 1, 1, 2)?;
        if b.get(j) != Some(&b':') || hour > 23 {
            return None;
        }
        let (minute, j) = digits(b, j + 1, 1, 2)?;
        if b.get(j) != Some(&b':') || minute > 59 {
            return None;
        }
        let (second, mut j) = digits(b, j + 1, 1, 2)?;
        if second > 59 {
            return None;
        }
        (ts.hour, ts.minute, ts.second) = (hour, minute, second);
        if b.get(j) == Some(&b'.') {
            let n = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut nanos: u32 = 0;
            for k in 0..9 {
                let d = if k < n {
                    u32::from(b[j + 1 + k] - b'0')
                } else {
                    0
                };
                nanos = nanos * 10 + d;
            }
            ts.nanos = nanos;
            j += 1 + n;
        }
        if !zone_required {
            return (j == b.len()).then_some(ts);
        }
        match b.get(j) {
            Some(b'Z') if j + 1 == b.len() => Some(ts),
            Some(sign @ (b'+' | b'-')) => {
                let (hh, k) = digits(b, j + 1, 2, 2)?;
                if b.get(k) != Some(&b':') {
                    return None;
                }
                let (mm, k) = digits(b, k + 1, 2, 2)?;
                if k != b.len() || hh > 23 || mm > 59 {
                    return None;
                }
                let secs = (hh * 3600 + mm * 60) as i32;
                let secs = if *sign == b'-' { -secs } else { secs };
                ts.offset = (secs != 0).then_some(secs);
                Some(ts)
            }
            _ => None,
        }
    }

    fn fraction(&self) -> String {
        if self.nanos == 0 {
            return String::new();
        }
        let f = format!("{:09}", self.nanos);
        format!(".{}", f.trim_end_matches('0'))
    }

    fn date_time(&self, sep: char) -> String {
        format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.fraction()
        )
    }

    fn offset_parts(&self) -> (char, i32, i32) {
        let o = self.offset.unwrap_or(0);
        let sign = if o < 0 { '-' } else { '+' };
        (sign, o.abs() / 3600, o.abs() % 3600 / 60)
    }

    /// Go `time.Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub fn go_string(&self) -> String {
        let (sign, h, m) = self.offset_parts();
        let zone = match self.offset {
            None => "UTC".to_string(),
            Some(_) => format!("{sign}{h:02}{m:02}"),
        };
        format!("{} {sign}{h:02}{m:02} {zone}", self.date_time(' '))
    }

    /// Go `time.RFC3339Nano` (how yaml.v3 and encoding/json write a `time.Time`).
    pub fn rfc3339(&self) -> String {
        match self.offset {
            None => format!("{}Z", self.date_time('T')),
            Some(_) => {
                let (sign, h, m) = self.offset_parts();
                format!("{}{sign}{h:02}:{m:02}", self.date_time('T'))
            }
        }
    }
}

/// Whether yaml.v3 would read the plain scalar `s` as a timestamp.
pub fn looks_like_timestamp(s: &str) -> bool {
    Timestamp::parse(s).is_some()
}
