//! What `berth stack deploy/config` reads: the compose files (or stdin), the working
//! directory, and the variables (`--env-file` files, then the process environment on top).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compose::{ComposeFile, DiskFiles, dotenv, limits};
use crate::stack::Source;

/// The process environment (entries that are not UTF-8 are skipped).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The variables of a deploy: `--env-file` files in order (the format of the web's env
/// editor, [`crate::compose::dotenv`]: `KEY=value` lines, `#` comments, optional `export`,
/// quotes around a value removed), the process environment on top — as docker compose does
/// with `--env-file`.
pub fn variables(
    env_files: &[PathBuf],
    process: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for f in env_files {
        let file = std::fs::File::open(f).map_err(|e| format!("open {}: {e}", f.display()))?;
        let name = f.display().to_string();
        let text = read_limited(file, &name, limits::MAX_ENV_BYTES, limits::check_env)?;
        let vars = dotenv::parse(&text).map_err(|mut e| {
            e.file = Some(f.display().to_string());
            e.to_string()
        })?;
        env.extend(vars);
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
            read_limited(
                std::io::stdin(),
                "stdin",
                limits::MAX_COMPOSE_BYTES,
                limits::check_compose,
            )?
        } else {
            let file = std::fs::File::open(f).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("open {f}: no such file or directory"),
                _ => format!("open {f}: {e}"),
            })?;
            read_limited(file, f, limits::MAX_COMPOSE_BYTES, limits::check_compose)?
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

/// Reads at most `max` + 1 bytes of text: a larger input is refused by `check` without being
/// read whole.
fn read_limited(
    from: impl Read,
    name: &str,
    max: usize,
    check: fn(&str, usize) -> Result<(), crate::compose::ComposeError>,
) -> Result<String, String> {
    let mut buf = Vec::new();
    from.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("read {name}: {e}"))?;
    check(name, buf.len()).map_err(|e| e.to_string())?;
    String::from_utf8(buf).map_err(|_| format!("read {name}: not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_environment_overrides_env_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.env"), dir.path().join("b.env"));
        std::fs::write(&a, "# prod\nTAG=1\nexport ONLY_A='a b'\n").unwrap();
        std::fs::write(&b, "TAG=2\n").unwrap();
        let mut process = BTreeMap::new();
        let env = variables(&[a.clone(), b.clone()], &process).unwrap();
        assert_eq!(env["TAG"], "2");
        assert_eq!(env["ONLY_A"], "a b");
        process.insert("TAG".to_string(), "from-process".to_string());
        assert_eq!(
            variables(&[a, b.clone()], &process).unwrap()["TAG"],
            "from-process"
        );
        std::fs::write(&b, "TAG=2\nnot a line\n").unwrap();
        let err = variables(std::slice::from_ref(&b), &process).unwrap_err();
        assert!(
            err.starts_with(&format!("{}:2:1: expected KEY=value", b.display())),
            "{err}"
        );
    }

    #[test]
    fn files_over_the_size_limits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join("big.env");
        std::fs::write(&env, format!("A={}\n", "x".repeat(limits::MAX_ENV_BYTES))).unwrap();
        let err = variables(std::slice::from_ref(&env), &BTreeMap::new()).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let compose = dir.path().join("big.yml");
        let text = format!(
            "services: {{}}\n#{}\n",
            "x".repeat(limits::MAX_COMPOSE_BYTES)
        );
        std::fs::write(&compose, text).unwrap();
        let path = compose.display().to_string();
        let err = source(std::slice::from_ref(&path), BTreeMap::new()).unwrap_err();
        assert!(
            err.starts_with(&format!("{path}: the compose file is too large")),
            "{err}"
        );
    }
}
