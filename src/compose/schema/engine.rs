//! A re-implementation of the parts of gojsonschema (draft-04) the compose schemas use:
//! the validation walk and its scoring of `oneOf` branches (`validation.go`, `result.go`),
//! and the error descriptions of its default locale (`locales.go`).

use super::super::error::Pos;
use super::super::gofmt::{format_float, go_quote, parse_duration};
use super::super::yaml::{Kind, Node};
use super::{Format, JType, Schema};
use crate::syntax::ports::parse_port_spec;

#[derive(Debug, Clone)]
pub(crate) enum ErrKind {
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
pub(crate) struct VErr {
    pub(crate) kind: ErrKind,
    /// gojsonschema `Field()`: the context path, `(root)` at the top.
    pub(crate) field: String,
    pub(crate) pos: Pos,
}

impl VErr {
    pub(crate) fn description(&self) -> String {
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

    pub(crate) fn specificity(&self) -> usize {
        self.field.split('.').count()
    }
}

/// `humanReadableType`.
pub(crate) fn human_type(def: &str) -> String {
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
pub(crate) struct Res {
    pub(crate) errors: Vec<VErr>,
    pub(crate) score: i64,
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

pub(crate) fn field_of(ctx: &[String]) -> String {
    if ctx.is_empty() {
        "(root)".into()
    } else {
        ctx.join(".")
    }
}

pub(crate) fn types_string(types: &[JType]) -> String {
    if types.len() == 1 {
        types[0].name().to_string()
    } else {
        let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
        format!("[{}]", names.join(","))
    }
}

pub(crate) fn is_integral(node: &Node) -> bool {
    match node.kind {
        Kind::Int(_) | Kind::Uint(_) => true,
        Kind::Float(f) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }
}

pub(crate) fn validate_recursive(s: &Schema, node: &Node, ctx: &mut Vec<String>, res: &mut Res) {
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
        Kind::Str(_) | Kind::Time(_) => {
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

pub(crate) fn validate_schema(s: &Schema, node: &Node, ctx: &mut Vec<String>, res: &mut Res) {
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

pub(crate) fn validate_common(s: &Schema, node: &Node, ctx: &mut [String], res: &mut Res) {
    if !s.enumeration.is_empty() {
        let ok = match string_value(node) {
            Some(v) => s.enumeration.iter().any(|e| *e == v),
            None => false,
        };
        if !ok {
            let allowed: Vec<String> = s.enumeration.iter().map(|e| go_quote(e)).collect();
            res.add(ErrKind::Enum(allowed.join(", ")), ctx, node.pos);
        }
    }
    res.inc();
}

pub(crate) fn validate_array(
    s: &Schema,
    node: &Node,
    items: &[Node],
    ctx: &mut Vec<String>,
    res: &mut Res,
) {
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
        // canonical form → last index seen: linear, not a scan per item
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (j, item) in items.iter().enumerate() {
            let c = canonical(item);
            if let Some(slot) = seen.get_mut(&c) {
                res.add(ErrKind::Unique(*slot, j), ctx, node.pos);
                *slot = j;
            } else {
                seen.insert(c, j);
            }
        }
    }
    res.inc();
}

pub(crate) fn validate_object(s: &Schema, node: &Node, ctx: &mut Vec<String>, res: &mut Res) {
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

/// The JSON string a value marshals to (timestamps become RFC 3339 strings).
fn string_value(node: &Node) -> Option<String> {
    match &node.kind {
        Kind::Str(s) => Some(s.clone()),
        Kind::Time(t) => Some(t.rfc3339()),
        _ => None,
    }
}

pub(crate) fn validate_string(s: &Schema, node: &Node, ctx: &mut [String], res: &mut Res) {
    if let (Some(f), Some(v)) = (s.format, string_value(node)) {
        let ok = match f {
            Format::Ports => parse_port_spec(&v).is_ok(),
            Format::Duration => parse_duration(&v).is_ok(),
            Format::Expose => true,
        };
        if !ok {
            res.add(ErrKind::Format(f.name()), ctx, node.pos);
        }
    }
    res.inc();
}

pub(crate) fn validate_number(s: &Schema, node: &Node, ctx: &mut [String], res: &mut Res) {
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
pub(crate) fn rat_numerator(node: &Node) -> String {
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

pub(crate) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.max(1)
}

/// `marshalWithoutNumber`: a canonical JSON rendering (numbers via float64).
pub(crate) fn canonical(node: &Node) -> String {
    match &node.kind {
        Kind::Null => "null".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => format_float(*i as f64),
        Kind::Uint(u) => format_float(*u as f64),
        Kind::Float(f) => format_float(*f),
        Kind::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Kind::Time(t) => serde_json::to_string(&t.rfc3339()).unwrap_or_default(),
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
