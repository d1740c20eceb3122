//! Random differential check (skipped outside CI without its input, failed in CI): with `BERTH_COMPOSE_DIFF_DIR` pointing at a
//! directory made by `tests/fixtures/compose/random-diff.py`, every random compose file there
//! is loaded and converted, and compared with what docker CLI printed (`c<i>.out`, or one of
//! the messages it gave over several runs in `c<i>.errs`) and the API requests it sent
//! (`c<i>.cli.jsonl`, compared like the conversion goldens) or its error (`c<i>.cli.err`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use berth::compose::{self, ComposeFile, DiskFiles, LoadOptions};

use crate::convert::{canonical, cli_requests, our_requests};

#[test]
fn random_files_match_the_cli() {
    let Some(dir) = crate::input_dir("BERTH_COMPOSE_DIFF_DIR", "compose differential") else {
        return;
    };
    let mut env = BTreeMap::new();
    for (k, v) in [
        ("HOME", "/home/tester"),
        ("X", "1"),
        ("N", "3"),
        ("SETX", "set"),
        ("PATH", "/usr/bin:/bin"),
    ] {
        env.insert(k.to_string(), v.to_string());
    }
    let disk = DiskFiles;
    let opts = LoadOptions::new(&env, &dir, &disk);
    let read = |name: String| fs::read_to_string(dir.join(name)).ok();
    let (mut checked, mut failures) = (0, Vec::new());
    for i in 0.. {
        let Some(text) = read(format!("c{i}.yml")) else {
            break;
        };
        checked += 1;
        let name = dir.join(format!("c{i}.yml")).to_string_lossy().into_owned();
        let files = [ComposeFile::new(name, text)];
        let mut problems = Vec::new();
        match (
            compose::load_config(&files, &opts),
            read(format!("c{i}.out")),
        ) {
            (Ok(l), Some(want)) => {
                if compose::config_yaml(&l.config) != want {
                    problems.push("config YAML differs".to_string());
                }
            }
            (Err(e), None) => {
                let all = read(format!("c{i}.errs")).unwrap_or_default();
                if !all.split("\n=====\n").any(|m| m.trim() == e.message.trim()) {
                    problems.push(format!("error {:?} not among the CLI's {all:?}", e.message));
                }
            }
            (Ok(_), None) => problems.push("the CLI failed, we loaded".into()),
            (Err(e), Some(_)) => problems.push(format!("the CLI loaded, we failed: {e}")),
        }
        let converted =
            compose::load(&files, &opts).and_then(|l| compose::convert("demo", &l.config, &opts));
        match (
            converted,
            read(format!("c{i}.cli.jsonl")),
            read(format!("c{i}.cli.err")),
        ) {
            (Ok(spec), Some(log), _) => {
                let (ours, theirs) = (our_requests(&spec), cli_requests(&log));
                let keys: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
                for k in keys {
                    let a = ours.get(k).cloned().and_then(canonical);
                    let b = theirs.get(k).cloned().and_then(canonical);
                    if a != b {
                        problems.push(format!("{k}: CLI {b:?}\n  we {a:?}"));
                    }
                }
            }
            (Err(e), _, Some(want)) if want.trim() != e.message => {
                problems.push(format!("deploy error {:?}, CLI said {want:?}", e.message));
            }
            (Ok(_), None, Some(want)) => problems.push(format!("CLI failed: {want}")),
            (Err(e), Some(_), _) => problems.push(format!("the CLI deployed, we failed: {e}")),
            _ => {}
        }
        if !problems.is_empty() {
            failures.push(format!("c{i}: {}", problems.join("\n  ")));
        }
    }
    for f in &failures {
        println!("{f}");
    }
    println!(
        "compose differential: {} of {checked} random files differ",
        failures.len()
    );
    assert!(failures.is_empty());
}
