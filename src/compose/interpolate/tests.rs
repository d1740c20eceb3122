use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sub(t: &str, e: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    substitute(t, &|k| e.get(k).cloned())
}

#[test]
fn interpolation_table() {
    let e = env(&[("FOO", "foo"), ("EMPTY", ""), ("HOST", "h")]);
    let ok = |t: &str, want: &str| assert_eq!(sub(t, &e), Ok(want.to_string()), "{t}");
    ok("$FOO", "foo");
    ok("${FOO}", "foo");
    ok("${UNSET}", "");
    ok("$$FOO", "$FOO");
    ok("$${FOO}", "${FOO}");
    ok("${UNSET:-def}", "def");
    ok("${EMPTY:-def}", "def");
    ok("${EMPTY-def}", "");
    ok("${UNSET-def}", "def");
    ok("${FOO:?err}", "foo");
    ok("${FOO?err}", "foo");
    ok("${EMPTY?err}", "");
    ok("$FOO.bar", "foo.bar");
    ok("$FOO/x", "foo/x");
    ok("x${FOO}y$FOO", "xfooyfoo");
}

#[test]
fn interpolation_quirks() {
    let e = env(&[("HOST", "h"), ("A", "a")]);
    let ok = |t: &str, want: &str| assert_eq!(sub(t, &e), Ok(want.to_string()), "{t}");
    // unbraced modifiers swallow up to the next `}`
    ok("$HOST-1 --x", "h");
    ok("$UNSET-1 --x", "1 --x");
    ok("$HOST-1}tail", "h}tail");
    // `-` is tested before `:?`
    ok("${UNSET:?must-be-set}", "be-set");
    // `${FOO-a:-b}`: name `FOO-a`, soft default `b`
    ok("${FOO-a:-b}", "b");
    // no nested defaults
    ok("${UNSET:-${B}}", "${B}");
    ok("${A:-${B}}", "a}");
    // a later good reference clears an earlier error (Go's shared error variable)
    ok("$5 $A", "5 a");
}

#[test]
fn interpolation_errors() {
    let e = env(&[]);
    for bad in ["$", "$5", "$ ", "${}", "${ foo}", "${foo!}", "a $", "${FOO"] {
        assert_eq!(
            sub(bad, &e),
            Err(TemplateError::Invalid(bad.to_string())),
            "{bad}"
        );
    }
    assert_eq!(
        sub("${FOO:?not set}", &e),
        Err(TemplateError::Invalid(
            "required variable FOO is missing a value: not set".into()
        ))
    );
    assert_eq!(
        sub("${FOO?}", &e),
        Err(TemplateError::Invalid(
            "required variable FOO is missing a value: ".into()
        ))
    );
}

fn run(yaml: &str, e: &BTreeMap<String, String>) -> Result<Node, ComposeError> {
    let mut root = crate::compose::yaml::parse(yaml)
        .expect("yaml")
        .expect("doc");
    interpolate_tree(&mut root, e, "f.yml")?;
    Ok(root)
}

#[test]
fn casts_apply_only_when_substituted() {
    let e = env(&[("N", "3"), ("B", "yes"), ("R", "0.5")]);
    let root = run(
        "services:\n  web:\n    deploy:\n      replicas: ${N}\n      update_config:\n        max_failure_ratio: $R\n    tty: $B\n    labels:\n      a: \"3\"\n  db:\n    deploy:\n      replicas: \"3\"\n",
        &e,
    )
    .expect("ok");
    let web = root
        .get("services")
        .and_then(|s| s.get("web"))
        .expect("web");
    let deploy = web.get("deploy").expect("deploy");
    assert_eq!(
        deploy.get("replicas").map(|n| n.kind.clone()),
        Some(Kind::Int(3))
    );
    assert_eq!(
        deploy
            .get("update_config")
            .and_then(|u| u.get("max_failure_ratio"))
            .map(|n| n.kind.clone()),
        Some(Kind::Float(0.5))
    );
    assert_eq!(
        web.get("tty").map(|n| n.kind.clone()),
        Some(Kind::Bool(true))
    );
    let db = root.get("services").and_then(|s| s.get("db")).expect("db");
    assert_eq!(
        db.get("deploy")
            .and_then(|d| d.get("replicas"))
            .map(|n| n.kind.clone()),
        Some(Kind::Str("3".into()))
    );
}

#[test]
fn error_messages_carry_dotted_paths() {
    let e = env(&[("N", "x"), ("B", "maybe")]);
    let err = run("services:\n  web:\n    ports:\n      - \"$\"\n", &e).expect_err("bad");
    assert_eq!(
        err.message,
        "invalid interpolation format for services.web.ports.[]: \"$\"; you may need to escape any $ with another $"
    );
    assert_eq!((err.line, err.column), (Some(4), Some(9)));
    assert_eq!(err.path.as_deref(), Some("services.web.ports.0"));
    let err = run("services:\n  web:\n    deploy:\n      replicas: $N\n", &e).expect_err("bad");
    assert_eq!(
        err.message,
        "error while interpolating services.web.deploy.replicas: failed to cast to expected type: strconv.Atoi: parsing \"x\": invalid syntax"
    );
    let err = run("services:\n  web:\n    tty: $B\n", &e).expect_err("bad");
    assert_eq!(
        err.message,
        "error while interpolating services.web.tty: failed to cast to expected type: invalid boolean: maybe"
    );
    let err = run("x-a:\n  b: ${REQ:?Variable not set}\n", &e).expect_err("bad");
    assert_eq!(
        err.message,
        "invalid interpolation format for x-a.b: \"required variable REQ is missing a value: Variable not set\"; you may need to escape any $ with another $"
    );
}

#[test]
fn one_value_may_not_grow_past_its_limit() {
    // 8 references to a 200 KiB variable: 1.6 MB from a 40-byte value
    let big = "v".repeat(200 * 1024);
    let e = env(&[("BIG", &big)]);
    let refs = "${BIG}".repeat(8);
    let err = run(
        &format!("services:\n  web:\n    image: nginx\n    labels:\n      a: \"{refs}\"\n"),
        &e,
    )
    .expect_err("too large");
    assert!(
        err.message
            .contains("services.web.labels.a: the value would be larger than 1 MiB"),
        "{}",
        err.message
    );
    assert_eq!((err.line, err.column), (Some(5), Some(10)));
    // within the limit it is substituted
    let refs = "${BIG}".repeat(4);
    assert!(
        run(
            &format!("services:\n  web:\n    image: nginx\n    labels:\n      a: \"{refs}\"\n"),
            &e
        )
        .is_ok()
    );
    assert_eq!(
        substitute_within("$BIG$BIG", &|k| e.get(k).cloned(), big.len() * 2 - 1),
        Err(TemplateError::TooLarge(big.len() * 2 - 1))
    );
}

#[test]
fn a_whole_file_may_not_grow_past_its_limit() {
    // 60 labels, each under the per-value limit, together 12 MB
    let big = "v".repeat(200 * 1024);
    let e = env(&[("BIG", &big)]);
    let mut text = String::from("services:\n  web:\n    image: nginx\n    labels:\n");
    for i in 0..60 {
        text.push_str(&format!("      l{i}: ${{BIG}}$BIG$BIG$BIG$BIG\n"));
    }
    let err = run(&text, &e).expect_err("too large");
    assert!(
        err.message.contains("larger than 8 MiB in all"),
        "{}",
        err.message
    );
    assert!(err.line.is_some_and(|l| l > 5), "{err:?}");
}
