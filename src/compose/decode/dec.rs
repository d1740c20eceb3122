//! Decoding primitives that behave like go-viper/mapstructure v2 as configured by the CLI
//! (`cli/compose/loader/loader.go` `Transform`: no weak typing, errors collected per struct and
//! reported as `decoding failed due to the following error(s):` + one line each, field names
//! from the `mapstructure` tag or else the Go field name, `[i]`/`[key]` for elements).

use std::collections::BTreeMap;

use super::super::error::Pos;
use super::super::gofmt::{go_sprint, parse_duration};
use super::super::yaml::{Kind, Node};
use crate::syntax::units::ram_in_bytes;

/// Collects decoding errors (message, position) in struct-field order.
#[derive(Default)]
pub struct Dec {
    /// The errors so far.
    pub errors: Vec<(String, Pos)>,
}

/// `name.child` (mapstructure field naming).
pub fn field(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// `name[i]`.
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// `name[key]`.
pub fn key(parent: &str, k: &str) -> String {
    format!("{parent}[{k}]")
}

fn go_value(node: &Node) -> String {
    go_sprint(node)
}

impl Dec {
    /// Records an error.
    pub fn err(&mut self, msg: String, pos: Pos) {
        self.errors.push((msg, pos));
    }

    /// A hook (transform) error: `error decoding 'name': err`.
    pub fn hook_err(&mut self, name: &str, err: impl std::fmt::Display, pos: Pos) {
        self.err(format!("error decoding '{name}': {err}"), pos);
    }

    fn unconvertible(&mut self, name: &str, target: &str, node: &Node) {
        self.err(
            format!(
                "'{name}' expected type '{target}', got unconvertible type '{}', value: '{}'",
                node.go_type(),
                go_value(node)
            ),
            node.pos,
        );
    }

    /// A `string` field.
    pub fn string(&mut self, node: Option<&Node>, name: &str) -> String {
        match node.map(|n| (&n.kind, n)) {
            None | Some((Kind::Null, _)) => String::new(),
            Some((Kind::Str(s), _)) => s.clone(),
            Some((_, n)) => {
                self.unconvertible(name, "string", n);
                String::new()
            }
        }
    }

    /// A `bool` field.
    pub fn boolean(&mut self, node: Option<&Node>, name: &str) -> bool {
        self.opt_bool(node, name).unwrap_or(false)
    }

    /// A `*bool` field.
    pub fn opt_bool(&mut self, node: Option<&Node>, name: &str) -> Option<bool> {
        match node.map(|n| (&n.kind, n)) {
            None | Some((Kind::Null, _)) => None,
            Some((Kind::Bool(b), _)) => Some(*b),
            Some((_, n)) => {
                self.unconvertible(name, "bool", n);
                None
            }
        }
    }

    /// An unsigned field (`uint64`, `*uint64`): negative values are errors, floats truncate.
    pub fn opt_uint(&mut self, node: Option<&Node>, name: &str, target: &str) -> Option<u64> {
        let n = node?;
        match n.kind {
            Kind::Null => None,
            Kind::Int(i) if i < 0 => {
                self.err(format!("cannot parse '{name}', {i} overflows uint"), n.pos);
                None
            }
            Kind::Int(i) => Some(i as u64),
            Kind::Uint(u) => Some(u),
            Kind::Float(f) if f < 0.0 => {
                self.err(
                    format!("cannot parse '{name}', {f:.6} overflows uint"),
                    n.pos,
                );
                None
            }
            Kind::Float(f) => Some(f as u64),
            _ => {
                self.unconvertible(name, target, n);
                None
            }
        }
    }

    /// A signed field (`int`, `int64`): floats truncate.
    pub fn opt_int(&mut self, node: Option<&Node>, name: &str, target: &str) -> Option<i64> {
        let n = node?;
        match n.kind {
            Kind::Null => None,
            Kind::Int(i) => Some(i),
            Kind::Uint(u) => Some(u as i64),
            Kind::Float(f) => Some(f as i64),
            _ => {
                self.unconvertible(name, target, n);
                None
            }
        }
    }

    /// A `float32` field.
    pub fn float32(&mut self, node: Option<&Node>, name: &str) -> f32 {
        let Some(n) = node else {
            return 0.0;
        };
        match n.kind {
            Kind::Null => 0.0,
            Kind::Int(i) => i as f32,
            Kind::Uint(u) => u as f32,
            Kind::Float(f) => f as f32,
            _ => {
                self.unconvertible(name, "float32", n);
                0.0
            }
        }
    }

    /// A `[]string` field (also `StringList` after its transform).
    pub fn strings(&mut self, node: Option<&Node>, name: &str) -> Vec<String> {
        let Some(n) = node else {
            return Vec::new();
        };
        match &n.kind {
            Kind::Null => Vec::new(),
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.string(Some(item), &index(name, i)))
                .collect(),
            _ => {
                self.err(
                    format!(
                        "'{name}': source data must be an array or slice, got {}",
                        go_kind(n)
                    ),
                    n.pos,
                );
                Vec::new()
            }
        }
    }

    /// `StringList`: a string or a list of strings.
    pub fn string_list(&mut self, node: Option<&Node>, name: &str) -> Vec<String> {
        match node.map(|n| &n.kind) {
            Some(Kind::Str(s)) => vec![s.clone()],
            Some(Kind::Seq(_)) | None | Some(Kind::Null) => self.strings(node, name),
            Some(_) => {
                let n = node.map(|n| n.pos).unwrap_or_default();
                let t = node.map(|n| n.go_type()).unwrap_or("");
                self.hook_err(name, format!("invalid type {t} for string list"), n);
                Vec::new()
            }
        }
    }

    /// `*Duration` (hook `transformStringToDuration`).
    pub fn opt_duration(&mut self, node: Option<&Node>, name: &str) -> Option<i64> {
        let n = node?;
        match &n.kind {
            Kind::Null => None,
            Kind::Str(s) => match parse_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.hook_err(name, e, n.pos);
                    None
                }
            },
            _ => {
                self.hook_err(
                    name,
                    format!("invalid type {} for duration", n.go_type()),
                    n.pos,
                );
                None
            }
        }
    }

    /// `UnitBytes` (hook `transformSize`).
    pub fn size(&mut self, node: Option<&Node>, name: &str) -> i64 {
        let Some(n) = node else {
            return 0;
        };
        match &n.kind {
            Kind::Null => 0,
            Kind::Int(i) => *i,
            Kind::Uint(u) => *u as i64,
            Kind::Str(s) => match ram_in_bytes(s) {
                Ok(v) => v,
                Err(e) => {
                    self.hook_err(name, e, n.pos);
                    0
                }
            },
            _ => {
                // the CLI panics here ("invalid type for size")
                self.hook_err(
                    name,
                    format!("invalid type for size {}", n.go_type()),
                    n.pos,
                );
                0
            }
        }
    }

    /// `map[string]string` (hook `transformMapStringString`): values stringified, null → "".
    /// `None` when the key is absent or null.
    pub fn string_map(
        &mut self,
        node: Option<&Node>,
        name: &str,
    ) -> Option<BTreeMap<String, String>> {
        let n = node?;
        match &n.kind {
            Kind::Null => None,
            Kind::Map(entries) => Some(
                entries
                    .iter()
                    .map(|e| {
                        let v = if e.value.is_null() {
                            String::new()
                        } else {
                            go_sprint(&e.value)
                        };
                        (e.key.clone(), v)
                    })
                    .collect(),
            ),
            _ => {
                self.hook_err(
                    name,
                    format!("invalid type {} for map[string]string", n.go_type()),
                    n.pos,
                );
                None
            }
        }
    }

    /// `Labels`/`Mapping` (`transformMappingOrList("=", false)`): list `K` → "", map null → "".
    pub fn labels(&mut self, node: Option<&Node>, name: &str) -> BTreeMap<String, String> {
        self.mapping(node, name, false)
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }

    /// `MappingWithEquals` (`transformMappingOrList("=", true)`): list `K` and map null → None.
    pub fn mapping_with_equals(
        &mut self,
        node: Option<&Node>,
        name: &str,
    ) -> BTreeMap<String, Option<String>> {
        self.mapping(node, name, true)
    }

    fn mapping(
        &mut self,
        node: Option<&Node>,
        name: &str,
        allow_nil: bool,
    ) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        let Some(n) = node else {
            return out;
        };
        match &n.kind {
            Kind::Null => {}
            Kind::Map(entries) => {
                for e in entries {
                    let v = match &e.value.kind {
                        Kind::Null if allow_nil => None,
                        Kind::Null => Some(String::new()),
                        _ => Some(go_sprint(&e.value)),
                    };
                    out.insert(e.key.clone(), v);
                }
            }
            Kind::Seq(items) => {
                for item in items {
                    // the CLI asserts `v.(string)` here (it would panic on anything else)
                    let s = match &item.kind {
                        Kind::Str(s) => s.clone(),
                        _ => go_sprint(item),
                    };
                    match s.split_once('=') {
                        Some((k, v)) => {
                            out.insert(k.to_string(), Some(v.to_string()));
                        }
                        None => {
                            out.insert(s, if allow_nil { None } else { Some(String::new()) });
                        }
                    }
                }
            }
            _ => self.hook_err(
                name,
                format!("expected a map or a list, got {}", n.go_type()),
                n.pos,
            ),
        }
        out
    }
}

/// The Go `reflect.Kind` name of a node (for slice errors).
pub fn go_kind(node: &Node) -> &'static str {
    match node.kind {
        Kind::Null => "invalid",
        Kind::Bool(_) => "bool",
        Kind::Int(_) => "int",
        Kind::Uint(_) => "uint64",
        Kind::Float(_) => "float64",
        Kind::Str(_) => "string",
        Kind::Time(_) => "struct",
        Kind::Seq(_) => "slice",
        Kind::Map(_) => "map",
    }
}
