//! The variables of a stack deployed from the browser: the env editor's text, or a pasted
//! `.env` file. `docker stack deploy` takes its variables from the process environment; in
//! berth this text plays that role (spec 2.1: the same map serves interpolation, `environment:`
//! pass-through, bare `env_file` keys and `~`). berth's own environment never leaks in.
//!
//! Format, one variable per line: `KEY=value`; blank lines and lines starting with `#` are
//! skipped; an `export ` prefix is allowed; a value wrapped in matching single or double quotes
//! loses them (as in a `.env` file for docker compose); everything else is literal (no
//! interpolation). A later line overrides an earlier one.

use std::collections::BTreeMap;

use super::ComposeError;

/// Parses the env text; errors name the line (file name `env`).
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, ComposeError> {
    let mut vars = BTreeMap::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line_no = (i + 1) as u32;
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(located(
                line_no,
                1,
                format!("expected KEY=value, got {:?}", truncate(line)),
            ));
        };
        let key = key.trim_end();
        if !valid_name(key) {
            return Err(located(
                line_no,
                1,
                format!(
                    "{:?} is not a variable name: use letters, digits and _ (not starting with a digit)",
                    truncate(key)
                ),
            ));
        }
        vars.insert(
            key.to_string(),
            unquote(value.trim_end_matches('\r')).to_string(),
        );
    }
    Ok(vars)
}

fn located(line: u32, column: u32, message: String) -> ComposeError {
    ComposeError {
        file: Some("env".into()),
        line: Some(line),
        column: Some(column),
        path: None,
        message,
    }
}

fn valid_name(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn unquote(v: &str) -> &str {
    let t = v.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return &t[1..t.len() - 1];
        }
    }
    v
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_export_and_quotes() {
        let v = parse("# db\nDB_USER=app\nexport TAG=1.2\n\nPASS=\"s3 cret\"\nQ='x'\nRAW=a \"b\"\nEMPTY=\nURL=http://x/?a=b\n").unwrap();
        assert_eq!(v["DB_USER"], "app");
        assert_eq!(v["TAG"], "1.2");
        assert_eq!(v["PASS"], "s3 cret");
        assert_eq!(v["Q"], "x");
        assert_eq!(v["RAW"], "a \"b\"");
        assert_eq!(v["EMPTY"], "");
        assert_eq!(v["URL"], "http://x/?a=b");
    }

    #[test]
    fn later_lines_win_and_crlf_is_fine() {
        let v = parse("A=1\r\nA=2\r\n").unwrap();
        assert_eq!(v["A"], "2");
    }

    #[test]
    fn bad_lines_are_located() {
        let e = parse("A=1\nnot a variable\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(
            e.to_string().starts_with("env:2:1: expected KEY=value"),
            "{e}"
        );
        let e = parse("1A=x").unwrap_err();
        assert!(e.message.contains("is not a variable name"), "{e}");
    }
}
