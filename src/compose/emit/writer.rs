//! A YAML writer that produces exactly what `go.yaml.in/yaml/v3` (`yaml.NewEncoder` with
//! `SetIndent(2)`) prints for block-style documents: its scalar-style choice (`encode.go`
//! `stringv`, `emitterc.go` `yaml_emitter_analyze_scalar`/`select_scalar_style`), its map key
//! order (`sorter.go` `keyList.Less`), sequences indented under their key, literal blocks with
//! indentation and chomping indicators, no line folding.

use std::cmp::Ordering;

use super::style::{Style, choose_style, is_break, key_text, scalar_inline};

/// A value to emit.
#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    /// A mapping, keys already in output order.
    Map(Vec<(String, Y)>),
    /// A sequence.
    Seq(Vec<Y>),
    /// A string (style chosen like yaml.v3).
    Str(String),
    /// A pre-formatted plain scalar (numbers, booleans, `null`).
    Plain(String),
}

impl Y {
    /// A mapping whose keys are sorted like yaml.v3 sorts map keys.
    pub fn sorted_map(mut entries: Vec<(String, Y)>) -> Y {
        entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
        Y::Map(entries)
    }
}

/// yaml.v3 `keyList.Less` for string keys.
fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric();
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_numeric() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_numeric() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u32).wrapping_sub('0' as i64));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_numeric() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u32).wrapping_sub('0' as i64));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// A total order from [`key_less`].
pub fn key_cmp(a: &str, b: &str) -> Ordering {
    if key_less(a, b) {
        Ordering::Less
    } else if key_less(b, a) {
        Ordering::Greater
    } else {
        a.cmp(b)
    }
}

fn spaces(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// `yaml_emitter_write_block_scalar_hints` + the literal body at column `col`.
fn literal(out: &mut String, s: &str, col: usize) {
    out.push('|');
    let chars: Vec<char> = s.chars().collect();
    if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
        out.push('2');
    }
    let n = chars.len();
    if n == 0 || !is_break(chars[n - 1]) {
        out.push('-');
    } else if n == 1 || is_break(chars[n - 2]) {
        out.push('+');
    }
    // no newline after the header: the first line break of the value ends the header line
    // (so a leading newline is absorbed, exactly like libyaml/yaml.v3 does)
    let mut at_header = true;
    let mut breaks = true;
    for c in &chars {
        if is_break(*c) {
            out.push(*c);
            at_header = false;
            breaks = true;
        } else {
            if breaks {
                if at_header {
                    out.push('\n');
                    at_header = false;
                }
                spaces(out, col);
            }
            out.push(*c);
            breaks = false;
        }
    }
    if !breaks || at_header {
        out.push('\n');
    }
}

fn scalar_after(out: &mut String, s: &str, col: usize, after_key: bool) {
    let style = choose_style(s, false);
    if after_key {
        out.push(' ');
    }
    if style == Style::Literal {
        literal(out, s, col);
    } else {
        out.push_str(&scalar_inline(s, style));
        out.push('\n');
    }
}

fn map_body(out: &mut String, entries: &[(String, Y)], col: usize, inline_first: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if !(i == 0 && inline_first) {
            spaces(out, col);
        }
        out.push_str(&key_text(k));
        out.push(':');
        match v {
            Y::Map(e) if e.is_empty() => out.push_str(" {}\n"),
            Y::Map(e) => {
                out.push('\n');
                map_body(out, e, col + 2, false);
            }
            Y::Seq(s) if s.is_empty() => out.push_str(" []\n"),
            Y::Seq(s) => {
                out.push('\n');
                seq_body(out, s, col + 2, false);
            }
            Y::Str(s) => scalar_after(out, s, col + 2, true),
            Y::Plain(p) => {
                out.push(' ');
                out.push_str(p);
                out.push('\n');
            }
        }
    }
}

fn seq_body(out: &mut String, items: &[Y], col: usize, inline_first: bool) {
    for (i, it) in items.iter().enumerate() {
        if !(i == 0 && inline_first) {
            spaces(out, col);
        }
        out.push_str("- ");
        match it {
            Y::Map(e) if e.is_empty() => out.push_str("{}\n"),
            Y::Map(e) => map_body(out, e, col + 2, true),
            Y::Seq(s) if s.is_empty() => out.push_str("[]\n"),
            Y::Seq(s) => seq_body(out, s, col + 2, true),
            Y::Str(s) => scalar_after(out, s, col + 2, false),
            Y::Plain(p) => {
                out.push_str(p);
                out.push('\n');
            }
        }
    }
}

/// Renders a document.
pub fn render(doc: &Y) -> String {
    let mut out = String::new();
    match doc {
        Y::Map(e) if e.is_empty() => out.push_str("{}\n"),
        Y::Map(e) => map_body(&mut out, e, 0, false),
        Y::Seq(s) if s.is_empty() => out.push_str("[]\n"),
        Y::Seq(s) => seq_body(&mut out, s, 0, false),
        Y::Str(s) => scalar_after(&mut out, s, 0, false),
        Y::Plain(p) => {
            out.push_str(p);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests;
