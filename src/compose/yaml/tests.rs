use super::*;

fn root(text: &str) -> Node {
    parse(text).expect("parses").expect("has a document")
}

#[test]
fn scalars_resolve_like_yaml_v3() {
    let n = root(
        "a: yes\nb: on\nc: True\nd: 0440\ne: 0o17\nf: 0x1F\ng: ~\nh:\ni: 1.5\nj: '3'\nk: 1e3\nl: 08\nm: -12\nn: 1_000\no: .5\np: 18446744073709551615\nq: 2001-12-14\n",
    );
    let get = |k: &str| n.get(k).map(|v| v.kind.clone());
    assert_eq!(get("a"), Some(Kind::Str("yes".into())));
    assert_eq!(get("b"), Some(Kind::Str("on".into())));
    assert_eq!(get("c"), Some(Kind::Bool(true)));
    assert_eq!(get("d"), Some(Kind::Int(288)));
    assert_eq!(get("e"), Some(Kind::Int(15)));
    assert_eq!(get("f"), Some(Kind::Int(31)));
    assert_eq!(get("g"), Some(Kind::Null));
    assert_eq!(get("h"), Some(Kind::Null));
    assert_eq!(get("i"), Some(Kind::Float(1.5)));
    assert_eq!(get("j"), Some(Kind::Str("3".into())));
    assert_eq!(get("k"), Some(Kind::Float(1000.0)));
    assert_eq!(get("l"), Some(Kind::Float(8.0)));
    assert_eq!(get("m"), Some(Kind::Int(-12)));
    assert_eq!(get("n"), Some(Kind::Int(1000)));
    assert_eq!(get("o"), Some(Kind::Float(0.5)));
    assert_eq!(get("p"), Some(Kind::Uint(u64::MAX)));
    assert!(matches!(get("q"), Some(Kind::Time(_))));
    let t = Timestamp::parse("2001-12-14T21:59:43.10-05:00").expect("timestamp");
    assert_eq!(t.go_string(), "2001-12-14 21:59:43.1 -0500 -0500");
    assert_eq!(t.rfc3339(), "2001-12-14T21:59:43.1-05:00");
    let t = Timestamp::parse("2024-1-2").expect("timestamp");
    assert_eq!(t.go_string(), "2024-01-02 00:00:00 +0000 UTC");
    assert_eq!(t.rfc3339(), "2024-01-02T00:00:00Z");
    assert!(looks_like_timestamp("2001-12-14"));
    assert!(looks_like_timestamp("2001-12-14T21:59:43.10-05:00"));
    assert!(looks_like_timestamp("2001-12-14 21:59:43.10"));
    assert!(!looks_like_timestamp("2001-02-30"));
    assert!(!looks_like_timestamp("2001-12-14 foo"));
    assert!(!looks_like_timestamp("2001-12-14T21:59:43"));
}

#[test]
fn positions_are_one_based() {
    let n = root("services:\n  web:\n    image: nginx\n");
    let web = n.get("services").and_then(|s| s.entry("web")).expect("web");
    assert_eq!(web.key_pos, Pos::new(2, 3));
    let image = web.value.get("image").expect("image");
    assert_eq!(image.pos, Pos::new(3, 12));
}

#[test]
fn merge_keys_single_and_list() {
    let n =
        root("x: &a {p: 1, q: 2}\ny: &b {q: 3, r: 4}\nz:\n  <<: [*a, *b]\n  p: 9\nw:\n  <<: *b\n");
    let z = n.get("z").expect("z");
    let keys: Vec<_> = z
        .as_map()
        .unwrap_or(&[])
        .iter()
        .map(|e| e.key.clone())
        .collect();
    assert_eq!(keys, ["p", "q", "r"]);
    assert_eq!(z.get("p").map(|v| v.kind.clone()), Some(Kind::Int(9)));
    assert_eq!(z.get("q").map(|v| v.kind.clone()), Some(Kind::Int(2)));
    let w = n.get("w").expect("w");
    assert_eq!(w.get("r").map(|v| v.kind.clone()), Some(Kind::Int(4)));
}

#[test]
fn only_first_document_is_read() {
    let n = root("a: 1\n---\nb: [\n");
    assert!(n.get("a").is_some());
}

#[test]
fn duplicate_keys_are_errors() {
    let e = parse("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
    assert!(
        e.message
            .contains("mapping key \"a\" already defined at line 1"),
        "{}",
        e.message
    );
    assert_eq!(e.line, Some(3));
}

#[test]
fn alias_bombs_and_deep_nesting_are_bounded() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        bomb.push_str(&format!("{n}: &{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = n;
    }
    let e = parse(&bomb).expect_err("bomb");
    assert!(e.message.contains("excessive aliasing"), "{}", e.message);
    let deep = "[".repeat(5000);
    assert!(parse(&deep).is_err());
}

#[test]
fn tags() {
    let n = root("a: !!str 3\nb: !!int \"4\"\nc: !custom 5\nd: !!float 1\n");
    assert_eq!(
        n.get("a").map(|v| v.kind.clone()),
        Some(Kind::Str("3".into()))
    );
    assert_eq!(n.get("b").map(|v| v.kind.clone()), Some(Kind::Int(4)));
    assert_eq!(
        n.get("c").map(|v| v.kind.clone()),
        Some(Kind::Str("5".into()))
    );
    assert_eq!(n.get("d").map(|v| v.kind.clone()), Some(Kind::Float(1.0)));
    assert!(parse("a: !!int abc\n").is_err());
}

#[test]
fn non_string_keys_are_flagged() {
    let n = root("1: a\nb: c\n");
    assert!(!n.is_string_map());
}

#[test]
fn aliases_may_not_add_more_than_the_byte_budget() {
    // 100 KB anchored once and aliased 50 times: few nodes, 5 MB of text
    let mut text = format!("s: &s \"{}\"\nl:\n", "x".repeat(100_000));
    text.push_str(&"  - *s\n".repeat(50));
    let e = parse(&text).expect_err("refused");
    assert!(
        e.message.starts_with(
            "yaml: document contains excessive aliasing (aliases would add more than 4 MiB"
        ),
        "{}",
        e.message
    );
    // the 42nd alias crosses 4 MiB: line 2 + 42, at the `*`
    assert_eq!((e.line, e.column), (Some(44), Some(5)));
    // the same text aliased 40 times is fine
    let mut text = format!("s: &s \"{}\"\nl:\n", "x".repeat(100_000));
    text.push_str(&"  - *s\n".repeat(40));
    assert!(parse(&text).is_ok());
}

#[test]
fn aliases_may_not_make_up_more_of_a_document_than_go_yaml_allows() {
    // one scalar aliased 2,000 times: 2,000 of ~2,004 nodes come from aliases (> 99%)
    let mut text = String::from("s: &s x\nl:\n");
    text.push_str(&"  - *s\n".repeat(2_000));
    let e = parse(&text).expect_err("refused");
    assert_eq!(e.message, "yaml: document contains excessive aliasing");
    assert_eq!(e.line, Some(998), "{e:?}");
    // 500 aliases among 1,000 written nodes are fine
    let mut text = String::from("s: &s x\nl:\n");
    text.push_str(&"  - *s\n  - y\n".repeat(500));
    assert!(parse(&text).is_ok());
}

#[test]
fn many_keys_are_checked_for_duplicates_in_linear_time() {
    // 100,000 keys: a quadratic scan would compare 5·10⁹ pairs
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("k{i}: {i}\n"));
    }
    let n = root(&text);
    assert_eq!(n.as_map().map(|m| m.len()), Some(100_000));
    text.push_str("k7: again\n");
    let e = parse(&text).expect_err("duplicate");
    assert!(
        e.message
            .contains("line 100001: mapping key \"k7\" already defined at line 8"),
        "{}",
        e.message
    );
}
