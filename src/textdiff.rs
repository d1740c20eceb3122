//! Line diffs for comparing two versions of a stack (compose text, env): the shortest edit
//! script by longest common subsequence, grouped into hunks with context.

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

/// Largest input (lines on each side) diffed exactly; beyond it the LCS table would be too big,
/// and the whole texts are shown as removed/added. CPU work: call from `spawn_blocking`.
const MAX_LINES: usize = 4000;

/// Every line of `old` and `new`, aligned.
pub fn lines(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        let mut out: Vec<Line> = a
            .iter()
            .enumerate()
            .map(|(i, t)| Line::Removed {
                old: i + 1,
                text: t.to_string(),
            })
            .collect();
        out.extend(b.iter().enumerate().map(|(i, t)| Line::Added {
            new: i + 1,
            text: t.to_string(),
        }));
        return out;
    }
    // lines as numbers: each comparison below is O(1), however long the lines
    let mut ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut ia = Vec::with_capacity(a.len());
    let mut ib = Vec::with_capacity(b.len());
    for (lines, out) in [(&a, &mut ia), (&b, &mut ib)] {
        for t in lines.iter() {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            out.push(*ids.entry(t).or_insert(next));
        }
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..] (at most MAX_LINES: u16)
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if ia[i] == ib[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && ia[i] == ib[j] {
            out.push(Line::Same {
                old: i + 1,
                new: j + 1,
                text: a[i].to_string(),
            });
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // removals before additions, like `diff -u`
            out.push(Line::Removed {
                old: i + 1,
                text: a[i].to_string(),
            });
            i += 1;
        } else {
            out.push(Line::Added {
                new: j + 1,
                text: b[j].to_string(),
            });
            j += 1;
        }
    }
    out
}

/// The changes only, as hunks with `context` unchanged lines before and after each.
pub fn hunks(old: &str, new: &str, context: usize) -> Vec<Hunk> {
    let all = lines(old, new);
    let changed: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, Line::Same { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut range: Option<(usize, usize)> = None;
    for &c in &changed {
        let lo = c.saturating_sub(context);
        let hi = (c + context).min(all.len() - 1);
        range = match range {
            Some((s, e)) if lo <= e + 1 => Some((s, hi.max(e))),
            Some((s, e)) => {
                hunks.push(Hunk {
                    lines: all[s..=e].to_vec(),
                });
                Some((lo, hi))
            }
            None => Some((lo, hi)),
        };
    }
    if let Some((s, e)) = range {
        hunks.push(Hunk {
            lines: all[s..=e].to_vec(),
        });
    }
    hunks
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
}
