//! Schema validation of a raw (interpolated) compose file, like docker/cli
//! `cli/compose/schema/schema.go`.
//!
//! The v3.0–v3.13 JSON schemas are hand-coded in [`defs`] (one builder with version gates, see
//! STACK_DEPLOY_SPEC 2.3/2.6) instead of shipping the schema files. This module re-implements
//! the parts of gojsonschema (draft-04) those schemas use, including its scoring of `oneOf`
//! branches and the CLI's choice of the "most specific" error (`getMostSpecificError`), so the
//! messages match: `services.web.deploy.replicas must be a integer`,
//! `(root) Additional property name is not allowed`,
//! `services.foo.ports.0 Does not match format 'ports'`, …
//!
//! Where Go iterates maps (data keys, schema properties) the order is random, so the CLI itself
//! is nondeterministic between equally specific errors; here document order is used.

pub mod defs;
mod engine;

use engine::{ErrKind, Res, VErr, validate_recursive};

use super::error::{ComposeError, Pos};
use super::gofmt::format_float;
use super::yaml::{Kind, Node};

/// JSON types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JType {
    /// `array`
    Array,
    /// `boolean`
    Boolean,
    /// `integer`
    Integer,
    /// `number`
    Number,
    /// `null`
    Null,
    /// `object`
    Object,
    /// `string`
    String,
}

impl JType {
    fn name(self) -> &'static str {
        match self {
            JType::Array => "array",
            JType::Boolean => "boolean",
            JType::Integer => "integer",
            JType::Number => "number",
            JType::Null => "null",
            JType::Object => "object",
            JType::String => "string",
        }
    }
}

/// The key patterns used by the compose schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPattern {
    /// `^x-`
    XPrefix,
    /// `^[a-zA-Z0-9._-]+$`
    Name,
    /// `^.+$`
    NonEmptyLine,
    /// `.+` (unanchored)
    AnyChar,
    /// `^[a-z]+$`
    Lower,
}

impl KeyPattern {
    fn matches(self, key: &str) -> bool {
        match self {
            KeyPattern::XPrefix => key.starts_with("x-"),
            KeyPattern::Name => {
                !key.is_empty()
                    && key
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
            }
            KeyPattern::NonEmptyLine => !key.is_empty() && !key.contains('\n'),
            KeyPattern::AnyChar => key.chars().any(|c| c != '\n'),
            KeyPattern::Lower => !key.is_empty() && key.bytes().all(|c| c.is_ascii_lowercase()),
        }
    }
}

/// Custom formats registered by the CLI (`expose` is unknown to it and always passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A short port spec (`nat.ParsePortSpec`).
    Ports,
    /// A Go duration (`time.ParseDuration`).
    Duration,
    /// Unregistered: always valid.
    Expose,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Ports => "ports",
            Format::Duration => "duration",
            Format::Expose => "expose",
        }
    }
}

/// A (sub)schema: the draft-04 keywords the compose schemas use.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// `type` (empty = any).
    pub types: Vec<JType>,
    /// `properties`, in schema order.
    pub properties: Vec<(&'static str, Schema)>,
    /// `patternProperties`.
    pub pattern_properties: Vec<(KeyPattern, Schema)>,
    /// `additionalProperties: false`.
    pub closed: bool,
    /// `items` (single schema).
    pub items: Option<Box<Schema>>,
    /// `oneOf`.
    pub one_of: Vec<Schema>,
    /// `required`.
    pub required: Vec<&'static str>,
    /// `enum` (strings).
    pub enumeration: Vec<&'static str>,
    /// `format`.
    pub format: Option<Format>,
    /// `minimum`.
    pub minimum: Option<i64>,
    /// `uniqueItems`.
    pub unique_items: bool,
}

/// What `json.Marshal` of the decoded document would reject before validation starts.
fn json_marshal_check(node: &Node) -> Option<(String, Pos)> {
    match &node.kind {
        Kind::Float(f) if !f.is_finite() => Some((
            format!("json: unsupported value: {}", format_float(*f)),
            node.pos,
        )),
        Kind::Seq(items) => items.iter().find_map(json_marshal_check),
        Kind::Map(entries) => {
            if !entries.iter().all(|e| e.key_is_str) {
                return Some((
                    "json: unsupported type: map[interface {}]interface {}".into(),
                    node.pos,
                ));
            }
            entries.iter().find_map(|e| json_marshal_check(&e.value))
        }
        _ => None,
    }
}

/// Validates a file's tree against the schema of `version` (a key of [`defs::VERSIONS`]).
pub fn validate(root: &Node, version: &str, file: &str) -> Result<(), ComposeError> {
    let Some(schema) = defs::schema(version) else {
        return Err(
            ComposeError::new(format!("unsupported Compose file version: {version}")).in_file(file),
        );
    };
    if let Some((msg, pos)) = json_marshal_check(root) {
        return Err(ComposeError::new(msg).at_pos(file, pos));
    }
    let mut res = Res::default();
    let mut ctx = Vec::new();
    validate_recursive(schema, root, &mut ctx, &mut res);
    if res.errors.is_empty() {
        return Ok(());
    }
    Err(most_specific(&res.errors, file))
}

/// `getMostSpecificError` + `validationError.Error()`.
fn most_specific(errs: &[VErr], file: &str) -> ComposeError {
    let mut best = 0;
    for (i, e) in errs.iter().enumerate() {
        let (a, b) = (e.specificity(), errs[best].specificity());
        if a > b
            || (a == b
                && matches!(e.kind, ErrKind::Type { .. })
                && !matches!(errs[best].kind, ErrKind::Type { .. }))
        {
            best = i;
        }
    }
    let parent = &errs[best];
    let child = match (&parent.kind, errs.get(best + 1)) {
        (ErrKind::OneOf, Some(child)) => Some(child),
        _ => None,
    };
    let description = child.unwrap_or(parent).description();
    let message = format!("{} {}", parent.field, description);
    // locate the error that explains the problem (the child of a oneOf failure)
    let at = child.unwrap_or(parent);
    let base = if at.field == "(root)" {
        String::new()
    } else {
        format!("{}.", at.field)
    };
    let (path, pos) = match &at.kind {
        ErrKind::Additional(key, key_pos) => (format!("{base}{key}"), *key_pos),
        ErrKind::Required(key) => (format!("{base}{key}"), at.pos),
        _ => (at.field.clone(), at.pos),
    };
    ComposeError::new(message).with_path(path).at_pos(file, pos)
}

#[cfg(test)]
mod tests;
