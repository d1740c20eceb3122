//! A stack as berth's editor holds it: a name, one compose text and the env text (or, from a
//! git source, several compose files merged in order like `docker stack deploy -c a -c b`).
//! Checks them the way a deploy would (name, variables, load, merge, convert) and reports every
//! problem with the place to show it: the name field, a line of the env text, or a line and
//! column of a compose file.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ComposeError, ComposeFile, Config, FileSource, LoadOptions, StackSpec};

/// The file name compose errors carry for text typed in the editor.
pub const EDITOR_FILE: &str = "docker-compose.yml";

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Compose,
    Env,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Compose => "compose",
            Field::Env => "env",
        }
    }
}

/// One problem, ready for display next to its field or line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub path: Option<String>,
    /// the compose file it is in, when there are several
    pub file: Option<String>,
    pub message: String,
}

impl Problem {
    fn from(field: Field, e: ComposeError) -> Problem {
        Problem {
            field,
            line: e.line,
            column: e.column,
            path: e.path,
            file: e.file,
            message: e.message,
        }
    }

    /// `line 12, column 7: services.web.deploy.replicas must be a integer`
    pub fn located(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: {}", self.message),
            (Some(l), None) => format!("line {l}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// A source that passed every check: what a deploy needs.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub env: BTreeMap<String, String>,
    pub config: Config,
    pub spec: StackSpec,
    pub warnings: Vec<String>,
}

impl Checked {
    /// The compose service keys, sorted.
    pub fn service_keys(&self) -> Vec<String> {
        self.spec.services.iter().map(|s| s.key.clone()).collect()
    }
}

/// Checks a stack source. Relative paths (bind mounts, `file:`) resolve against `/`, and files
/// are read from `files` (what was uploaded with the compose file). CPU-bound: call it from
/// `spawn_blocking` in async code.
pub fn check(
    name: &str,
    compose: &str,
    env_text: &str,
    files: &dyn FileSource,
) -> Result<Checked, Vec<Problem>> {
    check_files(
        name,
        &[ComposeFile::new(EDITOR_FILE, compose)],
        env_text,
        files,
    )
}

/// [`check`] for several compose files, merged in order (`-c a -c b`); their sizes count
/// together against the compose limit.
pub fn check_files(
    name: &str,
    compose: &[ComposeFile],
    env_text: &str,
    files: &dyn FileSource,
) -> Result<Checked, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = match super::validate_stack_name(name) {
        Ok(n) if !n.trim().is_empty() => Some(n.trim().to_string()),
        Ok(_) => {
            problems.push(Problem::from(
                Field::Name,
                ComposeError::new("a stack needs a name"),
            ));
            None
        }
        Err(e) => {
            problems.push(Problem::from(Field::Name, e));
            None
        }
    };
    if let Some(n) = &name
        && let Err(m) = stack_name_rules(n)
    {
        problems.push(Problem::from(Field::Name, ComposeError::new(m)));
    }
    if compose.len() > super::limits::MAX_COMPOSE_FILES {
        problems.push(Problem::from(
            Field::Compose,
            ComposeError::new(format!(
                "at most {} compose files are merged",
                super::limits::MAX_COMPOSE_FILES
            )),
        ));
        return Err(problems);
    }
    // sizes before any work: a file too large is refused whole
    let first = compose.first().map_or(EDITOR_FILE, |f| f.name.as_str());
    let total = compose.iter().map(|f| f.content.len()).sum();
    let sizes = [
        (Field::Compose, super::limits::check_compose(first, total)),
        (Field::Env, super::limits::check_env("env", env_text.len())),
    ];
    let too_large: Vec<Problem> = sizes
        .into_iter()
        .filter_map(|(f, r)| r.err().map(|e| Problem::from(f, e)))
        .collect();
    if !too_large.is_empty() {
        problems.extend(too_large);
        return Err(problems);
    }
    let env = match super::dotenv::parse(env_text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem::from(Field::Env, e));
            return Err(problems);
        }
    };
    if let Some(empty) = compose.iter().find(|f| f.content.trim().is_empty()) {
        let mut e = ComposeError::new("the compose file is empty");
        if compose.len() > 1 {
            e.message = format!("{} is empty", empty.name);
            e.file = Some(empty.name.clone());
        }
        problems.push(Problem::from(Field::Compose, e));
        return Err(problems);
    }
    let opts = LoadOptions::new(&env, Path::new("/"), files);
    let loaded = match super::load(compose, &opts) {
        Ok(l) => l,
        Err(e) => {
            problems.push(Problem::from(Field::Compose, e));
            return Err(problems);
        }
    };
    let Some(name) = name.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    match super::convert(&name, &loaded.config, &opts) {
        Ok(spec) => Ok(Checked {
            name,
            env,
            config: loaded.config,
            spec,
            warnings: loaded.warnings,
        }),
        Err(e) => Err(vec![Problem::from(Field::Compose, e)]),
    }
}

/// The CLI accepts any non-blank name; the daemon then refuses names that make invalid service
/// names. berth says so up front: a stack name becomes the prefix of every object's name.
pub fn stack_name_rules(name: &str) -> Result<(), String> {
    if name.len() > 50 {
        return Err("the stack name is too long (at most 50 characters)".into());
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    let starts_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !ok_chars || !starts_ok {
        return Err(format!(
            "invalid stack name {name:?}: use letters, digits, '-', '_' and '.', starting with a letter or digit \
             (it prefixes every service, network, secret and config name)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{MemoryFiles, limits};

    const OK: &str =
        "services:\n  web:\n    image: nginx:${TAG:-1}\n    deploy:\n      replicas: 2\n";

    #[test]
    fn a_good_source_converts_with_its_variables() {
        let c = check("shop", OK, "TAG=1.27\n", &MemoryFiles::default()).unwrap();
        assert_eq!(c.name, "shop");
        assert_eq!(c.service_keys(), vec!["web"]);
        assert_eq!(c.spec.services[0].image, "nginx:1.27");
    }

    #[test]
    fn problems_point_at_their_field_and_line() {
        let bad = "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: lots\n";
        let p = check("shop", bad, "", &MemoryFiles::default()).unwrap_err();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, Field::Compose);
        assert_eq!(p[0].line, Some(5));
        assert_eq!(p[0].path.as_deref(), Some("services.web.deploy.replicas"));
        assert!(
            p[0].located().starts_with("line 5, column"),
            "{}",
            p[0].located()
        );

        let p = check("shop", OK, "TAG\n", &MemoryFiles::default()).unwrap_err();
        assert_eq!((p[0].field, p[0].line), (Field::Env, Some(1)));

        let p = check("bad name!", OK, "", &MemoryFiles::default()).unwrap_err();
        assert_eq!(p[0].field, Field::Name);
        let p = check("  ", OK, "", &MemoryFiles::default()).unwrap_err();
        assert_eq!(p[0].field, Field::Name);
    }

    #[test]
    fn several_files_merge_in_order_and_problems_name_their_file() {
        let base = ComposeFile::new("compose.yaml", OK);
        let prod = ComposeFile::new(
            "compose.prod.yaml",
            "services:\n  web:\n    image: nginx:2\n",
        );
        let c = check_files("shop", &[base.clone(), prod], "", &MemoryFiles::default()).unwrap();
        assert_eq!(c.spec.services[0].image, "nginx:2");
        let bad = ComposeFile::new(
            "compose.prod.yaml",
            "services:\n  web:\n    deploy:\n      replicas: lots\n",
        );
        let p = check_files("shop", &[base.clone(), bad], "", &MemoryFiles::default()).unwrap_err();
        assert_eq!(p[0].file.as_deref(), Some("compose.prod.yaml"));
        assert_eq!(p[0].line, Some(4));
        // at most MAX_COMPOSE_FILES, and their sizes count together
        let many = vec![base.clone(); limits::MAX_COMPOSE_FILES + 1];
        let p = check_files("shop", &many, "", &MemoryFiles::default()).unwrap_err();
        assert!(p[0].message.contains("at most"), "{}", p[0].message);
        let half = format!("{OK}#{}\n", "x".repeat(limits::MAX_COMPOSE_BYTES / 2));
        let two = [
            ComposeFile::new("a.yaml", half.clone()),
            ComposeFile::new("b.yaml", half),
        ];
        let p = check_files("shop", &two, "", &MemoryFiles::default()).unwrap_err();
        assert!(p[0].message.contains("too large"), "{}", p[0].message);
    }

    #[test]
    fn a_required_variable_names_itself() {
        let src = "services:\n  web:\n    image: nginx:${TAG:?set TAG}\n";
        let p = check("shop", src, "", &MemoryFiles::default()).unwrap_err();
        assert!(
            p[0].message
                .contains("required variable TAG is missing a value"),
            "{:?}",
            p[0]
        );
        assert_eq!(p[0].line, Some(3));
    }

    #[test]
    fn sources_over_the_size_limits_are_refused_before_parsing() {
        use crate::compose::limits::{MAX_COMPOSE_BYTES, MAX_ENV_BYTES};
        let big = format!("{OK}#{}\n", "x".repeat(MAX_COMPOSE_BYTES));
        let p = check("shop", &big, "", &MemoryFiles::default()).unwrap_err();
        assert_eq!(p[0].field, Field::Compose);
        assert!(p[0].message.contains("too large"), "{:?}", p[0]);
        let env = format!("A={}\n", "x".repeat(MAX_ENV_BYTES));
        let p = check("shop", OK, &env, &MemoryFiles::default()).unwrap_err();
        assert_eq!(p[0].field, Field::Env);
        assert!(p[0].message.contains("too large"), "{:?}", p[0]);
    }

    #[test]
    fn files_must_be_uploaded() {
        let src = "services:\n  web:\n    image: nginx\n    secrets: [pw]\nsecrets:\n  pw:\n    file: ./pw.txt\n";
        let p = check("shop", src, "", &MemoryFiles::default()).unwrap_err();
        assert!(p[0].message.contains("pw.txt"), "{:?}", p[0]);
        let mut files = MemoryFiles::default();
        files.insert("/pw.txt", b"s3cret".to_vec());
        assert!(check("shop", src, "", &files).is_ok());
    }
}
