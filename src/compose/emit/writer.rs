//! A YAML writer that produces exactly what `go.yaml.in/yaml/v3` (`yaml.NewEncoder` with
//! `SetIndent(2)`) prints for block-style documents: its scalar-style choice (`encode.go`
//! `stringv`, `emitterc.go` `yaml_emitter_analyze_scalar`/`select_scalar_style`), its map key
//! order (`sorter.go` `keyList.Less`), sequences indented under their key, literal blocks with
//! indentation and chomping indicators, no line folding.

use std::cmp::Ordering;

use super::super::yaml::{Kind, looks_like_timestamp, resolve_plain};

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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// yaml `is_printable` (unicode output enabled).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_ws = true;
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_by_ws = i + 1 >= n || chars[i + 1] == ' ' || chars[i + 1] == '\t';
        let indicator = if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => true,
                '?' | ':' | '-' => followed_by_ws,
                _ => false,
            }
        } else {
            match c {
                ':' => followed_by_ws,
                '#' => preceded_by_ws,
                _ => false,
            }
        };
        if indicator {
            block_indicators = true;
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let g = &s[start..i];
        let ok = match g.len() {
            1 => true,
            2 => g.as_bytes()[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn choose_style(s: &str, simple_key: bool) -> Style {
    let can_use_plain =
        matches!(resolve_plain_tag(s), Kind::Str(_)) && !(is_base60_float(s) || is_old_bool(s));
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

/// What `resolve("", s)` would tag the plain string as; timestamps count as non-strings.
fn resolve_plain_tag(s: &str) -> Kind {
    if s.is_empty() {
        return Kind::Null;
    }
    if looks_like_timestamp(s) {
        return Kind::Null;
    }
    resolve_plain(s)
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        let u = c as u32;
        if !is_printable(c) || u == 0xfeff || is_break(c) || c == '"' || c == '\\' {
            out.push('\\');
            match u {
                0x00 => out.push('0'),
                0x07 => out.push('a'),
                0x08 => out.push('b'),
                0x09 => out.push('t'),
                0x0a => out.push('n'),
                0x0b => out.push('v'),
                0x0c => out.push('f'),
                0x0d => out.push('r'),
                0x1b => out.push('e'),
                0x22 => out.push('"'),
                0x5c => out.push('\\'),
                0x85 => out.push('N'),
                0xa0 => out.push('_'),
                0x2028 => out.push('L'),
                0x2029 => out.push('P'),
                _ if u <= 0xff => out.push_str(&format!("x{u:02X}")),
                _ if u <= 0xffff => out.push_str(&format!("u{u:04X}")),
                _ => out.push_str(&format!("U{u:08X}")),
            }
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn scalar_inline(s: &str, style: Style) -> String {
    match style {
        Style::Plain => s.to_string(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        _ => double_quoted(s),
    }
}

fn key_text(k: &str) -> String {
    scalar_inline(k, choose_style(k, true))
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
mod tests {
    use super::*;

    fn one(v: Y) -> String {
        render(&Y::Map(vec![("k".into(), v)]))
    }

    #[test]
    fn string_styles_match_yaml_v3() {
        assert_eq!(one(Y::Str("plain".into())), "k: plain\n");
        assert_eq!(one(Y::Str("3000".into())), "k: \"3000\"\n");
        assert_eq!(one(Y::Str("".into())), "k: \"\"\n");
        assert_eq!(one(Y::Str("true".into())), "k: \"true\"\n");
        assert_eq!(one(Y::Str("yes".into())), "k: \"yes\"\n");
        assert_eq!(
            one(Y::Str("{{upstreams 80}}".into())),
            "k: '{{upstreams 80}}'\n"
        );
        assert_eq!(one(Y::Str("* /x".into())), "k: '* /x'\n");
        assert_eq!(one(Y::Str("a: b".into())), "k: 'a: b'\n");
        assert_eq!(one(Y::Str("a #b".into())), "k: 'a #b'\n");
        assert_eq!(one(Y::Str("10/minute ".into())), "k: '10/minute '\n");
        assert_eq!(one(Y::Str("tab\there".into())), "k: \"tab\\there\"\n");
        assert_eq!(one(Y::Str("1:20".into())), "k: \"1:20\"\n");
        assert_eq!(
            one(Y::Str("02:42:ac:11:65:43".into())),
            "k: 02:42:ac:11:65:43\n"
        );
        assert_eq!(one(Y::Str("a\nb".into())), "k: |-\n  a\n  b\n");
        assert_eq!(one(Y::Str("a\nb\n".into())), "k: |\n  a\n  b\n");
        assert_eq!(one(Y::Str("a\n\n".into())), "k: |+\n  a\n\n");
        assert_eq!(one(Y::Str(" a\nb".into())), "k: |2-\n   a\n  b\n");
        // a leading newline is absorbed by the header line, as yaml.v3 does
        assert_eq!(one(Y::Str("\na\nb".into())), "k: |2-\n  a\n  b\n");
        assert_eq!(one(Y::Str("a \nb".into())), "k: \"a \\nb\"\n");
    }

    #[test]
    fn layout_matches_yaml_v3() {
        let doc = Y::Map(vec![
            (
                "s".into(),
                Y::Seq(vec![
                    Y::Map(vec![
                        ("a".into(), Y::Plain("1".into())),
                        ("b".into(), Y::Seq(vec![Y::Str("x".into())])),
                    ]),
                    Y::Map(vec![]),
                    Y::Str("l1\nl2".into()),
                ]),
            ),
            ("e".into(), Y::Seq(vec![])),
        ]);
        assert_eq!(
            render(&doc),
            "s:\n  - a: 1\n    b:\n      - x\n  - {}\n  - |-\n    l1\n    l2\ne: []\n"
        );
    }

    #[test]
    fn keys_sort_like_yaml_v3() {
        let mut keys = vec![
            "b",
            "a10",
            "a2",
            "A",
            "a",
            "x-1",
            "caddy.route",
            "caddy.route.1_x",
        ];
        keys.sort_by(|a, b| key_cmp(a, b));
        assert_eq!(
            keys,
            [
                "A",
                "a",
                "a2",
                "a10",
                "b",
                "caddy.route",
                "caddy.route.1_x",
                "x-1"
            ]
        );
    }
}
