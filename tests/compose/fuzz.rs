//! Bounded, deterministic fuzzing: `load`, `config_yaml` and `convert` must return `Ok` or
//! `Err` for any text — never panic, never overflow the stack, never hang. Seeds are the
//! compose fixtures; mutations are byte flips, truncations, line edits and YAML-ish tokens,
//! plus hand-made hostile inputs (deep nesting, alias bombs, huge numbers). Fixed seed, so a
//! failure reproduces; `BERTH_FUZZ_ITERATIONS` raises the budget for longer local runs.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use berth::compose::{self, ComposeFile, LoadOptions, MemoryFiles};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ": ",
    "- ",
    "&a ",
    "*a",
    "<<: *a\n",
    "<<: [*a, *b]\n",
    "${",
    "$",
    "$$",
    "${X:-",
    "${X?}",
    "\"",
    "'",
    "\n  ",
    "\n",
    "~",
    "0x",
    "0o17",
    "0440",
    "1e400",
    "-1",
    ".inf",
    "!!int ",
    "!!str ",
    "!!binary ",
    "!custom ",
    "? ",
    "|\n  ",
    ">-\n  ",
    "#",
    "\t",
    "\u{feff}",
    "version: \"3.0\"\n",
    "services:\n",
    "  web:\n    image: x\n",
    "deploy:\n",
    "replicas: ",
    "ports:\n  - ",
    "\"80:80\"",
    "volumes:\n  - ",
    "/a:/b:ro",
    "networks:\n",
    "secrets:\n",
    "external: true\n",
    "mode: global\n",
    "x-",
    "null",
    "true",
    "yes",
    "18446744073709551616",
];

fn seeds() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                out.push(fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    out.sort();
    out
}

fn hostile() -> Vec<String> {
    let mut v = vec![
        "[".repeat(10_000),
        "{a: ".repeat(5_000),
        "- ".repeat(3_000) + "x",
        format!("services:\n  web:\n    image: x\n    labels:\n{}", "      a: b\n".repeat(2)),
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n".to_string(),
        "x: &x\n  <<: *x\n".into(),
        "services:\n  web:\n    image: x\n    ulimits:\n      NO_FILE:\n        soft: a\n".into(),
        "services:\n  web:\n    image: x\n    ulimits:\n      NOFILE: {}\n".into(),
        "services:\n  web:\n    image: x\n    deploy:\n      replicas: 99999999999999999999999\n".into(),
        "services:\n  web:\n    image: x\n    ports: [\"65535-0:1\", \"1-65535\"]\n".into(),
        "services:\n  web:\n    image: x\n    deploy:\n      resources:\n        limits:\n          cpus: \"1e999999\"\n          memory: \"99999999999999999999P\"\n".into(),
        "services:\n  web:\n    image: x\n    stop_grace_period: 9999999999999h\n".into(),
        "services:\n  web:\n    image: \"${A:-${B:-${C}}}\"\n    command: \"$$$$$${{{}}}\"\n".into(),
        "services:\n  \"\": {image: x}\n".into(),
        "\u{0}\u{1}\u{2}".into(),
        String::new(),
        "---\n...\n---\n".into(),
    ];
    let mut nested = String::from("services:\n  web:\n    image: x\n    x-deep: ");
    for _ in 0..150 {
        nested.push_str("{a: [");
    }
    v.push(nested);
    v
}

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = bytes.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => bytes.truncate(rng.below(len)),
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let i = rng.below(len + 1);
                bytes.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let j = (i + rng.below(64)).min(len);
                bytes.drain(i..j);
            }
            4 => {
                // duplicate a line
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    let mut v = lines.clone();
                    v.insert(i, lines[i]);
                    bytes = v.join("\n").into_bytes();
                }
            }
            5 => {
                // change the indentation of a line
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    lines[i] = format!("{}{}", " ".repeat(rng.below(6)), lines[i].trim_start());
                    bytes = lines.join("\n").into_bytes();
                }
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.extend_from_slice(t);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Values that fit (or nearly fit) compose fields, to reach decoding and conversion.
const VALUES: &[&str] = &[
    "x",
    "\"\"",
    "0",
    "1",
    "-1",
    "3",
    "1.5",
    "true",
    "null",
    "\"3\"",
    "[]",
    "{}",
    "[a, b]",
    "[\"80:80\", 81, {target: 82, published: 0, mode: host, protocol: UDP}]",
    "[/a, \"b:/c:ro\", {type: bind, source: ./x, target: /y}, {type: tmpfs, target: /t, tmpfs: {size: 5}}, {type: cluster, source: v, target: /v}, {type: npipe, target: /p}, {type: image, source: i, target: /i}]",
    "{a: 1, b: null}",
    "[A=1, B]",
    "\"${X}\"",
    "\"${N:-2}\"",
    "1m30s",
    "0s",
    "\"0.5\"",
    "\"1/3\"",
    "\"512M\"",
    "always",
    "\"on-failure:2\"",
    "global",
    "replicated-job",
    "global-job",
    "weird",
    "{condition: any, delay: 1s, max_attempts: 0}",
    "{parallelism: 0, order: start-first}",
    "{limits: {cpus: \"0.25\", memory: 1g, pids: 3}, reservations: {generic_resources: [{discrete_resource_spec: {kind: g, value: 1}}]}}",
    "[s1, {source: s2, target: t, mode: 0400}]",
    "[c1, {source: c2, target: /c}]",
    "{config: c1}",
    "{file: f, registry: r}",
    "[n1, n2]",
    "{n1: {aliases: [a]}, default: null}",
    "{nofile: 5, nproc: {soft: 1, hard: 2}}",
    "[ALL, net_admin]",
    "{test: [CMD, x], disable: true}",
    "{test: x, retries: 2}",
    "{driver: syslog, options: {a: 1}}",
    "[8.8.8.8, bad]",
    "[\"h:1.2.3.4\", \"h2=::1\"]",
];

const KEYS: &[&str] = &[
    "image",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "labels",
    "ports",
    "volumes",
    "secrets",
    "configs",
    "credential_spec",
    "networks",
    "ulimits",
    "cap_add",
    "cap_drop",
    "healthcheck",
    "logging",
    "dns",
    "dns_search",
    "extra_hosts",
    "restart",
    "init",
    "tty",
    "user",
    "working_dir",
    "stop_grace_period",
    "sysctls",
    "isolation",
    "hostname",
];

const DEPLOY_KEYS: &[&str] = &[
    "mode",
    "replicas",
    "labels",
    "update_config",
    "rollback_config",
    "resources",
    "restart_policy",
    "placement",
    "endpoint_mode",
];

fn structured(rng: &mut Rng) -> String {
    let mut out = String::from("services:\n");
    for s in 0..1 + rng.below(3) {
        out.push_str(&format!("  s{s}:\n    image: nginx\n"));
        for _ in 0..rng.below(8) {
            let k = KEYS[rng.below(KEYS.len())];
            let v = VALUES[rng.below(VALUES.len())];
            if k != "image" {
                out.push_str(&format!("    {k}: {v}\n"));
            }
        }
        if rng.below(2) == 0 {
            out.push_str("    deploy:\n");
            let mut used = Vec::new();
            for _ in 0..rng.below(4) {
                let k = DEPLOY_KEYS[rng.below(DEPLOY_KEYS.len())];
                if !used.contains(&k) {
                    used.push(k);
                    out.push_str(&format!("      {k}: {}\n", VALUES[rng.below(VALUES.len())]));
                }
            }
        }
    }
    let tops = [
        "networks:\n  n1: {}\n  n2:\n    external: true\n",
        "volumes:\n  v: {}\n",
        "secrets:\n  s1:\n    file: ./x\n  s2:\n    external: true\n",
        "configs:\n  c1:\n    file: /w/x\n  c2:\n    file: ./missing\n",
    ];
    for t in tops {
        if rng.below(2) == 0 {
            out.push_str(t);
        }
    }
    out
}

fn exercise(text: &str, second: Option<&str>) {
    let mut env = BTreeMap::new();
    env.insert("HOME".to_string(), "/home/fuzz".to_string());
    env.insert("X".to_string(), "1".to_string());
    env.insert("N".to_string(), "3".to_string());
    let mut files = MemoryFiles::default();
    files.insert("/w/x", "data");
    files.insert("/w/.env", "A=1\nB\n");
    let opts = LoadOptions::new(&env, Path::new("/w"), &files);
    let mut input = vec![ComposeFile::new("a.yml", text)];
    if let Some(s) = second {
        input.push(ComposeFile::new("b.yml", s));
    }
    if let Ok(loaded) = compose::load_config(&input, &opts) {
        let _ = compose::config_yaml(&loaded.config);
        let _ = compose::convert("fuzz", &loaded.config, &opts);
    }
    let _ = compose::load(&input, &opts);
    let skip = LoadOptions {
        skip_interpolation: true,
        ..opts
    };
    let _ = compose::load_config(&input, &skip);
}

#[test]
fn load_and_convert_never_panic() {
    let iterations: usize = std::env::var("BERTH_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_500);
    let seeds = seeds();
    assert!(!seeds.is_empty());
    let mut inputs: Vec<(String, Option<String>)> =
        hostile().into_iter().map(|h| (h, None)).collect();
    inputs.extend(seeds.iter().map(|s| (s.clone(), None)));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..iterations {
        let s = &seeds[rng.below(seeds.len())];
        let m = mutate(&mut rng, s);
        let second = if rng.below(8) == 0 {
            let other = rng.below(seeds.len());
            Some(mutate(&mut rng, &seeds[other]))
        } else {
            None
        };
        inputs.push((m, second));
    }
    for _ in 0..iterations {
        inputs.push((structured(&mut rng), None));
    }
    let start = std::time::Instant::now();
    for (text, second) in &inputs {
        let r = catch_unwind(AssertUnwindSafe(|| exercise(text, second.as_deref())));
        assert!(
            r.is_ok(),
            "panicked on input:\n{text}\n--- second file:\n{second:?}"
        );
    }
    println!(
        "compose fuzz: {} inputs in {:?}, no panic",
        inputs.len(),
        start.elapsed()
    );
}
