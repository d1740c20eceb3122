use super::*;

fn p(spec: &str) -> (String, String, String, bool) {
    let v = parse_volume(spec).expect("valid");
    (v.typ, v.source, v.target, v.read_only)
}

#[test]
fn short_volumes_parse_like_the_cli() {
    assert_eq!(
        p("/data"),
        ("volume".into(), "".into(), "/data".into(), false)
    );
    assert_eq!(
        p("db:/data"),
        ("volume".into(), "db".into(), "/data".into(), false)
    );
    assert_eq!(
        p("./x:/y:ro"),
        ("bind".into(), "./x".into(), "/y".into(), true)
    );
    assert_eq!(
        p("~/c:/etc/c/:ro"),
        ("bind".into(), "~/c".into(), "/etc/c/".into(), true)
    );
    assert_eq!(
        p("C:\\data:/data"),
        ("bind".into(), "C:\\data".into(), "/data".into(), false)
    );
    // a one-letter named volume reads as a Windows drive
    assert_eq!(
        p("a:/data"),
        ("volume".into(), "".into(), "a:/data".into(), false)
    );
    let v = parse_volume("/a:/b:rshared,nocopy").expect("valid");
    assert_eq!(v.bind.map(|b| b.propagation), Some("rshared".into()));
    assert_eq!(v.volume.map(|b| b.nocopy), Some(true));
}

#[test]
fn bad_volume_specs() {
    assert_eq!(
        parse_volume("/a:/b:ro:x"),
        Err("invalid spec: /a:/b:ro:x: too many colons".into())
    );
    assert_eq!(
        parse_volume("/a::/b"),
        Err("invalid spec: /a::/b: empty section between colons".into())
    );
    assert_eq!(parse_volume(""), Err("invalid empty volume spec".into()));
}
