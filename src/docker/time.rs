//! Docker's RFC 3339 timestamps, and ages for humans ("3 minutes ago").

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses a Docker timestamp (nanosecond RFC 3339). `None` for the zero time or garbage.
pub fn parse(ts: &str) -> Option<OffsetDateTime> {
    let t = OffsetDateTime::parse(ts, &Rfc3339).ok()?;
    (t.year() > 1).then_some(t)
}

/// Unix seconds of a Docker timestamp.
pub fn unix(ts: Option<&str>) -> Option<i64> {
    ts.and_then(parse).map(|t| t.unix_timestamp())
}

/// "12 s", "5 min", "3 h", "4 days": the age of a unix time relative to now.
pub fn age(unix_secs: i64) -> String {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    human_duration((now - unix_secs).max(0))
}

pub fn human_duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s if s < 86_400 * 2 => "1 day".to_string(),
        s => format!("{} days", s / 86_400),
    }
}

/// `2026-11-25 18:03:12 UTC`
pub fn format_utc(unix_secs: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(unix_secs) else {
        return String::new();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_timestamps() {
        assert_eq!(
            unix(Some("2026-11-25T18:00:00.123456789Z")),
            Some(1_795_629_600)
        );
        assert_eq!(unix(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(unix(Some("garbage")), None);
        assert_eq!(format_utc(1_795_629_600), "2026-11-25 18:00:00 UTC");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(5), "5 s");
        assert_eq!(human_duration(125), "2 min");
        assert_eq!(human_duration(7300), "2 h");
        assert_eq!(human_duration(90_000), "1 day");
        assert_eq!(human_duration(200_000), "2 days");
    }
}
