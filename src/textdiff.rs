//! Line diffs for comparing two versions of a stack (compose text, env): `similar`'s Myers
//! diff (bounded by a deadline), as numbered lines and as hunks with context.

use std::time::Duration;

use similar::{Algorithm, Change, ChangeTag, TextDiff};

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Same {
        old: usize,
        new: usize,
        text: String,
    },
    Removed {
        old: usize,
        text: String,
    },
    Added {
        new: usize,
        text: String,
    },
}

impl Line {
    pub fn kind(&self) -> &'static str {
        match self {
            Line::Same { .. } => "same",
            Line::Removed { .. } => "removed",
            Line::Added { .. } => "added",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Line::Same { text, .. } | Line::Removed { text, .. } | Line::Added { text, .. } => text,
        }
    }

    /// 1-based line numbers on each side (empty when the line is not on that side).
    pub fn old_no(&self) -> String {
        match self {
            Line::Same { old, .. } | Line::Removed { old, .. } => old.to_string(),
            Line::Added { .. } => String::new(),
        }
    }

    pub fn new_no(&self) -> String {
        match self {
            Line::Same { new, .. } | Line::Added { new, .. } => new.to_string(),
            Line::Removed { .. } => String::new(),
        }
    }
}

/// A run of changes with up to `context` unchanged lines around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub lines: Vec<Line>,
}

/// How long one diff may search for the shortest edit script; past it `similar` settles for a
/// longer but still correct one. CPU work: call from `spawn_blocking`.
const DEADLINE: Duration = Duration::from_millis(500);

fn diff<'a>(old: &'a str, new: &'a str) -> TextDiff<'a, 'a, str> {
    TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DEADLINE)
        .diff_lines(old, new)
}

/// One change as a line with its 1-based numbers (the text without its line break).
fn line(c: Change<&str>) -> Line {
    let value = c.value();
    let text = value.strip_suffix('\n').unwrap_or(value);
    let text = text.strip_suffix('\r').unwrap_or(text).to_string();
    let (old, new) = (
        c.old_index().map_or(0, |i| i + 1),
        c.new_index().map_or(0, |i| i + 1),
    );
    match c.tag() {
        ChangeTag::Equal => Line::Same { old, new, text },
        ChangeTag::Delete => Line::Removed { old, text },
        ChangeTag::Insert => Line::Added { new, text },
    }
}

/// Every line of `old` and `new`, aligned (removals before additions, like `diff -u`).
pub fn lines(old: &str, new: &str) -> Vec<Line> {
    diff(old, new).iter_all_changes().map(line).collect()
}

/// The changes only, as hunks with `context` unchanged lines before and after each.
pub fn hunks(old: &str, new: &str, context: usize) -> Vec<Hunk> {
    let d = diff(old, new);
    d.grouped_ops(context)
        .iter()
        .map(|ops| Hunk {
            lines: ops
                .iter()
                .flat_map(|op| d.iter_changes(op))
                .map(line)
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_have_no_hunks() {
        assert!(hunks("a\nb\n", "a\nb\n", 3).is_empty());
    }

    #[test]
    fn a_changed_line_is_removed_then_added_with_context() {
        let old = "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n";
        let new = "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 3\n";
        let h = hunks(old, new, 1);
        assert_eq!(h.len(), 1);
        let kinds: Vec<_> = h[0]
            .lines
            .iter()
            .map(|l| (l.kind(), l.text().trim().to_string()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("same", "deploy:".to_string()),
                ("removed", "replicas: 2".to_string()),
                ("added", "replicas: 3".to_string())
            ]
        );
        assert_eq!(h[0].lines[1].old_no(), "5");
        assert_eq!(h[0].lines[2].new_no(), "5");
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let old: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let new = old.replace("l2\n", "L2\n").replace("l18\n", "L18\n");
        let h = hunks(&old, &new, 2);
        assert_eq!(h.len(), 2);
        let all = lines(&old, &new);
        assert_eq!(
            all.iter()
                .filter(|l| matches!(l, Line::Same { .. }))
                .count(),
            18
        );
    }

    #[test]
    fn insertions_and_deletions() {
        let all = lines("a\nc\n", "a\nb\nc\nd\n");
        let kinds: Vec<_> = all.iter().map(Line::kind).collect();
        assert_eq!(kinds, vec!["same", "added", "same", "added"]);
        let all = lines("a\nb\n", "");
        assert!(all.iter().all(|l| l.kind() == "removed"));
    }

    #[test]
    fn a_large_file_with_one_change_gives_one_small_hunk() {
        let old: String = (1..=10_000).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 5000\n", "line five thousand\n");
        let h = hunks(&old, &new, 3);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].lines.len(), 8);
        assert_eq!(h[0].lines[3].old_no(), "5000");
        assert_eq!(h[0].lines[4].text(), "line five thousand");
    }

    #[test]
    fn line_breaks_are_not_part_of_the_text() {
        let all = lines("a\r\nb", "a\r\nc\n");
        let texts: Vec<_> = all.iter().map(|l| (l.kind(), l.text())).collect();
        assert_eq!(texts, vec![("same", "a"), ("removed", "b"), ("added", "c")]);
    }
}
