//! POSIX-like word splitting of `command`/`entrypoint` strings, like `github.com/google/shlex`
//! `Split` (used by `cli/compose/loader/loader.go` `transformShellCommand`): single quotes are
//! literal, double quotes allow backslash escapes, a backslash escapes the next character, and
//! a `#` at the start of a word starts a comment up to the end of the line. No expansion.

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

/// Splits `s` into words; errors carry shlex's messages.
pub fn split(s: &str) -> Result<Vec<String>, String> {
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
                None => return Err("EOF found after escape character".into()),
                Some(ch) => {
                    word.push(ch);
                    state = State::InWord;
                }
            },
            State::EscapingQuoted => match c {
                None => return Err("EOF found after escape character".into()),
                Some(ch) => {
                    word.push(ch);
                    state = State::QuotingEscaping;
                }
            },
            State::QuotingEscaping => match c {
                None => return Err("EOF found when expecting closing quote".into()),
                Some('"') => state = State::InWord,
                Some('\\') => state = State::EscapingQuoted,
                Some(ch) => word.push(ch),
            },
            State::Quoting => match c {
                None => return Err("EOF found when expecting closing quote".into()),
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

#[cfg(test)]
mod tests;
