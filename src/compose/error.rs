//! The one error type of the compose module.
//!
//! Every error keeps the docker CLI's text in [`ComposeError::message`] (so parity tests can
//! compare it verbatim) and, where it can be known, the file, the 1-based line and column of
//! the offending node (or of its parent when the node is missing) and the dotted key path.

use std::fmt;

/// A 1-based position in a compose file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub fn new(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }
}

/// Where a node came from: file name plus position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as given in [`super::ComposeFile::name`].
    pub file: String,
    /// Position inside that file.
    pub pos: Pos,
}

/// An error from loading, validating or converting compose files.
///
/// `Display` renders `file:line:column: message` (the location parts that are known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError {
    /// File name (as given by the caller), when known.
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// Dotted key path of the offending node, e.g. `services.web.deploy.replicas`.
    pub path: Option<String>,
    /// The docker CLI's message, verbatim.
    pub message: String,
}

impl ComposeError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> ComposeError {
        ComposeError {
            file: None,
            line: None,
            column: None,
            path: None,
            message: message.into(),
        }
    }

    /// Sets the key path.
    pub fn with_path(mut self, path: impl Into<String>) -> ComposeError {
        self.path = Some(path.into());
        self
    }

    /// Sets the location (file and position) unless one is already set.
    pub fn at(mut self, loc: Option<&Location>) -> ComposeError {
        if self.file.is_none()
            && let Some(loc) = loc
        {
            self.file = Some(loc.file.clone());
            if loc.pos.line > 0 {
                self.line = Some(loc.pos.line);
                self.column = Some(loc.pos.column);
            }
        }
        self
    }

    /// Sets file and position unless a file is already set.
    pub fn at_pos(mut self, file: &str, pos: Pos) -> ComposeError {
        if self.file.is_none() {
            self.file = Some(file.to_string());
            if pos.line > 0 {
                self.line = Some(pos.line);
                self.column = Some(pos.column);
            }
        }
        self
    }

    /// Sets the file only (no position) unless a file is already set.
    pub fn in_file(mut self, file: &str) -> ComposeError {
        if self.file.is_none() {
            self.file = Some(file.to_string());
        }
        self
    }
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}:")?;
            if let Some(line) = self.line {
                write!(f, "{line}:")?;
                if let Some(col) = self.column {
                    write!(f, "{col}:")?;
                }
            }
            write!(f, " ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ComposeError {}

/// Puts a YAML position on an error (positions at line 0 are unknown and left out).
pub(crate) trait WithPos {
    fn with_pos(self, pos: Pos) -> ComposeError;
}

impl WithPos for ComposeError {
    fn with_pos(mut self, pos: Pos) -> ComposeError {
        if pos.line > 0 {
            self.line = Some(pos.line);
            self.column = Some(pos.column);
        }
        self
    }
}

#[cfg(test)]
mod tests;
