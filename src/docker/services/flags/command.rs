//! The command after the image, split into words the way the CLI splits `--entrypoint` and
//! compose `command:` ([`crate::syntax::shlex`]: quotes and backslashes, `#` comments, no
//! expansion), and joined back.

use crate::syntax::shlex::{self, SplitError};

/// Splits a command line into words; errors say which quote is left open.
pub fn split_command(s: &str) -> Result<Vec<String>, String> {
    shlex::split(s).map_err(|e| match e {
        SplitError::UnclosedQuote(q) => format!("the command has an unclosed {q} quote"),
        SplitError::TrailingEscape => "the command ends with a lone backslash".into(),
    })
}

/// Joins words back into a command line that [`split_command`] reads as the same words.
pub fn join_command(words: &[String]) -> String {
    shlex::quote(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn commands_split_like_the_cli() {
        assert_eq!(
            split_command(r#"sh -c 'echo hello; exec sleep 3600'"#).unwrap(),
            v(&["sh", "-c", "echo hello; exec sleep 3600"])
        );
        assert_eq!(
            split_command(r#"echo "a \"b\"" c\ d ''"#).unwrap(),
            v(&["echo", "a \"b\"", "c d", ""])
        );
        assert_eq!(
            split_command("echo 'oops").unwrap_err(),
            "the command has an unclosed ' quote"
        );
        assert_eq!(
            split_command("echo \"oops").unwrap_err(),
            "the command has an unclosed \" quote"
        );
        assert_eq!(
            split_command("echo \\").unwrap_err(),
            "the command ends with a lone backslash"
        );
        let words = v(&["sh", "-c", "echo it's $HOME", ""]);
        assert_eq!(split_command(&join_command(&words)).unwrap(), words);
    }
}
