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
//! * duplicate keys are an error (`mapping key "x" already defined at line N`).
//!
//! Built from the event stream of `granit-parser` (the pure-Rust YAML 1.2 parser that
//! serde-saphyr already uses, so it costs no extra build) because its events carry spans, which
//! gives every node a 1-based line/column without a second pass.
//!
//! Hostile input is bounded: nesting is limited to [`MAX_DEPTH`] levels and alias expansion to
//! [`MAX_NODES`] nodes in total (billion-laughs), both reported as errors, never as panics.
//!
//! Deviation: yaml.v3 turns unquoted timestamps (`2001-12-14`) into `time.Time` values; here
//! they stay strings (the CLI would later print them as `2001-12-14 00:00:00 +0000 UTC` in
//! labels/environment).

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::error::{ComposeError, Pos};
use super::gofmt::go_quote;

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
    Builder::default().run(text)
}

/// Tag classes that matter for scalar resolution.
enum TagClass {
    None,
    NonSpecific,
    Core(String),
    Custom,
}

fn classify(tag: Option<&Tag>) -> TagClass {
    let Some(tag) = tag else {
        return TagClass::None;
    };
    if let Some(suffix) = tag.suffix_in_namespace("tag:yaml.org,2002:") {
        return TagClass::Core(suffix.into_owned());
    }
    if tag.handle() == "!" && tag.suffix().is_empty() {
        return TagClass::NonSpecific;
    }
    TagClass::Custom
}

/// A node under construction, plus what is needed when it is used as a key.
struct Built {
    node: Node,
    /// The raw scalar text (keys only need this).
    raw: Option<String>,
    /// Whether the node is a plain `<<` usable as a merge key.
    merge_key: bool,
    /// Whether the scalar resolved to a string (keys).
    is_str: bool,
    height: usize,
    size: usize,
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
        height: usize,
        size: usize,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        merge: Option<Node>,
        pending: Option<PendingKey>,
        /// Raw text and line of every scalar key seen (merge keys included).
        seen: Vec<(String, u32)>,
        height: usize,
        size: usize,
    },
}

struct PendingKey {
    text: String,
    pos: Pos,
    is_str: bool,
    merge: bool,
    /// Whether the key was a scalar (for the duplicate-key comparison).
    scalar: bool,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize, usize, Option<String>, bool)>,
    nodes: usize,
    root: Option<Node>,
}

fn pos_of(span: &Span) -> Pos {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX);
    Pos::new(line, col)
}

fn yaml_err(pos: Pos, msg: impl std::fmt::Display) -> ComposeError {
    ComposeError::new(format!("yaml: line {}: {msg}", pos.line))
}

impl Builder {
    fn run(mut self, text: &str) -> Result<Option<Node>, ComposeError> {
        let parser = Parser::new_from_str(text);
        let mut in_doc = false;
        for ev in parser {
            let (event, span) = match ev {
                Ok(x) => x,
                Err(e) => {
                    let m = e.marker();
                    let pos = Pos::new(
                        u32::try_from(m.line()).unwrap_or(u32::MAX),
                        u32::try_from(m.col().saturating_add(1)).unwrap_or(u32::MAX),
                    );
                    let info = e.info();
                    let info = if info.is_empty() { e.to_string() } else { info };
                    return Err(yaml_err(pos, info).with_pos(pos));
                }
            };
            let pos = pos_of(&span);
            match event {
                Event::StreamStart | Event::StreamEnd => {}
                Event::DocumentStart(..) => in_doc = true,
                Event::DocumentEnd if in_doc => return Ok(self.root),
                Event::Alias(id) => self.alias(id, pos)?,
                Event::Scalar(value, style, anchor, tag) => {
                    self.scalar(value, style, anchor, tag, pos)?
                }
                Event::SequenceStart(_, anchor, _) => {
                    self.enter(pos)?;
                    self.stack.push(Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                        height: 0,
                        size: 1,
                    });
                }
                Event::MappingStart(_, anchor, _) => {
                    self.enter(pos)?;
                    self.stack.push(Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        merge: None,
                        pending: None,
                        seen: Vec::new(),
                        height: 0,
                        size: 1,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => self.close()?,
                _ => {}
            }
        }
        Ok(self.root)
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), ComposeError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(
                ComposeError::new("yaml: document contains excessive aliasing").with_pos(pos),
            );
        }
        Ok(())
    }

    fn enter(&mut self, pos: Pos) -> Result<(), ComposeError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(
                ComposeError::new(format!("yaml: exceeded max depth of {MAX_DEPTH}")).with_pos(pos),
            );
        }
        self.count(1, pos)
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), ComposeError> {
        let unknown = || yaml_err(pos, "unknown anchor referenced").with_pos(pos);
        let (height, size) = match self.anchors.get(&id) {
            Some(a) => (a.1, a.2),
            None => return Err(unknown()),
        };
        if self.stack.len() + height > MAX_DEPTH {
            return Err(
                ComposeError::new(format!("yaml: exceeded max depth of {MAX_DEPTH}")).with_pos(pos),
            );
        }
        // budget first, clone after: an alias bomb never gets to allocate
        self.count(size, pos)?;
        let Some((node, _, _, raw, is_str)) = self.anchors.get(&id) else {
            return Err(unknown());
        };
        let (mut node, raw, is_str) = (node.clone(), raw.clone(), *is_str);
        if raw.is_some() {
            // an aliased scalar takes the alias' position
            node.pos = pos;
        }
        self.push(Built {
            node,
            raw,
            merge_key: false,
            is_str,
            height,
            size,
        })
    }

    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        pos: Pos,
    ) -> Result<(), ComposeError> {
        self.count(1, pos)?;
        let class = classify(tag.as_deref());
        let plain = matches!(style, ScalarStyle::Plain);
        let merge_key = plain
            && value == "<<"
            && match &class {
                TagClass::None | TagClass::NonSpecific => true,
                TagClass::Core(s) => s == "merge",
                TagClass::Custom => false,
            };
        let kind = match &class {
            TagClass::Core(t) if t == "str" => Kind::Str(value.to_string()),
            TagClass::None if !plain => Kind::Str(value.to_string()),
            TagClass::NonSpecific | TagClass::Custom => Kind::Str(value.to_string()),
            TagClass::None => resolve_plain(&value),
            TagClass::Core(t) => {
                resolve_tagged(t, &value).map_err(|m| yaml_err(pos, m).with_pos(pos))?
            }
        };
        let is_str = matches!(kind, Kind::Str(_)) || merge_key;
        let built = Built {
            node: Node::new(pos, kind),
            raw: Some(value.into_owned()),
            merge_key,
            is_str,
            height: 0,
            size: 1,
        };
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                (built.node.clone(), 0, 1, built.raw.clone(), built.is_str),
            );
        }
        self.push(built)
    }

    fn close(&mut self) -> Result<(), ComposeError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (node, anchor, height, size) = match frame {
            Frame::Seq {
                pos,
                anchor,
                items,
                height,
                size,
            } => (Node::new(pos, Kind::Seq(items)), anchor, height + 1, size),
            Frame::Map {
                pos,
                anchor,
                mut entries,
                merge,
                height,
                size,
                ..
            } => {
                if let Some(m) = merge {
                    apply_merge(&mut entries, m)?;
                }
                (Node::new(pos, Kind::Map(entries)), anchor, height + 1, size)
            }
        };
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), height, size, None, false));
        }
        self.push(Built {
            node,
            raw: None,
            merge_key: false,
            is_str: false,
            height,
            size,
        })
    }

    fn push(&mut self, b: Built) -> Result<(), ComposeError> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(b.node);
                }
                Ok(())
            }
            Some(Frame::Seq {
                items,
                height,
                size,
                ..
            }) => {
                *height = (*height).max(b.height);
                *size = size.saturating_add(b.size);
                items.push(b.node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                merge,
                pending,
                seen,
                height,
                size,
                ..
            }) => {
                *height = (*height).max(b.height);
                *size = size.saturating_add(b.size);
                match pending.take() {
                    None => {
                        let Some(text) = b.raw else {
                            return Err(
                                yaml_err(b.node.pos, "invalid map key").with_pos(b.node.pos)
                            );
                        };
                        *pending = Some(PendingKey {
                            text,
                            pos: b.node.pos,
                            is_str: b.is_str,
                            merge: b.merge_key,
                            scalar: true,
                        });
                        Ok(())
                    }
                    Some(key) => {
                        // yaml.v3 `mapping`: duplicate keys are an error (merge keys included)
                        if key.scalar {
                            if let Some((_, line)) = seen.iter().find(|(k, _)| *k == key.text) {
                                return Err(ComposeError::new(format!(
                                    "yaml: unmarshal errors:\n  line {}: mapping key {} already defined at line {}",
                                    key.pos.line,
                                    go_quote(&key.text),
                                    line
                                ))
                                .with_pos(key.pos));
                            }
                            seen.push((key.text.clone(), key.pos.line));
                        }
                        if key.merge {
                            *merge = Some(b.node);
                            return Ok(());
                        }
                        entries.push(Entry {
                            key: key.text,
                            key_pos: key.pos,
                            key_is_str: key.is_str,
                            value: b.node,
                        });
                        Ok(())
                    }
                }
            }
        }
    }
}

trait WithPos {
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

/// yaml.v3 `decoder.merge`: keys of the mapping win, then earlier merged maps win.
fn apply_merge(entries: &mut Vec<Entry>, merge: Node) -> Result<(), ComposeError> {
    let want_map = |pos: Pos| {
        ComposeError::new("yaml: map merge requires map or sequence of maps as the value")
            .with_pos(pos)
    };
    let sources: Vec<Vec<Entry>> = match merge.kind {
        Kind::Map(m) => vec![m],
        Kind::Seq(items) => {
            let mut v = Vec::new();
            for item in items {
                match item.kind {
                    Kind::Map(m) => v.push(m),
                    _ => return Err(want_map(item.pos)),
                }
            }
            v
        }
        _ => return Err(want_map(merge.pos)),
    };
    for src in sources {
        for e in src {
            if !entries
                .iter()
                .any(|x| x.key == e.key && x.key_is_str == e.key_is_str)
            {
                entries.push(e);
            }
        }
    }
    Ok(())
}

/// Resolves an explicitly tagged (`!!int`, `!!bool`, …) scalar like yaml.v3 `resolve`.
fn resolve_tagged(tag: &str, value: &str) -> Result<Kind, String> {
    let resolved = resolve_plain(value);
    let rtag = match &resolved {
        Kind::Null => "null",
        Kind::Bool(_) => "bool",
        Kind::Int(_) | Kind::Uint(_) => "int",
        Kind::Float(_) => "float",
        _ => "str",
    };
    match tag {
        "binary" => {
            use base64::Engine as _;
            let cleaned: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .map_err(|_| "!!binary value contains invalid base64 data".to_string())?;
            Ok(Kind::Str(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "timestamp" | "merge" => Ok(Kind::Str(value.to_string())),
        t if t == rtag => Ok(resolved),
        "float" if rtag == "int" => Ok(match resolved {
            Kind::Int(i) => Kind::Float(i as f64),
            Kind::Uint(u) => Kind::Float(u as f64),
            other => other,
        }),
        other => Err(format!("cannot decode !!{rtag} `{value}` as a !!{other}")),
    }
}

/// yaml.v3 `resolve("", s)` for an untagged plain scalar.
pub fn resolve_plain(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return Kind::Float(f);
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if looks_like_timestamp(s) {
                return Kind::Str(s.to_string());
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if let Some(i) = go_parse_int_base0(&plain) {
                return Kind::Int(i);
            }
            if let Some(u) = go_parse_uint_base0(&plain) {
                return Kind::Uint(u);
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = go_parse_float(&plain)
            {
                return Kind::Float(f);
            }
        }
        _ => {}
    }
    Kind::Str(s.to_string())
}

/// Whether yaml.v3 would read `s` as a timestamp (`resolve.go` `parseTimestamp`: the layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`, `2006-1-2`).
pub fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, min: usize, max: usize| -> Option<(u32, usize)> {
        let n = b[from.min(b.len())..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let v = s[from..from + n].parse().ok()?;
        Some((v, from + n))
    };
    if b.len() < 8 || b[..4].iter().any(|c| !c.is_ascii_digit()) || b[4] != b'-' {
        return false;
    }
    let Ok(year) = s[..4].parse::<u32>() else {
        return false;
    };
    let Some((month, i)) = digits(5, 1, 2) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    let Some((day, mut i)) = digits(i + 1, 1, 2) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day < 1 || day > days {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zone_required = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    let time = |i: usize| -> Option<usize> {
        let (h, i) = digits(i, 1, 2)?;
        if b.get(i) != Some(&b':') || h > 23 {
            return None;
        }
        let (m, i) = digits(i + 1, 1, 2)?;
        if b.get(i) != Some(&b':') || m > 59 {
            return None;
        }
        let (sec, mut i) = digits(i + 1, 1, 2)?;
        if sec > 59 {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            i += 1 + n;
        }
        Some(i)
    };
    let Some(end) = time(i + 1) else {
        return false;
    };
    i = end;
    if !zone_required {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = &s[i + 1..];
            rest.len() == 5
                && rest.as_bytes()[2] == b':'
                && rest[..2].bytes().all(|c| c.is_ascii_digit())
                && rest[3..].bytes().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseFloat(s, 64)` for the decimal forms yaml can reach.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.trim_start_matches(['+', '-']);
    if body.is_empty()
        || !body.bytes().all(|c| {
            c.is_ascii_digit() || c == b'.' || c == b'e' || c == b'E' || c == b'+' || c == b'-'
        })
    {
        return None;
    }
    // Go reports a range error (and yaml.v3 then keeps the string) for overflows
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go `strconv.ParseInt(s, 0, 64)` (sign, `0x`/`0o`/`0b`, leading-zero octal).
pub fn go_parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_magnitude_base0(body)?;
    if neg {
        if mag <= (i64::MAX as u128) + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if mag <= i64::MAX as u128 {
        Some(mag as i64)
    } else {
        None
    }
}

/// Go `strconv.ParseUint(s, 0, 64)`.
fn go_parse_uint_base0(s: &str) -> Option<u64> {
    let mag = parse_magnitude_base0(s)?;
    u64::try_from(mag).ok()
}

fn parse_magnitude_base0(body: &str) -> Option<u128> {
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() {
        return None;
    }
    let mut acc: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)? as u128;
        acc = acc.checked_mul(radix as u128)?.checked_add(d)?;
        if acc > u64::MAX as u128 + 1 {
            return None;
        }
    }
    Some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).expect("parses").expect("has a document")
    }

    #[test]
    fn scalars_resolve_like_yaml_v3() {
        let n = root(
            "a: yes\nb: on\nc: True\nd: 0440\ne: 0o17\nf: 0x1F\ng: ~\nh:\ni: 1.5\nj: '3'\nk: 1e3\nl: 08\nm: -12\nn: 1_000\no: .5\np: 18446744073709551615\nq: 2001-12-14\n",
        );
        let get = |k: &str| n.get(k).map(|v| v.kind.clone());
        assert_eq!(get("a"), Some(Kind::Str("yes".into())));
        assert_eq!(get("b"), Some(Kind::Str("on".into())));
        assert_eq!(get("c"), Some(Kind::Bool(true)));
        assert_eq!(get("d"), Some(Kind::Int(288)));
        assert_eq!(get("e"), Some(Kind::Int(15)));
        assert_eq!(get("f"), Some(Kind::Int(31)));
        assert_eq!(get("g"), Some(Kind::Null));
        assert_eq!(get("h"), Some(Kind::Null));
        assert_eq!(get("i"), Some(Kind::Float(1.5)));
        assert_eq!(get("j"), Some(Kind::Str("3".into())));
        assert_eq!(get("k"), Some(Kind::Float(1000.0)));
        assert_eq!(get("l"), Some(Kind::Float(8.0)));
        assert_eq!(get("m"), Some(Kind::Int(-12)));
        assert_eq!(get("n"), Some(Kind::Int(1000)));
        assert_eq!(get("o"), Some(Kind::Float(0.5)));
        assert_eq!(get("p"), Some(Kind::Uint(u64::MAX)));
        assert_eq!(get("q"), Some(Kind::Str("2001-12-14".into())));
        assert!(looks_like_timestamp("2001-12-14"));
        assert!(looks_like_timestamp("2001-12-14T21:59:43.10-05:00"));
        assert!(looks_like_timestamp("2001-12-14 21:59:43.10"));
        assert!(!looks_like_timestamp("2001-02-30"));
        assert!(!looks_like_timestamp("2001-12-14 foo"));
        assert!(!looks_like_timestamp("2001-12-14T21:59:43"));
    }

    #[test]
    fn positions_are_one_based() {
        let n = root("services:\n  web:\n    image: nginx\n");
        let web = n.get("services").and_then(|s| s.entry("web")).expect("web");
        assert_eq!(web.key_pos, Pos::new(2, 3));
        let image = web.value.get("image").expect("image");
        assert_eq!(image.pos, Pos::new(3, 12));
    }

    #[test]
    fn merge_keys_single_and_list() {
        let n = root(
            "x: &a {p: 1, q: 2}\ny: &b {q: 3, r: 4}\nz:\n  <<: [*a, *b]\n  p: 9\nw:\n  <<: *b\n",
        );
        let z = n.get("z").expect("z");
        let keys: Vec<_> = z
            .as_map()
            .unwrap_or(&[])
            .iter()
            .map(|e| e.key.clone())
            .collect();
        assert_eq!(keys, ["p", "q", "r"]);
        assert_eq!(z.get("p").map(|v| v.kind.clone()), Some(Kind::Int(9)));
        assert_eq!(z.get("q").map(|v| v.kind.clone()), Some(Kind::Int(2)));
        let w = n.get("w").expect("w");
        assert_eq!(w.get("r").map(|v| v.kind.clone()), Some(Kind::Int(4)));
    }

    #[test]
    fn only_first_document_is_read() {
        let n = root("a: 1\n---\nb: [\n");
        assert!(n.get("a").is_some());
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = parse("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert!(
            e.message
                .contains("mapping key \"a\" already defined at line 1"),
            "{}",
            e.message
        );
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_bounded() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            bomb.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = n;
        }
        let e = parse(&bomb).expect_err("bomb");
        assert!(e.message.contains("excessive aliasing"), "{}", e.message);
        let deep = "[".repeat(5000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn tags() {
        let n = root("a: !!str 3\nb: !!int \"4\"\nc: !custom 5\nd: !!float 1\n");
        assert_eq!(
            n.get("a").map(|v| v.kind.clone()),
            Some(Kind::Str("3".into()))
        );
        assert_eq!(n.get("b").map(|v| v.kind.clone()), Some(Kind::Int(4)));
        assert_eq!(
            n.get("c").map(|v| v.kind.clone()),
            Some(Kind::Str("5".into()))
        );
        assert_eq!(n.get("d").map(|v| v.kind.clone()), Some(Kind::Float(1.0)));
        assert!(parse("a: !!int abc\n").is_err());
    }

    #[test]
    fn non_string_keys_are_flagged() {
        let n = root("1: a\nb: c\n");
        assert!(!n.is_string_map());
    }
}
