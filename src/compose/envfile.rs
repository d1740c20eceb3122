//! `env_file` parsing, like docker/cli `pkg/kvfile/kvfile.go` (`opts.ParseEnvFile` in v28):
//! UTF-8 (BOM stripped on line 1), leading whitespace trimmed, blank lines and `#` lines
//! skipped, `KEY=VALUE` verbatim (quotes kept, no escapes, no interpolation), a bare `KEY` takes
//! the variable's value when it is set and is dropped otherwise.

use std::collections::BTreeMap;

/// Parses env-file bytes into `KEY=VALUE` lines; errors are the part after
/// `invalid env file (<path>): `.
pub fn parse(data: &[u8], env: &BTreeMap<String, String>) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    // bufio.Scanner: split on \n, drop a trailing \r
    let mut rest = data;
    let mut n = 0usize;
    while !rest.is_empty() {
        n += 1;
        let (raw, next) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if raw.len() > 64 * 1024 {
            return Err("bufio.Scanner: token too long".into());
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(text) = std::str::from_utf8(raw) else {
            let bytes: Vec<String> = raw.iter().map(|b| b.to_string()).collect();
            return Err(format!(
                "invalid utf8 bytes at line {n}: [{}]",
                bytes.join(" ")
            ));
        };
        let text = if n == 1 {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        let line = text.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, has_value) = match line.split_once('=') {
            Some((k, _)) => (k, true),
            None => (line, false),
        };
        if key.is_empty() {
            return Err(format!("no variable name on line '{line}'"));
        }
        if key.contains([' ', '\t']) {
            return Err(format!("variable '{key}' contains whitespaces"));
        }
        if has_value {
            lines.push(line.to_string());
        } else if let Some(v) = env.get(line) {
            lines.push(format!("{key}={v}"));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests;
