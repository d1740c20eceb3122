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
    assert_eq!(split("echo 'oops"), Err(SplitError::UnclosedQuote('\'')));
    assert_eq!(
        split("echo 'oops").map_err(|e| e.to_string()),
        Err("EOF found when expecting closing quote".to_string())
    );
    assert_eq!(split("echo \"oops"), Err(SplitError::UnclosedQuote('"')));
    assert_eq!(
        split("a\\").map_err(|e| e.to_string()),
        Err("EOF found after escape character".to_string())
    );
}

#[test]
fn quoted_words_split_back_to_the_same_words() {
    let words: Vec<String> = [
        "sh",
        "-c",
        "echo it's $HOME",
        "",
        "#not-a-comment",
        "a\\b \"c\"",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(split(&quote(&words)), Ok(words));
    assert_eq!(quote(&["nginx".into(), "-g".into()]), "nginx -g");
}

#[test]
fn the_form_and_compose_split_the_same_way() {
    // the service form used a POSIX-shell splitter of its own that disagreed with shlex here
    assert_eq!(split(r#""a\nb""#).unwrap_or_default(), ["anb"]);
    assert_eq!(split("a \\\nb").unwrap_or_default(), ["a", "\nb"]);
    assert_eq!(
        split("echo hi # a note").unwrap_or_default(),
        ["echo", "hi"]
    );
}
