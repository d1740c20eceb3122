//! Variable interpolation, exactly like `docker stack deploy`.
//!
//! * `cli/compose/template/template.go`: the `$…` syntax and its resolution order
//!   (`:-`, then `-`, then `:?`, then `?`, split at the first occurrence), including the quirks of
//!   its regular expression: modifiers are accepted after an unbraced name (`$FOO-bar` swallows up
//!   to the next `}`), defaults are literal (no nesting), a lone `$` is an error, `$$` is `$`.
//!   Like Go's `ReplaceAllStringFunc` callback, which keeps one error variable for the whole
//!   string, an error is only reported when the *last* non-escaped `$` reference of the string
//!   failed (a later successful reference clears an earlier error).
//! * `cli/compose/interpolation/interpolation.go`: walks every string value of the raw tree (map
//!   keys are never interpolated), builds the dotted path with `[]` for list items, and wraps
//!   errors with that path.
//! * `cli/compose/loader/interpolate.go`: the cast table, applied only when substitution
//!   changed the string.
//!
//! Output is bounded (the CLI has no bound): one value may not grow past
//! [`MAX_INTERPOLATED_VALUE`], and a file's string values past [`MAX_INTERPOLATED_FILE`] in
//! all; both are checked before the bytes are copied.

use std::collections::BTreeMap;

use super::error::{ComposeError, Pos};
use super::gofmt::go_quote;
use super::limits::{MAX_INTERPOLATED_FILE, MAX_INTERPOLATED_VALUE, human};
use super::yaml::{Kind, Node};
use casts::{cast_for, do_cast};

/// Why a template could not be substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// Bad syntax or a missing required variable; the text is what the CLI quotes
    /// (the whole template, or `required variable X is missing a value: MSG`).
    Invalid(String),
    /// The result would be longer than the limit given (bytes).
    TooLarge(usize),
}

enum Piece<'a> {
    Escaped,
    Subst(&'a str),
    Invalid,
}

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Matches `[_a-z][_a-z0-9]*(?::?[-?][^}]*)?` (case-insensitive) at the start of `s`;
/// returns the matched length.
fn match_subst(s: &[u8]) -> Option<usize> {
    if s.is_empty() || !is_name_start(s[0]) {
        return None;
    }
    let mut i = 1;
    while i < s.len() && is_name_char(s[i]) {
        i += 1;
    }
    let mut j = i;
    if j < s.len() && s[j] == b':' {
        j += 1;
    }
    if j < s.len() && (s[j] == b'-' || s[j] == b'?') {
        j += 1;
        while j < s.len() && s[j] != b'}' {
            j += 1;
        }
        return Some(j);
    }
    Some(i)
}

/// Splits a template into literal text and `$` references, like the CLI's regular expression.
fn scan(template: &str) -> Vec<(usize, usize, Piece<'_>)> {
    let b = template.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let rest = &b[i + 1..];
        if rest.first() == Some(&b'$') {
            out.push((i, i + 2, Piece::Escaped));
            i += 2;
            continue;
        }
        if let Some(n) = match_subst(rest) {
            out.push((i, i + 1 + n, Piece::Subst(&template[i + 1..i + 1 + n])));
            i += 1 + n;
            continue;
        }
        if rest.first() == Some(&b'{')
            && let Some(n) = match_subst(&rest[1..])
            && rest.get(1 + n) == Some(&b'}')
        {
            out.push((i, i + 3 + n, Piece::Subst(&template[i + 2..i + 2 + n])));
            i += 3 + n;
            continue;
        }
        out.push((i, i + 1, Piece::Invalid));
        i += 1;
    }
    out
}

/// `template.Substitute`: replaces every reference using `lookup`.
#[cfg(test)]
pub fn substitute(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    substitute_within(template, lookup, usize::MAX)
}

/// [`substitute`] with a bound: a result longer than `max` bytes is refused before it is
/// built.
pub fn substitute_within(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    max: usize,
) -> Result<String, TemplateError> {
    let push = |out: &mut String, s: &str| {
        if out.len().saturating_add(s.len()) > max {
            return Err(TemplateError::TooLarge(max));
        }
        out.push_str(s);
        Ok(())
    };
    let mut out = String::with_capacity(template.len().min(max));
    let mut err: Option<TemplateError> = None;
    let mut last = 0;
    for (start, end, piece) in scan(template) {
        push(&mut out, &template[last..start])?;
        last = end;
        match piece {
            Piece::Escaped => push(&mut out, "$")?,
            Piece::Invalid => err = Some(TemplateError::Invalid(template.to_string())),
            Piece::Subst(s) => match resolve(s, lookup) {
                Ok(v) => {
                    err = None;
                    push(&mut out, &v)?;
                }
                Err(e) => err = Some(e),
            },
        }
    }
    push(&mut out, &template[last..])?;
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn partition<'a>(s: &'a str, sep: &str) -> (&'a str, &'a str) {
    s.split_once(sep).unwrap_or((s, ""))
}

/// Resolution order of `DefaultSubstituteFuncs` (soft default, hard default, required
/// non-empty, required), then a plain lookup.
fn resolve(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
    if s.contains(":-") {
        let (name, default) = partition(s, ":-");
        return Ok(match lookup(name) {
            Some(v) if !v.is_empty() => v,
            _ => default.to_string(),
        });
    }
    if s.contains('-') {
        let (name, default) = partition(s, "-");
        return Ok(lookup(name).unwrap_or_else(|| default.to_string()));
    }
    for (sep, non_empty) in [(":?", true), ("?", false)] {
        if s.contains(sep) {
            let (name, msg) = partition(s, sep);
            return match lookup(name) {
                Some(v) if !non_empty || !v.is_empty() => Ok(v),
                _ => Err(TemplateError::Invalid(format!(
                    "required variable {name} is missing a value: {msg}"
                ))),
            };
        }
    }
    Ok(lookup(s).unwrap_or_default())
}

/// Interpolates every string of a file's raw tree in place (`interpolation.Interpolate`).
/// `file` is used for error locations.
pub fn interpolate_tree(
    root: &mut Node,
    env: &BTreeMap<String, String>,
    file: &str,
) -> Result<(), ComposeError> {
    let lookup = |k: &str| env.get(k).cloned();
    let Kind::Map(entries) = &mut root.kind else {
        return Ok(());
    };
    let mut w = Walk {
        lookup: &lookup,
        file,
        total: 0,
    };
    for e in entries.iter_mut() {
        let path = Paths {
            go: e.key.clone(),
            concrete: e.key.clone(),
        };
        w.walk(&mut e.value, &path)?;
    }
    Ok(())
}

/// One file's interpolation: the lookup, the file name for errors, and the bytes of string
/// values so far.
struct Walk<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    file: &'a str,
    total: usize,
}

/// The CLI's path (`[]` for list items, used in messages and for casts) and the concrete one
/// (with indices, reported in [`ComposeError::path`]).
struct Paths {
    go: String,
    concrete: String,
}

impl Walk<'_> {
    fn walk(&mut self, node: &mut Node, paths: &Paths) -> Result<(), ComposeError> {
        let (lookup, file) = (self.lookup, self.file);
        let path = paths.go.as_str();
        let pos = node.pos;
        match &mut node.kind {
            Kind::Str(s) => {
                let left = MAX_INTERPOLATED_FILE.saturating_sub(self.total);
                let new = match substitute_within(s, lookup, left.min(MAX_INTERPOLATED_VALUE)) {
                    Ok(n) => n,
                    Err(TemplateError::TooLarge(max)) => {
                        let what = if max < MAX_INTERPOLATED_VALUE {
                            format!(
                                "the file's values would be larger than {} in all",
                                human(MAX_INTERPOLATED_FILE)
                            )
                        } else {
                            format!(
                                "the value would be larger than {}",
                                human(MAX_INTERPOLATED_VALUE)
                            )
                        };
                        return Err(located(
                            format!("error while interpolating {path}: {what}"),
                            &paths.concrete,
                            file,
                            pos,
                        ));
                    }
                    Err(TemplateError::Invalid(t)) => {
                        return Err(located(
                            format!(
                                "invalid interpolation format for {path}: {}; you may need to escape any $ with another $",
                                go_quote(&t)
                            ),
                            &paths.concrete,
                            file,
                            pos,
                        ));
                    }
                };
                self.total = self.total.saturating_add(new.len());
                if new == *s {
                    return Ok(());
                }
                match cast_for(path) {
                    None => node.kind = Kind::Str(new),
                    Some(cast) => match do_cast(cast, &new) {
                        Ok(k) => node.kind = k,
                        Err(e) => {
                            return Err(located(
                                format!(
                                    "error while interpolating {path}: failed to cast to expected type: {e}"
                                ),
                                &paths.concrete,
                                file,
                                pos,
                            ));
                        }
                    },
                }
                Ok(())
            }
            Kind::Map(entries) => {
                // Go only descends into `map[string]any`; other maps are left untouched.
                if !entries.iter().all(|e| e.key_is_str) {
                    return Ok(());
                }
                for e in entries.iter_mut() {
                    let p = Paths {
                        go: format!("{path}.{}", e.key),
                        concrete: format!("{}.{}", paths.concrete, e.key),
                    };
                    self.walk(&mut e.value, &p)?;
                }
                Ok(())
            }
            Kind::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let p = Paths {
                        go: format!("{path}.[]"),
                        concrete: format!("{}.{i}", paths.concrete),
                    };
                    self.walk(item, &p)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn located(message: String, path: &str, file: &str, pos: Pos) -> ComposeError {
    ComposeError::new(message).with_path(path).at_pos(file, pos)
}

mod casts;
#[cfg(test)]
mod tests;
