//! `<<` merge keys (yaml.v3 `decode.go` `merge`).

use std::collections::HashSet;

use super::super::error::{ComposeError, Pos, WithPos};
use super::{Entry, Kind, Node};

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
    // a set of the keys present: linear in the keys, not quadratic
    let mut present: HashSet<(String, bool)> = entries
        .iter()
        .map(|x| (x.key.clone(), x.key_is_str))
        .collect();
    for src in sources {
        for e in src {
            if present.insert((e.key.clone(), e.key_is_str)) {
                entries.push(e);
            }
        }
    }
    Ok(())
}
