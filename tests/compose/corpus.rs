//! Loader parity with docker CLI 28.2.2 on the shared compose corpus.
//!
//! Set `BERTH_COMPOSE_CORPUS` to the corpus directory (the one holding `validate.sh`). Every
//! `check` line of its manifest is run through `compose::load_config` with exactly the listed
//! variables (plus `HOME`, `PATH`-free like `env -i`), and compared with what the CLI printed:
//! `<case>.<variant>.out` (the merged YAML, compared as text after rewriting the absolute
//! corpus path) or `<case>.<variant>.err` (the error, with the service name the CLI picked from
//! a Go map replaced by `*`). The deploy pre-check (`.deploy-precheck`) is compared with
//! `compose::load`: the "Ignoring …" notices, logrus warnings and image errors.
//! Without the variable the test says it is skipped, and fails in CI (`CI` set).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use berth::compose::{self, ComposeFile, DiskFiles, LoadOptions};

/// The absolute corpus path baked into the CLI's outputs.
const RECORDED_PREFIX: &str = "/work/steering/shared/compose-corpus/";

struct Check {
    case: String,
    variant: String,
    expect_ok: bool,
    files: Vec<String>,
    env: Vec<(String, String)>,
}

/// Splits a shell line into words (single and double quotes, no expansion).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        d => cur.push(d),
                    }
                }
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn parse_manifest(text: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    for line in text.lines() {
        let w = shell_words(line.trim());
        if w.first().map(String::as_str) != Some("check") || w.len() < 5 {
            continue;
        }
        let mut files = Vec::new();
        let mut env = Vec::new();
        let mut in_env = false;
        for x in &w[4..] {
            if x == "--" {
                in_env = true;
            } else if in_env {
                let (k, v) = x.split_once('=').unwrap_or((x, ""));
                env.push((k.to_string(), v.to_string()));
            } else {
                files.push(x.clone());
            }
        }
        checks.push(Check {
            case: w[1].clone(),
            variant: w[2].clone(),
            expect_ok: w[3] == "ok",
            files,
            env,
        });
    }
    checks
}

/// Replaces what the CLI picked from a Go map: the service name (`services.X.`,
/// `service X:`) and, for interpolation errors, the whole path and variable name (with several
/// unset variables the CLI reports whichever value it meets first).
fn normalize(msg: &str) -> String {
    let msg = normalize_names(msg);
    if let Some(rest) = msg.strip_prefix("invalid interpolation format for ")
        && let Some((_, tail)) = rest.split_once(": ")
    {
        let tail = match tail.strip_prefix("\"required variable ") {
            Some(t) => format!(
                "\"required variable * {}",
                t.split_once(' ').map(|x| x.1).unwrap_or("")
            ),
            None => tail.to_string(),
        };
        return format!("invalid interpolation format for *: {tail}");
    }
    msg
}

fn normalize_names(msg: &str) -> String {
    let mut out = String::new();
    let mut rest = msg;
    while let Some(i) = rest.find("services.") {
        out.push_str(&rest[..i + "services.".len()]);
        rest = &rest[i + "services.".len()..];
        let end = rest.find(['.', ' ']).unwrap_or(rest.len());
        out.push('*');
        rest = &rest[end..];
    }
    out.push_str(rest);
    let mut result = String::new();
    let mut rest = out.as_str();
    while let Some(i) = rest.find("service ") {
        result.push_str(&rest[..i + "service ".len()]);
        rest = &rest[i + "service ".len()..];
        let end = rest.find([':', ' ']).unwrap_or(rest.len());
        result.push('*');
        rest = &rest[end..];
    }
    result.push_str(rest);
    result
}

/// `msg="…"` of logrus lines, unquoted.
fn logrus_messages(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("time="))
        .filter_map(|l| {
            let start = l.find("msg=\"")? + 5;
            let body = &l[start..l.len().saturating_sub(1)];
            Some(body.replace("\\\"", "\"").replace("\\\\", "\\"))
        })
        .collect()
}

struct Outcome {
    name: String,
    problems: Vec<String>,
}

fn run_check(corpus: &Path, c: &Check) -> Option<Outcome> {
    let case_dir = corpus.join(&c.case);
    if !case_dir.is_dir() {
        return None;
    }
    let name = format!("{}.{}", c.case, c.variant);
    let validation = corpus.join("validation");
    let mut problems = Vec::new();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("HOME".into(), "/home/tester".into());
    env.insert("DOCKER_HOST".into(), "unix:///nonexistent.sock".into());
    for (k, v) in &c.env {
        env.insert(k.clone(), v.clone());
    }
    let mut files = Vec::new();
    for f in &c.files {
        let content = fs::read_to_string(case_dir.join(f)).unwrap_or_default();
        files.push(ComposeFile::new(f.clone(), content));
    }
    let first = case_dir.join(&c.files[0]);
    let working_dir: PathBuf = first
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(case_dir.clone());
    let disk = DiskFiles;
    let opts = LoadOptions::new(&env, &working_dir, &disk);
    let corpus_prefix = format!("{}/", corpus.display());

    // `docker stack config`
    let out = fs::read_to_string(validation.join(format!("{name}.out"))).unwrap_or_default();
    let err = fs::read_to_string(validation.join(format!("{name}.err"))).unwrap_or_default();
    let result = compose::load_config(&files, &opts);
    match (&result, c.expect_ok) {
        (Ok(loaded), true) => {
            let want = out.replace(RECORDED_PREFIX, &corpus_prefix);
            let got = compose::config_yaml(&loaded.config);
            if got != want {
                let diff: Vec<String> = want
                    .lines()
                    .zip(got.lines())
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .take(5)
                    .map(|(i, (a, b))| format!("line {}: want {a:?} got {b:?}", i + 1))
                    .collect();
                problems.push(format!(
                    "config YAML differs ({} vs {} lines): {}",
                    want.lines().count(),
                    got.lines().count(),
                    diff.join("; ")
                ));
            }
            let mut want_w = logrus_messages(&err);
            let mut got_w: Vec<String> = loaded
                .warnings
                .iter()
                .filter(|w| !w.starts_with("Ignoring "))
                .cloned()
                .collect();
            want_w.sort();
            got_w.sort();
            if want_w != got_w {
                problems.push(format!("warnings differ: want {want_w:?} got {got_w:?}"));
            }
        }
        (Err(e), false) => {
            let want = err.trim_end().to_string();
            if normalize(&e.message) != normalize(&want) {
                problems.push(format!("error differs: want {want:?} got {:?}", e.message));
            }
        }
        (Ok(_), false) => problems.push(format!("expected failure {:?}, loaded fine", err.trim())),
        (Err(e), true) => problems.push(format!("expected success, got error: {e}")),
    }

    // `docker stack deploy` up to the daemon
    let pre =
        fs::read_to_string(validation.join(format!("{name}.deploy-precheck"))).unwrap_or_default();
    let reached_daemon = pre.contains("Cannot connect to the Docker daemon");
    let non_logrus: Vec<&str> = pre.lines().filter(|l| !l.starts_with("time=")).collect();
    let mut body = non_logrus.join("\n");
    let mut want_error = None;
    if reached_daemon {
        if let Some(i) = body.find("Cannot connect to the Docker daemon") {
            body.truncate(i);
        }
    } else if let Some(last) = non_logrus.iter().rev().find(|l| !l.is_empty()) {
        want_error = Some(last.to_string());
        if let Some(i) = body.rfind(last) {
            body.truncate(i);
        }
    }
    let want_notices = body.trim().to_string();
    match compose::load(&files, &opts) {
        Ok(loaded) => {
            if let Some(e) = want_error {
                problems.push(format!("deploy: expected error {e:?}, loaded fine"));
            }
            let notices: Vec<&str> = loaded
                .warnings
                .iter()
                .filter(|w| w.starts_with("Ignoring "))
                .map(String::as_str)
                .collect();
            let got = notices.join("\n\n");
            if got.trim() != want_notices {
                problems.push(format!(
                    "deploy notices differ: want {want_notices:?} got {got:?}"
                ));
            }
        }
        Err(e) => match want_error {
            None => problems.push(format!("deploy: unexpected error {e}")),
            Some(w) => {
                if normalize(&e.message) != normalize(&w) {
                    problems.push(format!(
                        "deploy error differs: want {w:?} got {:?}",
                        e.message
                    ));
                }
            }
        },
    }
    Some(Outcome { name, problems })
}

#[test]
fn corpus_matches_docker_cli_28() {
    let Some(corpus) = crate::input_dir("BERTH_COMPOSE_CORPUS", "compose corpus") else {
        return;
    };
    let manifest = fs::read_to_string(corpus.join("validate.sh")).unwrap_or_else(|e| {
        panic!("cannot read {}/validate.sh: {e}", corpus.display());
    });
    let checks = parse_manifest(&manifest);
    assert!(!checks.is_empty(), "no checks found in validate.sh");
    let mut matched = 0;
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    for c in &checks {
        match run_check(&corpus, c) {
            None => skipped.push(format!("{}.{}", c.case, c.variant)),
            Some(o) if o.problems.is_empty() => matched += 1,
            Some(o) => failed.push(o),
        }
    }
    println!(
        "compose corpus: {matched} of {} checks match docker CLI 28.2.2 ({} skipped, case folder absent: {})",
        checks.len() - skipped.len(),
        skipped.len(),
        skipped.join(", ")
    );
    for f in &failed {
        println!("MISMATCH {}:", f.name);
        for p in &f.problems {
            println!("    {p}");
        }
    }
    assert!(
        failed.is_empty(),
        "{} corpus checks differ from the CLI",
        failed.len()
    );
}

#[test]
fn manifest_lines_parse() {
    let m = parse_manifest(
        "check a v ok f.yml 'x y.yml' -- A=1 'B=$2y$x' C=\n# check no\ncheck b w fail g.yml\n",
    );
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].files, ["f.yml", "x y.yml"]);
    assert_eq!(
        m[0].env,
        [
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "$2y$x".to_string()),
            ("C".to_string(), String::new())
        ]
    );
    assert!(!m[1].expect_ok);
    assert_eq!(
        normalize(
            "invalid interpolation format for services.web.deploy.labels.[]: \"required variable A is missing a value: m\"; x"
        ),
        normalize(
            "invalid interpolation format for services.db.networks.[]: \"required variable B is missing a value: m\"; x"
        )
    );
    assert_eq!(
        normalize("invalid image reference for service rng: invalid reference format"),
        "invalid image reference for service *: invalid reference format"
    );
}
