//! Docker's syntax, once: the Go-parity cores that both the compose loader (`compose/`) and the
//! service forms (`docker/services/flags`) use, so `docker stack deploy` and `docker service
//! create` read the same text the same way (as docker/cli shares `opts`, `go-units`,
//! `go-connections/nat`, `distribution/reference` and `google/shlex` between them).
//!
//! Every function here is pure (no I/O) and returns Go's own result and error text; callers that
//! talk to people (the forms) wrap the errors in friendlier sentences. This module imports nothing
//! from the rest of berth: imports go one way, `web → stack → compose/docker → syntax`.
//!
//! * [`duration`]: `time.ParseDuration` and `Duration.String`.
//! * [`strconv`]: `strconv.Quote`, `Atoi` and `ParseFloat` with Go's error text.
//! * [`units`]: go-units `RAMInBytes`, `opts.ParseCPUs` (a `big.Rat`: `0.5`, `1/2`, `5e-1`), and
//!   their exact formatting back.
//! * [`ports`]: `nat.ParsePortSpec` expanded like `ConvertPortToPortConfig`, and every way berth
//!   shows a published port.
//! * [`reference`]: `distribution/reference` image references.
//! * [`shlex`]: `google/shlex` word splitting, and quoting words back.
//! * [`mounts`]: the mount types and bind propagations the engine knows.

pub mod duration;
pub mod mounts;
pub mod ports;
pub mod reference;
pub mod shlex;
pub mod strconv;
pub mod units;

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        let entries = std::fs::read_dir(dir).expect("src/syntax is readable");
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("a source file");
                out.push((p.display().to_string(), text));
            }
        }
    }

    #[test]
    fn syntax_imports_nothing_from_the_rest_of_berth() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/syntax");
        let mut files = Vec::new();
        sources(&dir, &mut files);
        assert!(files.len() > 5, "{files:?}");
        for (path, text) in files {
            // (this test names the paths it looks for in quotes)
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.contains("(\"")) {
                let rest = line.split("crate::").skip(1);
                for r in rest {
                    assert!(
                        r.starts_with("syntax"),
                        "{path}:{}: the syntax module must stay a leaf: {line}",
                        n + 1
                    );
                }
                assert!(
                    !line.contains("super::super::"),
                    "{path}:{}: reaches out of its module: {line}",
                    n + 1
                );
            }
        }
    }
}
