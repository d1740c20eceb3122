//! What `berth stack deploy/config` reads: the compose files (or stdin), the working
//! directory, and the variables (`--env-file` files, then the process environment on top).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compose::{ComposeFile, DiskFiles};
use crate::stack::Source;

/// Parses `--env-file` text: `KEY=VALUE` per line, the value verbatim (no quotes removed, no
/// interpolation); blank lines and lines starting with `#` are skipped; a bare `KEY` takes the
/// process environment's value when it has one. The same rules as the docker CLI's
/// `--env-file` (and compose `env_file:`).
pub fn parse_env_file(
    text: &str,
    path: &Path,
    process: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line.trim_end(), None),
        };
        if key.is_empty() {
            return Err(format!(
                "invalid env file ({}): no variable name on line '{line}'",
                path.display()
            ));
        }
        if key.contains(char::is_whitespace) {
            return Err(format!(
                "invalid env file ({}): variable '{key}' contains whitespaces",
                path.display()
            ));
        }
        match value {
            Some(v) => out.push((key.to_string(), v.to_string())),
            None => {
                if let Some(v) = process.get(key) {
                    out.push((key.to_string(), v.clone()));
                }
            }
        }
    }
    Ok(out)
}

/// The process environment (entries that are not UTF-8 are skipped).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The variables of a deploy: `--env-file` files in order, the process environment on top.
pub fn variables(
    env_files: &[PathBuf],
    process: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for f in env_files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("open {}: {e}", f.display()))?;
        env.extend(parse_env_file(&text, f, process)?);
    }
    env.extend(process.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(env)
}

/// Reads the compose files (`-` = stdin). Relative paths inside them resolve against the
/// first file's directory (the current directory for stdin), as with the CLI.
pub fn source(files: &[String], env: BTreeMap<String, String>) -> Result<Source, String> {
    let Some(first) = files.first() else {
        return Err("specify a Compose file (with --compose-file)".into());
    };
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let working_dir = if first == "-" {
        cwd.clone()
    } else {
        let p = cwd.join(first);
        p.parent().map(Path::to_path_buf).unwrap_or(cwd.clone())
    };
    let mut out = Vec::new();
    let mut stdin_used = false;
    for f in files {
        let text = if f == "-" {
            if stdin_used {
                return Err("stdin (-) can only be given once".into());
            }
            stdin_used = true;
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("read stdin: {e}"))?;
            s
        } else {
            std::fs::read_to_string(f).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("open {f}: no such file or directory"),
                _ => format!("open {f}: {e}"),
            })?
        };
        out.push(ComposeFile::new(
            if f == "-" { "stdin" } else { f.as_str() },
            text,
        ));
    }
    Ok(Source {
        files: out,
        working_dir,
        env,
        reader: Arc::new(DiskFiles),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_keep_values_verbatim_and_take_bare_keys_from_the_process() {
        let mut process = BTreeMap::new();
        process.insert("HOME".to_string(), "/root".to_string());
        let text =
            "# comment\n\nTAG=1.2\n  QUOTED=\"a b\"\nEMPTY=\nHOME\nUNSET_BARE\nURL=http://x/?a=b\n";
        let got = parse_env_file(text, Path::new("prod.env"), &process).unwrap();
        assert_eq!(
            got,
            vec![
                ("TAG".into(), "1.2".into()),
                ("QUOTED".into(), "\"a b\"".into()),
                ("EMPTY".into(), "".into()),
                ("HOME".into(), "/root".into()),
                ("URL".into(), "http://x/?a=b".into()),
            ]
        );
        assert_eq!(
            parse_env_file("=x\n", Path::new("p.env"), &process).unwrap_err(),
            "invalid env file (p.env): no variable name on line '=x'"
        );
        assert_eq!(
            parse_env_file("A B=x\n", Path::new("p.env"), &process).unwrap_err(),
            "invalid env file (p.env): variable 'A B' contains whitespaces"
        );
    }

    #[test]
    fn the_process_environment_overrides_env_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.env"), dir.path().join("b.env"));
        std::fs::write(&a, "TAG=1\nONLY_A=a\n").unwrap();
        std::fs::write(&b, "TAG=2\n").unwrap();
        let mut process = BTreeMap::new();
        let env = variables(&[a.clone(), b.clone()], &process).unwrap();
        assert_eq!(env["TAG"], "2");
        assert_eq!(env["ONLY_A"], "a");
        process.insert("TAG".to_string(), "from-process".to_string());
        assert_eq!(variables(&[a, b], &process).unwrap()["TAG"], "from-process");
    }
}
