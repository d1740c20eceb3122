//! Builds the node tree from granit-parser events: anchors/aliases with budgets, `<<` merges,
//! duplicate keys (yaml.v3 `decode.go` `mapping`/`merge`).

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::super::error::{ComposeError, Pos, WithPos};
use super::budget::Budget;
use super::merge::apply_merge;
use super::resolve::{TagClass, classify, resolve_plain, resolve_tagged};
use super::{Entry, Kind, MAX_DEPTH, Node};
use crate::syntax::strconv::go_quote;

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
    /// Bytes of scalar text in the node (keys included).
    bytes: usize,
}

pub(crate) enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
        height: usize,
        size: usize,
        bytes: usize,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        merge: Option<Node>,
        pending: Option<PendingKey>,
        /// Raw text and line of every scalar key seen (merge keys included): a map, so
        /// that a mapping of n keys is checked in O(n), not O(n²).
        seen: HashMap<String, u32>,
        height: usize,
        size: usize,
        bytes: usize,
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

/// An anchored node and what an alias to it costs.
struct Anchored {
    node: Node,
    height: usize,
    size: usize,
    bytes: usize,
    raw: Option<String>,
    is_str: bool,
}

#[derive(Default)]
pub(crate) struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    budget: Budget,
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
                        bytes: 0,
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
                        seen: HashMap::new(),
                        height: 0,
                        size: 1,
                        bytes: 0,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => self.close()?,
                _ => {}
            }
        }
        Ok(self.root)
    }

    fn enter(&mut self, pos: Pos) -> Result<(), ComposeError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(
                ComposeError::new(format!("yaml: exceeded max depth of {MAX_DEPTH}")).with_pos(pos),
            );
        }
        self.budget.count(1, pos)
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), ComposeError> {
        let unknown = || yaml_err(pos, "unknown anchor referenced").with_pos(pos);
        let (height, size, bytes) = match self.anchors.get(&id) {
            Some(a) => (a.height, a.size, a.bytes),
            None => return Err(unknown()),
        };
        if self.stack.len() + height > MAX_DEPTH {
            return Err(
                ComposeError::new(format!("yaml: exceeded max depth of {MAX_DEPTH}")).with_pos(pos),
            );
        }
        // budgets first, clone after: an alias bomb never gets to allocate
        self.budget.alias(size, bytes, pos)?;
        let Some(a) = self.anchors.get(&id) else {
            return Err(unknown());
        };
        let (mut node, raw, is_str) = (a.node.clone(), a.raw.clone(), a.is_str);
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
            bytes,
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
        self.budget.count(1, pos)?;
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
        let bytes = value.len();
        let built = Built {
            node: Node::new(pos, kind),
            raw: Some(value.into_owned()),
            merge_key,
            is_str,
            height: 0,
            size: 1,
            bytes,
        };
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: built.node.clone(),
                    height: 0,
                    size: 1,
                    bytes,
                    raw: built.raw.clone(),
                    is_str: built.is_str,
                },
            );
        }
        self.push(built)
    }

    fn close(&mut self) -> Result<(), ComposeError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (node, anchor, height, size, bytes) = match frame {
            Frame::Seq {
                pos,
                anchor,
                items,
                height,
                size,
                bytes,
            } => (
                Node::new(pos, Kind::Seq(items)),
                anchor,
                height + 1,
                size,
                bytes,
            ),
            Frame::Map {
                pos,
                anchor,
                mut entries,
                merge,
                height,
                size,
                bytes,
                ..
            } => {
                if let Some(m) = merge {
                    apply_merge(&mut entries, m)?;
                }
                (
                    Node::new(pos, Kind::Map(entries)),
                    anchor,
                    height + 1,
                    size,
                    bytes,
                )
            }
        };
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    height,
                    size,
                    bytes,
                    raw: None,
                    is_str: false,
                },
            );
        }
        self.push(Built {
            node,
            raw: None,
            merge_key: false,
            is_str: false,
            height,
            size,
            bytes,
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
                bytes,
                ..
            }) => {
                *height = (*height).max(b.height);
                *size = size.saturating_add(b.size);
                *bytes = bytes.saturating_add(b.bytes);
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
                bytes,
                ..
            }) => {
                *height = (*height).max(b.height);
                *size = size.saturating_add(b.size);
                *bytes = bytes.saturating_add(b.bytes);
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
                            if let Some(line) = seen.get(&key.text) {
                                return Err(ComposeError::new(format!(
                                    "yaml: unmarshal errors:\n  line {}: mapping key {} already defined at line {}",
                                    key.pos.line,
                                    go_quote(&key.text),
                                    line
                                ))
                                .with_pos(key.pos));
                            }
                            seen.insert(key.text.clone(), key.pos.line);
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
