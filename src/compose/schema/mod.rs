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

use super::error::{ComposeError, Pos};
use super::gofmt::{format_float, go_quote, parse_duration};
use super::ports::parse_port_spec;
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

#[derive(Debug, Clone)]
enum ErrKind {
    Type { expected: String },
    Required(String),
    Additional(String, Pos),
    OneOf,
    Enum(String),
    Unique(usize, usize),
    Format(&'static str),
    Minimum(String),
}

#[derive(Debug, Clone)]
struct VErr {
    kind: ErrKind,
    /// gojsonschema `Field()`: the context path, `(root)` at the top.
    field: String,
    pos: Pos,
}

impl VErr {
    fn description(&self) -> String {
        match &self.kind {
            ErrKind::Type { expected } => format!("must be a {}", human_type(expected)),
            ErrKind::Required(p) => format!("{p} is required"),
            ErrKind::Additional(p, _) => format!("Additional property {p} is not allowed"),
            ErrKind::OneOf => "Must validate one and only one schema (oneOf)".into(),
            ErrKind::Enum(allowed) => {
                format!("{} must be one of the following: {allowed}", self.field)
            }
            ErrKind::Unique(i, j) => format!("array items[{i},{j}] must be unique"),
            ErrKind::Format(f) => format!("Does not match format '{f}'"),
            ErrKind::Minimum(m) => format!("Must be greater than or equal to {m}"),
        }
    }

    fn specificity(&self) -> usize {
        self.field.split('.').count()
    }
}

/// `humanReadableType`.
fn human_type(def: &str) -> String {
    if let Some(inner) = def.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        let all: Vec<String> = inner.split(',').map(human_type).collect();
        if all.len() < 2 {
            return all.concat();
        }
        let (last, rest) = all.split_last().unwrap_or((&all[0], &[]));
        return format!("{} or {}", rest.join(", "), last);
    }
    match def {
        "object" => "mapping".into(),
        "array" => "list".into(),
        other => other.into(),
    }
}

#[derive(Default)]
struct Res {
    errors: Vec<VErr>,
    score: i64,
}

impl Res {
    fn add(&mut self, kind: ErrKind, ctx: &[String], pos: Pos) {
        self.errors.push(VErr {
            kind,
            field: field_of(ctx),
            pos,
        });
        self.score -= 2;
    }
    fn merge(&mut self, other: Res) {
        self.errors.extend(other.errors);
        self.score += other.score;
    }
    fn inc(&mut self) {
        self.score += 1;
    }
}

fn field_of(ctx: &[String]) -> String {
    if ctx.is_empty() {
        "(root)".into()
    } else {
        ctx.join(".")
    }
}

fn types_string(types: &[JType]) -> String {
    if types.len() == 1 {
        types[0].name().to_string()
    } else {
        let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
        format!("[{}]", names.join(","))
    }
}

fn is_integral(node: &Node) -> bool {
    match node.kind {
        Kind::Int(_) | Kind::Uint(_) => true,
        Kind::Float(f) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }
}

fn validate_recursive(s: &Schema, node: &Node, ctx: &mut Vec<String>, res: &mut Res) {
    let typed = !s.types.is_empty();
    let type_err = |res: &mut Res, ctx: &[String]| {
        res.add(
            ErrKind::Type {
                expected: types_string(&s.types),
            },
            ctx,
            node.pos,
        )
    };
    match &node.kind {
        Kind::Null => {
            if typed && !s.types.contains(&JType::Null) {
                type_err(res, ctx);
                return;
            }
            validate_schema(s, node, ctx, res);
            validate_common(s, node, ctx, res);
        }
        Kind::Int(_) | Kind::Uint(_) | Kind::Float(_) => {
            let valid = s.types.contains(&JType::Number)
                || (is_integral(node) && s.types.contains(&JType::Integer));
            if typed && !valid {
                type_err(res, ctx);
                return;
            }
            validate_schema(s, node, ctx, res);
            validate_number(s, node, ctx, res);
            validate_common(s, node, ctx, res);
        }
        Kind::Seq(items) => {
            if typed && !s.types.contains(&JType::Array) {
                type_err(res, ctx);
                return;
            }
            validate_schema(s, node, ctx, res);
            validate_array(s, node, items, ctx, res);
            validate_common(s, node, ctx, res);
        }
        Kind::Map(entries) => {
            if typed && !s.types.contains(&JType::Object) {
                type_err(res, ctx);
                return;
            }
            validate_schema(s, node, ctx, res);
            validate_object(s, node, ctx, res);
            validate_common(s, node, ctx, res);
            for (name, ps) in &s.properties {
                if let Some(e) = entries.iter().find(|e| e.key == *name) {
                    ctx.push((*name).to_string());
                    validate_recursive(ps, &e.value, ctx, res);
                    ctx.pop();
                }
            }
        }
        Kind::Bool(_) => {
            if typed && !s.types.contains(&JType::Boolean) {
                type_err(res, ctx);
                return;
            }
            validate_schema(s, node, ctx, res);
            validate_common(s, node, ctx, res);
        }
        Kind::Str(_) => {
            if typed && !s.types.contains(&JType::String) {
                type_err(res, ctx);
                return;
            }
            validate_schema(s, node, ctx, res);
            validate_common(s, node, ctx, res);
            validate_string(s, node, ctx, res);
        }
    }
    res.inc();
}

fn validate_schema(s: &Schema, node: &Node, ctx: &mut Vec<String>, res: &mut Res) {
    if !s.one_of.is_empty() {
        let mut validated = 0;
        let mut best: Option<Res> = None;
        for sub in &s.one_of {
            let mut r = Res::default();
            validate_recursive(sub, node, ctx, &mut r);
            if r.errors.is_empty() {
                validated += 1;
            } else if validated == 0 && best.as_ref().is_none_or(|b| r.score > b.score) {
                best = Some(r);
            }
        }
        if validated != 1 {
            res.add(ErrKind::OneOf, ctx, node.pos);
            if validated == 0
                && let Some(b) = best
            {
                res.merge(b);
            }
        }
    }
    res.inc();
}

fn validate_common(s: &Schema, node: &Node, ctx: &mut [String], res: &mut Res) {
    if !s.enumeration.is_empty() {
        let ok = match &node.kind {
            Kind::Str(v) => s.enumeration.iter().any(|e| e == v),
            _ => false,
        };
        if !ok {
            let allowed: Vec<String> = s.enumeration.iter().map(|e| go_quote(e)).collect();
            res.add(ErrKind::Enum(allowed.join(", ")), ctx, node.pos);
        }
    }
    res.inc();
}

fn validate_array(s: &Schema, node: &Node, items: &[Node], ctx: &mut Vec<String>, res: &mut Res) {
    if let Some(item_schema) = &s.items {
        for (i, item) in items.iter().enumerate() {
            let mut r = Res::default();
            ctx.push(i.to_string());
            validate_recursive(item_schema, item, ctx, &mut r);
            ctx.pop();
            res.merge(r);
        }
    }
    if s.unique_items {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let c = canonical(item);
            if let Some(slot) = seen.iter_mut().find(|(k, _)| *k == c) {
                res.add(ErrKind::Unique(slot.1, j), ctx, node.pos);
                slot.1 = j;
            } else {
                seen.push((c, j));
            }
        }
    }
    res.inc();
}

fn validate_object(s: &Schema, node: &Node, ctx: &mut Vec<String>, res: &mut Res) {
    let entries = node.as_map().unwrap_or(&[]);
    for req in &s.required {
        if entries.iter().any(|e| e.key == *req) {
            res.inc();
        } else {
            res.add(ErrKind::Required((*req).to_string()), ctx, node.pos);
        }
    }
    for e in entries {
        let found = s.properties.iter().any(|(n, _)| *n == e.key);
        let mut matched = false;
        for (pat, ps) in &s.pattern_properties {
            if pat.matches(&e.key) {
                matched = true;
                let mut r = Res::default();
                ctx.push(e.key.clone());
                validate_recursive(ps, &e.value, ctx, &mut r);
                ctx.pop();
                res.merge(r);
            }
        }
        if matched {
            res.inc();
        }
        if !found && !matched && s.closed {
            res.add(ErrKind::Additional(e.key.clone(), e.key_pos), ctx, node.pos);
        }
    }
    res.inc();
}

fn validate_string(s: &Schema, node: &Node, ctx: &mut [String], res: &mut Res) {
    if let (Some(f), Kind::Str(v)) = (s.format, &node.kind) {
        let ok = match f {
            Format::Ports => parse_port_spec(v).is_ok(),
            Format::Duration => parse_duration(v).is_ok(),
            Format::Expose => true,
        };
        if !ok {
            res.add(ErrKind::Format(f.name()), ctx, node.pos);
        }
    }
    res.inc();
}

fn validate_number(s: &Schema, node: &Node, ctx: &mut [String], res: &mut Res) {
    if let Some(min) = s.minimum {
        let below = match node.kind {
            Kind::Int(i) => i < min,
            Kind::Uint(_) => false,
            Kind::Float(f) => f < min as f64,
            _ => false,
        };
        if below {
            res.add(ErrKind::Minimum(min.to_string()), ctx, node.pos);
        }
    }
    if let Some(f) = s.format {
        let ok = match f {
            // gojsonschema hands the checker a big.Rat; the CLI keeps the numerator
            Format::Ports => parse_port_spec(&rat_numerator(node)).is_ok(),
            // the duration checker only accepts strings
            Format::Duration => false,
            Format::Expose => true,
        };
        if !ok {
            res.add(ErrKind::Format(f.name()), ctx, node.pos);
        }
    }
    res.inc();
}

/// The numerator of the reduced fraction of the number's JSON text (`big.Rat.String()` up to `/`).
fn rat_numerator(node: &Node) -> String {
    match node.kind {
        Kind::Int(i) => i.to_string(),
        Kind::Uint(u) => u.to_string(),
        Kind::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e30 {
                return format!("{}", f as i128);
            }
            // shortest decimal digits → digits / 10^k, reduced
            let sci = format!("{:e}", f.abs());
            let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            let frac_len = mant.split_once('.').map(|(_, b)| b.len()).unwrap_or(0) as i32;
            let digits: String = mant.chars().filter(|c| *c != '.').collect();
            let Ok(mut num) = digits.parse::<u128>() else {
                return "x".into();
            };
            let k = frac_len - exp;
            if k <= 0 {
                return "x".into();
            }
            let mut den: u128 = 10u128.saturating_pow(k as u32);
            let g = gcd(num, den);
            num /= g;
            den /= g;
            let _ = den;
            if f < 0.0 {
                format!("-{num}")
            } else {
                num.to_string()
            }
        }
        _ => String::new(),
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.max(1)
}

/// `marshalWithoutNumber`: a canonical JSON rendering (numbers via float64).
fn canonical(node: &Node) -> String {
    match &node.kind {
        Kind::Null => "null".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => format_float(*i as f64),
        Kind::Uint(u) => format_float(*u as f64),
        Kind::Float(f) => format_float(*f),
        Kind::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Kind::Seq(items) => {
            let parts: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", parts.join(","))
        }
        Kind::Map(entries) => {
            let mut parts: Vec<(String, String)> = entries
                .iter()
                .map(|e| (e.key.clone(), canonical(&e.value)))
                .collect();
            parts.sort();
            let parts: Vec<String> = parts
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap_or_default()))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
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
