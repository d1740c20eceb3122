//! Service logs through the manager: the whole service (every task on every node) or one
//! task, with the timestamp and the task each line came from.

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::docker::{DockerError, raw};

/// Most lines asked of Docker at once (`tail`).
pub const MAX_TAIL: u64 = 100_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogLine {
    pub stderr: bool,
    /// RFC 3339 with nanoseconds, as Docker sends it
    pub timestamp: String,
    pub task_id: String,
    pub node_id: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// the last N lines (None: all)
    pub tail: Option<u64>,
    /// keep the stream open for new lines
    pub follow: bool,
    /// only this task
    pub task: Option<String>,
}

/// `2026-11-25T18:31:24.26Z com.docker.swarm.node.id=n,…,com.docker.swarm.task.id=t hello`
/// (timestamps and details on), split into its parts.
pub fn parse_line(raw: &str, stderr: bool) -> LogLine {
    let mut line = LogLine {
        stderr,
        ..Default::default()
    };
    let mut rest = raw;
    if let Some((ts, r)) = rest.split_once(' ')
        && ts.len() >= 20
        && ts.as_bytes()[4] == b'-'
        && ts.contains('T')
    {
        line.timestamp = ts.to_string();
        rest = r;
    }
    if let Some(r) = rest.strip_prefix(' ') {
        // details on, but no attributes
        rest = r;
    } else if rest.starts_with("com.docker.swarm.")
        && let Some((attrs, r)) = rest.split_once(' ').or(Some((rest, "")))
    {
        for kv in attrs.split(',') {
            match kv.split_once('=') {
                Some(("com.docker.swarm.task.id", v)) => line.task_id = v.to_string(),
                Some(("com.docker.swarm.node.id", v)) => line.node_id = v.to_string(),
                _ => {}
            }
        }
        rest = r;
    }
    line.text = rest.to_string();
    line
}

/// The log lines of a service (or of one of its tasks), oldest first; endless with `follow`.
pub fn stream(
    docker: &Docker,
    service_id: &str,
    q: &LogQuery,
) -> BoxStream<'static, Result<LogLine, DockerError>> {
    let target = q.task.clone().unwrap_or_else(|| service_id.to_string());
    if !super::is_plain_ref(&target) {
        return stream::once(async move {
            Err(DockerError::NotFound(format!(
                "no such task or service: {target}"
            )))
        })
        .boxed();
    }
    let client = raw::with_log_details(docker);
    let opts = LogsOptions {
        follow: q.follow,
        stdout: true,
        stderr: true,
        timestamps: true,
        tail: q
            .tail
            .map(|n| n.min(MAX_TAIL).to_string())
            .unwrap_or_else(|| "all".into()),
        ..Default::default()
    };
    let frames = if q.task.is_some() {
        client.task_logs(&target, Some(opts)).boxed()
    } else {
        client.service_logs(&target, Some(opts)).boxed()
    };
    frames
        .flat_map(|frame| {
            let lines: Vec<Result<LogLine, DockerError>> = match frame {
                Ok(out) => {
                    let (stderr, bytes) = match out {
                        LogOutput::StdErr { message } => (true, message),
                        LogOutput::StdOut { message }
                        | LogOutput::Console { message }
                        | LogOutput::StdIn { message } => (false, message),
                    };
                    String::from_utf8_lossy(&bytes)
                        .split('\n')
                        .filter(|l| !l.is_empty())
                        .map(|l| Ok(parse_line(l.trim_end_matches('\r'), stderr)))
                        .collect()
                }
                Err(e) => vec![Err(DockerError::from(e))],
            };
            stream::iter(lines)
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_timestamp_and_details() {
        let l = parse_line(
            "2026-11-25T18:31:24.263959869Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello world",
            false,
        );
        assert_eq!(l.timestamp, "2026-11-25T18:31:24.263959869Z");
        assert_eq!((l.node_id.as_str(), l.task_id.as_str()), ("n1", "t1"));
        assert_eq!(l.text, "hello world");
        let empty = parse_line("2026-11-25T18:31:24.26Z  <b>x</b>", true);
        assert_eq!(empty.text, "<b>x</b>");
        assert!(empty.stderr && empty.task_id.is_empty());
        let plain = parse_line("just text a=b", false);
        assert_eq!(plain.text, "just text a=b");
        assert!(plain.timestamp.is_empty());
    }
}
