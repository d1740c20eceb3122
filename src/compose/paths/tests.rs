use super::*;

#[test]
fn joins_and_cleans_like_go() {
    assert_eq!(join("/w", "."), "/w");
    assert_eq!(join("/w", "./static"), "/w/static");
    assert_eq!(join("/w/a", "../b"), "/w/b");
    assert_eq!(join("/w", "../../../x"), "/x");
    assert_eq!(abs_path("/w", "/etc/x"), "/etc/x");
    assert_eq!(clean("a//b/./c/.."), "a/b");
    assert!(is_windows_abs("C:\\data"));
    assert!(is_windows_abs("\\\\host\\share\\x"));
    assert!(!is_windows_abs("./x"));
}
