use super::*;

#[test]
fn env_files_parse_like_kvfile() {
    let env: BTreeMap<String, String> = [("SET".to_string(), "from-env".to_string())].into();
    let data = "\u{feff}# comment\n\n  A=1\nB=\"quoted\" \nSET\nUNSET\nC=x=y\r\n".as_bytes();
    assert_eq!(
        parse(data, &env),
        Ok(vec![
            "A=1".to_string(),
            "B=\"quoted\" ".to_string(),
            "SET=from-env".to_string(),
            "C=x=y".to_string()
        ])
    );
    assert_eq!(
        parse(b"=x\n", &env),
        Err("no variable name on line '=x'".into())
    );
    assert_eq!(
        parse(b"A B=1\n", &env),
        Err("variable 'A B' contains whitespaces".into())
    );
    assert_eq!(
        parse(b"A=\xff\n", &env),
        Err("invalid utf8 bytes at line 1: [65 61 255]".into())
    );
}
