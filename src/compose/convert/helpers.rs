//! Small helpers shared by the converters.

use std::collections::{BTreeMap, HashMap};

use super::super::error::ComposeError;
use super::super::types::Config;

pub(crate) fn hash(m: BTreeMap<String, String>) -> HashMap<String, String> {
    m.into_iter().collect()
}

pub(crate) fn some_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

pub(crate) fn some_str(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A conversion error for service `key` at `path`.
pub(crate) struct Fail<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) key: &'a str,
}

impl Fail<'_> {
    pub(crate) fn err(&self, msg: impl std::fmt::Display, field: &str) -> ComposeError {
        let path = if field.is_empty() {
            format!("services.{}", self.key)
        } else {
            format!("services.{}.{field}", self.key)
        };
        ComposeError::new(format!("service {}: {msg}", self.key))
            .at(self.cfg.locations.find(&path))
            .with_path(path)
    }
}
