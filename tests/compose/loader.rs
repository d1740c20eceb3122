//! Loader goldens recorded from docker CLI 28.2.2 (`tests/fixtures/compose/record-loader.sh`):
//! each case under `tests/fixtures/compose/loader/` is loaded with `compose::load_config` and
//! `compose::load`, and compared with what `docker stack config` / `docker stack deploy`
//! printed (`tests/golden/compose/loader/<case>.{out,err,deploy}`, working directory as `<WD>`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use berth::compose::{self, ComposeFile, DiskFiles, LoadOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `level=warning msg="…"` lines (timestamps were stripped when recording).
fn logrus(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("level=warning msg=\""))
        .map(|m| {
            m.strip_suffix('"')
                .unwrap_or(m)
                .replace("\\\"", "\"")
                .replace("\\\\", "\\")
        })
        .collect()
}

fn check_case(dir: &Path) -> Vec<String> {
    let case = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let golden = root().join("tests/golden/compose/loader");
    let read = |ext: &str| fs::read_to_string(golden.join(format!("{case}.{ext}"))).ok();
    let mut problems = Vec::new();
    let names: Vec<String> = fs::read_to_string(dir.join("files"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let files: Vec<ComposeFile> = names
        .iter()
        .map(|n| {
            ComposeFile::new(
                n.clone(),
                fs::read_to_string(dir.join(n)).unwrap_or_default(),
            )
        })
        .collect();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    if !dir.join("nohome").exists() {
        env.insert("HOME".into(), "/home/tester".into());
    }
    env.insert("DOCKER_HOST".into(), "unix:///nonexistent.sock".into());
    for l in fs::read_to_string(dir.join("env"))
        .unwrap_or_default()
        .lines()
    {
        if let Some((k, v)) = l.split_once('=') {
            env.insert(k.into(), v.into());
        }
    }
    let first = dir.join(&names[0]);
    let wd = first
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.to_path_buf());
    let wd_text = wd.to_string_lossy().into_owned();
    let abs_dir = dir.to_string_lossy().into_owned();
    let disk = DiskFiles;
    let opts = LoadOptions::new(&env, &wd, &disk);
    // a relative `../x` resolves outside the case directory: keep that machine-independent too
    let parent_dir = dir
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let localize = |s: &str| {
        let s = s.replace(&abs_dir, "<WD>").replace(&wd_text, "<WD>");
        if parent_dir.is_empty() {
            s
        } else {
            s.replace(&parent_dir, "<WD>/..")
        }
    };

    let err_text = read("err").unwrap_or_default();
    // a documented, deliberate difference replaces the CLI's message
    let deviation: Option<String> = fs::read_to_string(dir.join("deviation")).ok().map(|d| {
        d.lines()
            .filter(|l| !l.starts_with("# "))
            .collect::<Vec<_>>()
            .join("\n")
    });
    match (compose::load_config(&files, &opts), read("out")) {
        (Ok(loaded), Some(want)) => {
            let got = localize(&compose::config_yaml(&loaded.config));
            if got != want {
                let first_diff = want
                    .lines()
                    .zip(got.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| format!("line {}: want {a:?} got {b:?}", i + 1))
                    .unwrap_or_else(|| "length differs".into());
                problems.push(format!(
                    "config YAML differs: {first_diff}\n--- got:\n{got}"
                ));
            }
            let mut want_w = logrus(&err_text);
            let mut got_w: Vec<String> = loaded
                .warnings
                .iter()
                .filter(|w| !w.starts_with("Ignoring "))
                .map(|w| localize(w))
                .collect();
            want_w.sort();
            got_w.sort();
            if want_w != got_w {
                problems.push(format!("warnings: want {want_w:?} got {got_w:?}"));
            }
        }
        (Err(e), None) => {
            // a documented, deliberate difference replaces the CLI's message
            let deviation: Option<String> =
                fs::read_to_string(dir.join("deviation")).ok().map(|d| {
                    d.lines()
                        .filter(|l| !l.starts_with("# "))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            let want = deviation.as_deref().unwrap_or(&err_text).trim_end();
            let got = localize(&e.message);
            if got.trim_end() != want {
                problems.push(format!("error: want {want:?}\n           got {got:?}"));
            }
            if e.file.is_none() && e.message != "specify a Compose file (with --compose-file)" {
                problems.push(format!("error has no file: {e}"));
            }
        }
        (Ok(_), None) => problems.push(format!("loaded, but the CLI failed: {err_text:?}")),
        (Err(e), Some(_)) => problems.push(format!("failed, but the CLI loaded: {e}")),
    }

    // deploy: notices and image errors, up to the daemon
    let deploy = read("deploy").unwrap_or_default();
    let lines: Vec<&str> = deploy
        .lines()
        .filter(|l| !l.starts_with("level="))
        .collect();
    let reached = deploy.contains("Cannot connect to the Docker daemon");
    let mut body = lines.join("\n");
    let mut want_err = None;
    if reached {
        if let Some(i) = body.find("Cannot connect to the Docker daemon") {
            body.truncate(i);
        }
    } else if let Some(last) = lines.iter().rev().find(|l| !l.is_empty()) {
        want_err = Some(match &deviation {
            Some(d) => d.lines().last().unwrap_or("").to_string(),
            None => last.to_string(),
        });
    }
    match compose::load(&files, &opts) {
        Ok(loaded) => {
            if let Some(w) = want_err {
                problems.push(format!("deploy: loaded, but the CLI failed with {w:?}"));
            }
            let got: Vec<&str> = loaded
                .warnings
                .iter()
                .filter(|w| w.starts_with("Ignoring "))
                .map(String::as_str)
                .collect();
            if got.join("\n\n").trim() != body.trim() {
                problems.push(format!(
                    "deploy notices: want {:?} got {:?}",
                    body.trim(),
                    got.join("\n\n")
                ));
            }
        }
        Err(e) => match want_err {
            None => problems.push(format!(
                "deploy: failed, but the CLI reached the daemon: {e}"
            )),
            Some(w) => {
                let got = localize(&e.message);
                let got_last = got.lines().last().unwrap_or("");
                if got_last != w {
                    problems.push(format!("deploy error: want {w:?} got {got:?}"));
                }
            }
        },
    }
    problems
        .into_iter()
        .map(|p| format!("{case}: {p}"))
        .collect()
}

#[test]
fn loader_matches_recorded_cli_output() {
    let cases = root().join("tests/fixtures/compose/loader");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&cases)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    assert!(!dirs.is_empty(), "no loader fixtures");
    let mut problems = Vec::new();
    for d in &dirs {
        problems.extend(check_case(d));
    }
    for p in &problems {
        println!("{p}\n");
    }
    println!(
        "compose loader: {} cases, {} problems",
        dirs.len(),
        problems.len()
    );
    assert!(problems.is_empty());
}
