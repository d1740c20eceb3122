use super::*;

#[test]
fn splits_like_google_shlex() {
    assert_eq!(
        split("bundle exec thin -p 3000").unwrap_or_default(),
        ["bundle", "exec", "thin", "-p", "3000"]
    );
    assert_eq!(
        split(r#"sh -c "echo \"hi\" 'x'" a\ b 'c d'"#).unwrap_or_default(),
        ["sh", "-c", "echo \"hi\" 'x'", "a b", "c d"]
    );
    assert_eq!(split("a #comment\nb").unwrap_or_default(), ["a", "b"]);
    assert_eq!(split("a#b").unwrap_or_default(), ["a#b"]);
    assert_eq!(split("\"\" x").unwrap_or_default(), ["", "x"]);
    assert_eq!(
        split("echo 'oops"),
        Err("EOF found when expecting closing quote".to_string())
    );
    assert_eq!(
        split("a\\"),
        Err("EOF found after escape character".to_string())
    );
}
