//! What berth and its agents say about consoles, one-shot commands and container logs: the
//! messages, their limits, and the command line's words.
//!
//! A console is one WebSocket from the browser to berth and one from berth to the agent; berth
//! relays frames unchanged (bounded in size, closed when idle):
//! - binary frames carry the terminal's bytes (keystrokes one way, output the other);
//! - text frames carry JSON: [`Control`] towards the agent (a resize), [`Event`] from it (the
//!   command's exit code or an error) just before it closes.

use serde::{Deserialize, Serialize};

/// Largest WebSocket message either way (a paste of 64 KiB; output comes in smaller chunks).
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Longest command line.
pub const MAX_COMMAND: usize = 4096;
/// Most log lines asked for at once.
pub const MAX_TAIL: u64 = 10_000;
/// What a console runs when no command is given: bash where the image has it, else sh.
pub const SHELL: [&str; 3] = [
    "/bin/sh",
    "-c",
    "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi",
];

/// From the browser (through berth) to the agent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Control {
    /// the terminal's new size: columns, rows
    #[serde(default)]
    pub resize: Option<[u16; 2]>,
}

/// From the agent (through berth) to the browser, last before the close.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Event {
    Exit { exit: Option<i64> },
    Error { error: String },
}

impl Event {
    pub fn error(e: impl Into<String>) -> Event {
        Event::Error { error: e.into() }
    }
}

/// A one-shot command (`POST /v1/exec/run` on the agent).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRequest {
    pub container: String,
    /// the command line (shell words, no expansion); empty is refused
    pub cmd: String,
}

/// A one-shot command's output (stdout and stderr as they came) and exit code.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    pub output: String,
    /// None when it did not finish in time or its output was cut
    pub exit_code: Option<i64>,
    pub truncated: bool,
    pub timed_out: bool,
}

/// The argv for `cmd`: its shell words (split like the CLI splits a compose `command`), or
/// [`SHELL`] when it is blank.
pub fn argv(cmd: &str) -> Result<Vec<String>, String> {
    if cmd.len() > MAX_COMMAND {
        return Err(format!(
            "the command is longer than {MAX_COMMAND} characters"
        ));
    }
    if cmd.trim().is_empty() {
        return Ok(SHELL.iter().map(|s| s.to_string()).collect());
    }
    let words = crate::syntax::shlex::split(cmd).map_err(|e| format!("the command: {e}"))?;
    if words.is_empty() {
        return Err("the command has no words".into());
    }
    Ok(words)
}

/// A container id or name as Docker writes them (no path characters).
pub fn is_container_ref(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_command_opens_a_shell_and_words_are_split_like_the_cli() {
        assert_eq!(argv("  ").unwrap_or_default()[0], "/bin/sh");
        assert_eq!(
            argv("sh -c 'echo a b'").unwrap_or_default(),
            vec!["sh", "-c", "echo a b"]
        );
        assert!(argv("echo 'open").is_err());
        assert!(argv(&"x".repeat(MAX_COMMAND + 1)).is_err());
        assert!(argv("# only a comment").is_err());
    }

    #[test]
    fn container_refs_have_no_path_characters() {
        assert!(is_container_ref("3f2a9c01d4e5"));
        assert!(is_container_ref("web.1.abc_def-x"));
        assert!(!is_container_ref(""));
        assert!(!is_container_ref("../etc"));
        assert!(!is_container_ref("a/b"));
        assert!(!is_container_ref("a?b"));
    }

    #[test]
    fn events_and_controls_read_as_plain_json() {
        let e: Event = serde_json::from_str(r#"{"exit":3}"#).unwrap_or(Event::error("x"));
        assert_eq!(e, Event::Exit { exit: Some(3) });
        assert_eq!(
            serde_json::to_string(&Event::error("no")).unwrap_or_default(),
            r#"{"error":"no"}"#
        );
        let c: Control = serde_json::from_str(r#"{"resize":[120,40]}"#).unwrap_or_default();
        assert_eq!(c.resize, Some([120, 40]));
    }
}
