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
