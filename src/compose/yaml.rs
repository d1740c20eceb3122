//! YAML text → a generic tree with a source position on every node.
//!
//! Mirrors what docker/cli gets from `go.yaml.in/yaml/v3` when it unmarshals a compose file
//! into `any` (`cli/compose/loader/loader.go` `ParseYAML`):
//!
//! * only the first document is read;
//! * scalars are resolved like yaml.v3 (`resolve.go`): booleans are only
//!   `true/True/TRUE/false/False/FALSE`; `yes/no/on/off` stay strings; integers accept `0x`,
//!   `0o`, `0b` and a leading `0` means octal (`0440` → 288); `~`, `null`, empty → null;
//! * anchors, aliases and `<<` merge keys (a mapping or a list of mappings; keys written in the
//!   mapping win, then earlier merged mappings win over later ones, as in yaml.v3 `decode.go`);
//! * duplicate keys are an error (`mapping key "x" already defined at line N`);
//! * unquoted timestamps (`2001-12-14`) become [`Kind::Time`], like yaml.v3's `time.Time`.
//!
//! Built from the event stream of `granit-parser` (the pure-Rust YAML 1.2 parser that
//! serde-saphyr already uses, so it costs no extra build) because its events carry spans, which
//! gives every node a 1-based line/column without a second pass.
//!
//! Hostile input is bounded: nesting is limited to [`MAX_DEPTH`] levels and alias expansion to
//! [`MAX_NODES`] nodes in total (billion-laughs), both reported as errors, never as panics.

mod budget;
mod builder;
mod merge;
mod resolve;
mod time;

use super::error::{ComposeError, Pos};
pub(crate) use budget::check_paths;
pub use resolve::resolve_plain;
pub use time::{Timestamp, looks_like_timestamp};

/// Deepest nesting accepted (collections inside collections, after alias expansion).
pub const MAX_DEPTH: usize = 200;
/// Most nodes a document may expand to (guards against alias bombs).
pub const MAX_NODES: usize = 250_000;

/// A YAML node with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based position of the node in its file.
    pub pos: Pos,
    /// The value.
    pub kind: Kind,
}

/// The value of a node, typed like yaml.v3 decodes into `any`.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null`, empty.
    Null,
    /// `true`/`false` (only the yaml.v3 spellings).
    Bool(bool),
    /// An integer that fits `int64`.
    Int(i64),
    /// An integer above `int64::MAX`.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// An unquoted timestamp (a Go `time.Time` in the CLI).
    Time(Timestamp),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (merged keys after the mapping's own keys).
    Map(Vec<Entry>),
}

/// One key/value pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key text.
    pub key: String,
    /// Position of the key.
    pub key_pos: Pos,
    /// Whether the key is a string (yaml.v3 then yields `map[string]any`); a mapping with a
    /// non-string key (`1:`, `true:`, `~:`) becomes a `map[any]any` in Go.
    pub key_is_str: bool,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node at `pos`.
    pub fn new(pos: Pos, kind: Kind) -> Node {
        Node { pos, kind }
    }

    /// The string value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// The entry for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key_is_str && e.key == key)
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Whether this is a mapping whose keys are all strings (Go `map[string]any`).
    pub fn is_string_map(&self) -> bool {
        match &self.kind {
            Kind::Map(m) => m.iter().all(|e| e.key_is_str),
            _ => false,
        }
    }

    /// The Go type name of the value as yaml.v3 would have decoded it (for error texts).
    pub fn go_type(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "<nil>",
            Kind::Bool(_) => "bool",
            Kind::Int(_) => "int",
            Kind::Uint(_) => "uint64",
            Kind::Float(_) => "float64",
            Kind::Str(_) => "string",
            Kind::Time(_) => "time.Time",
            Kind::Seq(_) => "[]interface {}",
            Kind::Map(_) => {
                if self.is_string_map() {
                    "map[string]interface {}"
                } else {
                    "map[interface {}]interface {}"
                }
            }
        }
    }
}

/// Parses `text` and returns the root node of the first document (`None` for an empty stream).
pub fn parse(text: &str) -> Result<Option<Node>, ComposeError> {
    builder::Builder::default().run(text)
}

#[cfg(test)]
mod tests;
