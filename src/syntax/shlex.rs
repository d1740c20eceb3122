//! POSIX-like word splitting of `command`/`entrypoint` strings, like `github.com/google/shlex`
//! `Split` (used by `cli/compose/loader/loader.go` `transformShellCommand`): single quotes are
//! literal, double quotes allow backslash escapes, a backslash escapes the next character, and
//! a `#` at the start of a word starts a comment up to the end of the line. No expansion.
//!
//! The CLI splits compose `command`/`entrypoint` strings and `docker service create --entrypoint`
//! with it; berth's service form splits its command field with it too, and [`quote`] writes
//! words back so that [`split`] reads the same words.

use std::fmt;

/// Why a string does not split, with shlex's own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// A `'` or `"` (the char) is never closed.
    UnclosedQuote(char),
    /// The text ends with a lone `\`.
    TrailingEscape,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitError::UnclosedQuote(_) => "EOF found when expecting closing quote",
            SplitError::TrailingEscape => "EOF found after escape character",
        })
    }
}

impl std::error::Error for SplitError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    InWord,
    Escaping,
    EscapingQuoted,
    QuotingEscaping,
    Quoting,
    Comment,
}

/// Splits `s` into words; errors display shlex's messages.
pub fn split(s: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut state = State::Start;
    let mut word = String::new();
    let mut chars = s.chars();
    loop {
        let c = chars.next();
        match state {
            State::Start => match c {
                None => return Ok(words),
                Some(' ' | '\t' | '\r' | '\n') => {}
                Some('"') => {
                    state = State::QuotingEscaping;
                }
                Some('\'') => {
                    state = State::Quoting;
                }
                Some('\\') => {
                    state = State::Escaping;
                }
                Some('#') => {
                    state = State::Comment;
                }
                Some(ch) => {
                    word.push(ch);
                    state = State::InWord;
                }
            },
            State::InWord => match c {
                None | Some(' ' | '\t' | '\r' | '\n') => {
                    words.push(std::mem::take(&mut word));
                    if c.is_none() {
                        return Ok(words);
                    }
                    state = State::Start;
                }
                Some('"') => state = State::QuotingEscaping,
                Some('\'') => state = State::Quoting,
                Some('\\') => state = State::Escaping,
                Some(ch) => word.push(ch),
            },
            State::Escaping => match c {
                None => return Err(SplitError::TrailingEscape),
                Some(ch) => {
                    word.push(ch);
                    state = State::InWord;
                }
            },
            State::EscapingQuoted => match c {
                None => return Err(SplitError::TrailingEscape),
                Some(ch) => {
                    word.push(ch);
                    state = State::QuotingEscaping;
                }
            },
            State::QuotingEscaping => match c {
                None => return Err(SplitError::UnclosedQuote('"')),
                Some('"') => state = State::InWord,
                Some('\\') => state = State::EscapingQuoted,
                Some(ch) => word.push(ch),
            },
            State::Quoting => match c {
                None => return Err(SplitError::UnclosedQuote('\'')),
                Some('\'') => state = State::InWord,
                Some(ch) => word.push(ch),
            },
            State::Comment => match c {
                None => return Ok(words),
                Some('\n') => {
                    word.clear();
                    state = State::Start;
                }
                Some(_) => {}
            },
        }
    }
}

/// Joins words into one line that [`split`] reads as the same words: plain words as they are,
/// others in single quotes (a `'` inside as `'\\''`).
pub fn quote(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
