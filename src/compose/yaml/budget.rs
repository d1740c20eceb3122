//! What a document may expand to through aliases: nodes in total ([`MAX_NODES`]), the share
//! of nodes that come from aliases (go-yaml v3's rule, so files the docker CLI accepts are
//! accepted here), and the bytes of text aliases add ([`MAX_ALIAS_BYTES`]). Each alias is
//! charged before its node is copied, so a bomb is refused before it allocates.

use super::super::error::{ComposeError, Pos, WithPos};
use super::MAX_NODES;
use super::{Kind, Node};
use crate::compose::limits::{MAX_ALIAS_BYTES, MAX_PATH_BYTES, human};

/// Counters of one document.
#[derive(Default)]
pub(crate) struct Budget {
    /// Nodes decoded so far, alias expansions included (yaml.v3 `decodeCount`).
    nodes: usize,
    /// Nodes that came from alias expansion (yaml.v3 `aliasCount`).
    aliased: usize,
    /// Bytes of scalar text that came from alias expansion.
    alias_bytes: usize,
}

impl Budget {
    /// Charges `n` nodes written in the document.
    pub(crate) fn count(&mut self, n: usize, pos: Pos) -> Result<(), ComposeError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(excessive(pos, None));
        }
        Ok(())
    }

    /// Charges an alias at `pos` that expands to `size` nodes holding `bytes` bytes of text.
    pub(crate) fn alias(
        &mut self,
        size: usize,
        bytes: usize,
        pos: Pos,
    ) -> Result<(), ComposeError> {
        self.count(size, pos)?;
        self.aliased = self.aliased.saturating_add(size);
        if excessive_alias_ratio(self.aliased, self.nodes) {
            return Err(excessive(pos, None));
        }
        self.alias_bytes = self.alias_bytes.saturating_add(bytes);
        if self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(excessive(
                pos,
                Some(format!(
                    "aliases would add more than {} of text",
                    human(MAX_ALIAS_BYTES)
                )),
            ));
        }
        Ok(())
    }
}

/// go-yaml v3's rule (`decode.go`, `allowedAliasRatio`): the share of decoded nodes that may
/// come from aliases, 99% up to 400,000 nodes, falling linearly to 10% at 4,000,000.
fn allowed_alias_ratio(decoded: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Whether `aliased` of `decoded` nodes is more aliasing than go-yaml v3 accepts (it only
/// judges documents past 1,000 nodes with more than 100 from aliases).
fn excessive_alias_ratio(aliased: usize, decoded: usize) -> bool {
    aliased > 100
        && decoded > 1000
        && aliased as f64 / decoded as f64 > allowed_alias_ratio(decoded)
}

fn excessive(pos: Pos, why: Option<String>) -> ComposeError {
    let msg = match why {
        Some(w) => format!("yaml: document contains excessive aliasing ({w})"),
        None => "yaml: document contains excessive aliasing".to_string(),
    };
    ComposeError::new(msg).with_pos(pos)
}

/// Refuses a tree whose key paths (one per node, as the loader records them) add up to more
/// than [`MAX_PATH_BYTES`]: long keys above many nodes would otherwise cost their length once
/// per node below them. Linear in the nodes.
pub(crate) fn check_paths(root: &Node, file: &str) -> Result<(), ComposeError> {
    fn walk(node: &Node, prefix: usize, total: &mut usize) -> bool {
        let child = |total: &mut usize, len: usize, n: &Node| {
            let len = prefix.saturating_add(1).saturating_add(len);
            *total = total.saturating_add(len);
            *total <= MAX_PATH_BYTES && walk(n, len, total)
        };
        match &node.kind {
            Kind::Map(entries) => entries.iter().all(|e| child(total, e.key.len(), &e.value)),
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .all(|(i, n)| child(total, i.checked_ilog10().unwrap_or(0) as usize + 1, n)),
            _ => true,
        }
    }
    let mut total = 0;
    if walk(root, 0, &mut total) {
        return Ok(());
    }
    Err(ComposeError::new(format!(
        "the file is too complex: its key paths add up to more than {} (use shorter keys or fewer nodes)",
        human(MAX_PATH_BYTES)
    ))
    .in_file(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_ratio_falls_from_99_to_10_percent_like_go_yaml() {
        assert_eq!(allowed_alias_ratio(1000), 0.99);
        assert_eq!(allowed_alias_ratio(400_000), 0.99);
        assert!((allowed_alias_ratio(2_200_000) - 0.545).abs() < 1e-9);
        assert_eq!(allowed_alias_ratio(4_000_000), 0.10);
        assert!(!excessive_alias_ratio(100, 100_000));
        assert!(!excessive_alias_ratio(990, 1000));
        assert!(excessive_alias_ratio(1_999, 2_000));
        assert!(!excessive_alias_ratio(1_980, 2_000));
    }

    #[test]
    fn long_keys_above_many_nodes_are_refused() {
        // a 1 KiB key above 40,000 list items: 40 MB of paths from a 200 KB file
        let key = "k".repeat(1024);
        let text = format!("{key}:\n{}", "- 1\n".repeat(40_000));
        let root = super::super::parse(&text).unwrap().unwrap();
        let e = check_paths(&root, "big.yml").unwrap_err();
        assert!(e.message.contains("too complex"), "{e}");
        let text = format!("{key}:\n{}", "- 1\n".repeat(1_000));
        let root = super::super::parse(&text).unwrap().unwrap();
        assert!(check_paths(&root, "ok.yml").is_ok());
    }
}
