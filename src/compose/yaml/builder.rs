//! Builds the node tree from granit-parser events: anchors/aliases with budgets, `<<` merges,
//! duplicate keys (yaml.v3 `decode.go` `mapping`/`merge`).

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::super::error::{ComposeError, Pos};
use super::super::gofmt::go_quote;
use super::resolve::{resolve_plain, resolve_tagged};
use super::{Entry, Kind, MAX_DEPTH, MAX_NODES, Node};

/// Tag classes that matter for scalar resolution.
pub(crate) enum TagClass {
    None,
    NonSpecific,
    Core(String),
    Custom,
}

pub(crate) fn classify(tag: Option<&Tag>) -> TagClass {
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
pub(crate) struct Built {
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

pub(crate) enum Frame {
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

pub(crate) struct PendingKey {
    text: String,
    pos: Pos,
    is_str: bool,
    merge: bool,
    /// Whether the key was a scalar (for the duplicate-key comparison).
    scalar: bool,
}

#[derive(Default)]
pub(crate) struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize, usize, Option<String>, bool)>,
    nodes: usize,
    root: Option<Node>,
}

pub(crate) fn pos_of(span: &Span) -> Pos {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX);
    Pos::new(line, col)
}

pub(crate) fn yaml_err(pos: Pos, msg: impl std::fmt::Display) -> ComposeError {
    ComposeError::new(format!("yaml: line {}: {msg}", pos.line))
}

impl Builder {
    pub(crate) fn run(mut self, text: &str) -> Result<Option<Node>, ComposeError> {
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

/// yaml.v3 `decoder.merge`: keys of the mapping win, then earlier merged maps win.
pub(crate) fn apply_merge(entries: &mut Vec<Entry>, merge: Node) -> Result<(), ComposeError> {
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
