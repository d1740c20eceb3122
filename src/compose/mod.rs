//! Compose files for `docker stack deploy`: load, interpolate, validate, merge and convert
//! v3.x compose files exactly like the docker CLI (`docker stack deploy` / `docker stack config`,
//! docker/cli `cli/compose/*` and `cli/command/stack/*`), as a pure module: no Docker calls, and
//! file access only through a [`FileSource`].
//!
//! The reference is `STACK_DEPLOY_SPEC.md` (sections 2, 3, 4, 6 `config`, 7, 8). Parity with
//! docker CLI 28.2.2 is checked on a corpus of real stack files (`tests/compose/corpus.rs`) and
//! on CLI output recorded for focused fixtures (`tests/compose/loader.rs`,
//! `tests/compose/convert.rs`).
//!
//! # Pipeline
//! ```text
//! ComposeFile ─▶ yaml (tree + positions) ─▶ forbidden check ─▶ interpolate ─▶ schema
//!             ─▶ decode (typed, env files, bind paths) ─▶ merge ─▶ Config
//! Config ─▶ config_yaml            (what `docker stack config` prints)
//! Config ─▶ convert ─▶ StackSpec   (networks, secrets, configs, services as Engine specs)
//! ```
//!
//! # Use
//! ```no_run
//! use std::collections::BTreeMap;
//! use berth::compose::{self, ComposeFile, LoadOptions, MemoryFiles};
//!
//! let env: BTreeMap<String, String> = BTreeMap::new();
//! let files = MemoryFiles::default();
//! let opts = LoadOptions::new(&env, "/srv/stacks/web", &files);
//! let text = "services:\n  web:\n    image: nginx\n".to_string();
//! let loaded = compose::load(&[ComposeFile::new("docker-compose.yml", text)], &opts)?;
//! for w in &loaded.warnings {
//!     eprintln!("{w}");
//! }
//! let stack = compose::validate_stack_name("web")?;
//! let spec = compose::convert(&stack, &loaded.config, &opts)?;
//! # Ok::<(), compose::ComposeError>(())
//! ```
//!
//! # Deviations from the CLI (all deliberate, all small)
//! * Go iterates maps in random order, so when several things are wrong the CLI reports a
//!   random one; here the first in document (or sorted) order is reported.
//! * The forbidden-properties message follows the spec/CLI v29 (`compose file contains
//!   unsupported options:`); CLI 28.2.2 capitalised `Compose` (and `stack config` printed only
//!   `Configuration contains forbidden properties`).
//! * Conversion follows CLI v29 where it changed since v28 (the spec's reference): ports sorted
//!   by (published, target, protocol, mode), invalid `dns` entries dropped, `restart:` fallback
//!   messages and `on-failure` without a count leaving `MaxAttempts` unset, empty placement
//!   preferences omitted.
//! * `oom_score_adj` is validated (v3.13) but, as in every CLI version, never reaches the
//!   service (the Go struct field has no `mapstructure` tag).
//! * Unquoted timestamps are printed the way Go prints `time.Time`; a `+00:00` offset reads as
//!   UTC, as it does for the CLI on a machine whose local zone is UTC.
//! * Inputs that make the CLI panic (e.g. `ulimits: {x: {soft: "a"}}` with a name the schema
//!   does not check) are errors here.
//! * Hex floats and `0x` rationals are not accepted in `cpus`/casts (Go's parsers accept them).
//! * See [`mod@convert`] for the differences in the request bodies.

mod checks;
pub mod convert;
mod decode;
pub mod dotenv;
mod emit;
mod envfile;
mod error;
mod gofmt;
mod interpolate;
pub mod limits;
mod merge;
mod paths;
pub mod retag;
mod schema;
pub mod source;
pub mod types;
mod volumespec;
mod yaml;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub use convert::{ConfigPlan, NetworkPlan, SecretPlan, ServicePlan, StackSpec};
pub use error::{ComposeError, Location, Pos};
pub use types::Config;

use error::Location as Loc;
use yaml::{Kind, Node};

/// One compose file as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFile {
    /// Name shown in errors, e.g. `docker-compose.yml`.
    pub name: String,
    /// The YAML text.
    pub content: String,
}

impl ComposeFile {
    /// A file from a name and its text.
    pub fn new(name: impl Into<String>, content: impl Into<String>) -> ComposeFile {
        ComposeFile {
            name: name.into(),
            content: content.into(),
        }
    }
}

/// Read access to the files a compose file refers to (`env_file:`, secret/config `file:`).
pub trait FileSource: Send + Sync {
    /// Reads a whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// Reads from the local disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskFiles;

impl FileSource for DiskFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// Files held in memory (e.g. uploaded with a compose text typed in the browser). Any path not
/// present reads as "no such file or directory".
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryFiles {
    /// The files, by path.
    pub fn entries(&self) -> impl Iterator<Item = (&Path, &[u8])> {
        self.files.iter().map(|(p, d)| (p.as_path(), d.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl Into<PathBuf>, data: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), data.into());
    }
}

impl FileSource for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(d) => Ok(d.clone()),
            None if self.files.keys().any(|k| k.starts_with(path)) => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            )),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no such file or directory",
            )),
        }
    }
}

/// Reads through a [`FileSource`], with Go's `os.ReadFile` error texts
/// (`open <path>: no such file or directory`, `read <path>: is a directory`).
pub(crate) fn read_file(files: &dyn FileSource, path: &str) -> Result<Vec<u8>, String> {
    files.read(Path::new(path)).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => format!("open {path}: no such file or directory"),
        io::ErrorKind::PermissionDenied => format!("open {path}: permission denied"),
        io::ErrorKind::IsADirectory => format!("read {path}: is a directory"),
        _ => format!("open {path}: {e}"),
    })
}

/// Options for [`load`], [`load_config`] and [`convert()`].
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    /// The variables used for interpolation, `environment:` pass-through, bare `env_file`
    /// keys and `~` (`HOME`): what the CLI takes from its process environment.
    pub env: &'a BTreeMap<String, String>,
    /// Directory that relative paths resolve against: the directory of the first compose file.
    pub working_dir: &'a Path,
    /// Where `env_file` and secret/config files are read from.
    pub files: &'a dyn FileSource,
    /// `docker stack config --skip-interpolation`.
    pub skip_interpolation: bool,
}

impl<'a> LoadOptions<'a> {
    /// Options with interpolation on.
    pub fn new(
        env: &'a BTreeMap<String, String>,
        working_dir: &'a (impl AsRef<Path> + ?Sized),
        files: &'a dyn FileSource,
    ) -> LoadOptions<'a> {
        LoadOptions {
            env,
            working_dir: working_dir.as_ref(),
            files,
            skip_interpolation: false,
        }
    }
}

/// The result of loading.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The merged model.
    pub config: Config,
    /// What the CLI prints to stderr while loading: logrus warnings (ignored host IPs,
    /// deprecated `external.name`, `~` without `HOME`) and the
    /// `Ignoring unsupported options: …` / `Ignoring deprecated options: …` notices.
    pub warnings: Vec<String>,
}

const DEFAULT_VERSION: &str = "3.13";

/// `schema.Version`: the `version` value formatted with `%v`, `""`/`"3"` → `3.13`.
fn version_of(root: &Node) -> String {
    let v = match root.get("version") {
        None => return DEFAULT_VERSION.into(),
        Some(v) => v,
    };
    let s = gofmt::go_sprint(v);
    match s.as_str() {
        "" | "3" => DEFAULT_VERSION.into(),
        _ => s,
    }
}

fn parse_file(file: &ComposeFile) -> Result<Node, ComposeError> {
    limits::check_compose(&file.name, file.content.len())?;
    let root = yaml::parse(&file.content).map_err(|e| e.in_file(&file.name))?;
    match root {
        Some(n) if matches!(n.kind, Kind::Map(_)) && n.is_string_map() => {
            yaml::check_paths(&n, &file.name)?;
            Ok(n)
        }
        other => {
            let pos = other.map(|n| n.pos).unwrap_or(Pos::new(1, 1));
            Err(ComposeError::new("top-level object must be a mapping").at_pos(&file.name, pos))
        }
    }
}

/// Records every key path of a file (for error locations after decoding).
fn index_locations(node: &Node, path: &str, file: &str, out: &mut types::Locations) {
    match &node.kind {
        Kind::Map(entries) => {
            for e in entries {
                let p = if path.is_empty() {
                    e.key.clone()
                } else {
                    format!("{path}.{}", e.key)
                };
                out.insert(
                    p.clone(),
                    Loc {
                        file: file.to_string(),
                        pos: e.key_pos,
                    },
                );
                index_locations(&e.value, &p, file, out);
            }
        }
        Kind::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                let p = format!("{path}.{i}");
                out.insert(
                    p.clone(),
                    Loc {
                        file: file.to_string(),
                        pos: it.pos,
                    },
                );
                index_locations(it, &p, file, out);
            }
        }
        _ => {}
    }
}

/// Loads like `docker stack config`: parse, forbidden-key check, interpolate, validate, decode
/// and merge every file (no image check).
pub fn load_config(files: &[ComposeFile], opts: &LoadOptions<'_>) -> Result<Loaded, ComposeError> {
    if files.is_empty() {
        return Err(ComposeError::new(
            "specify a Compose file (with --compose-file)",
        ));
    }
    let mut raws = Vec::with_capacity(files.len());
    for f in files {
        raws.push(parse_file(f)?);
    }
    let working_dir = opts.working_dir.to_string_lossy().into_owned();
    let mut warnings = Vec::new();
    let mut details_version: Option<String> = None;
    let mut configs = Vec::with_capacity(files.len());
    for (file, raw) in files.iter().zip(&raws) {
        let version = version_of(raw);
        let first = details_version
            .get_or_insert_with(|| version.clone())
            .clone();
        if first != version {
            return Err(ComposeError::new(format!(
                "version mismatched between two composefiles : {first} and {version}"
            ))
            .with_path("version")
            .at_pos(
                &file.name,
                raw.entry("version")
                    .map(|e| e.key_pos)
                    .unwrap_or(Pos::new(1, 1)),
            ));
        }
        checks::check_forbidden(raw, &file.name)?;
        let mut tree = raw.clone();
        if !opts.skip_interpolation {
            interpolate::interpolate_tree(&mut tree, opts.env, &file.name)?;
        }
        schema::validate(&tree, &first, &file.name).map_err(|e| {
            if e.message.starts_with("unsupported Compose file version") {
                let pos = raw
                    .entry("version")
                    .map(|e| e.key_pos)
                    .unwrap_or(Pos::new(1, 1));
                ComposeError::new(e.message)
                    .with_path("version")
                    .at_pos(&file.name, pos)
            } else {
                e
            }
        })?;
        let file_version = version_of(&tree);
        let mut ctx = decode::Ctx {
            file: &file.name,
            version: &first,
            working_dir: &working_dir,
            env: opts.env,
            files: opts.files,
            warnings: &mut warnings,
        };
        let mut cfg = decode::load_sections(&tree, &mut ctx)?;
        cfg.version = file_version;
        index_locations(&tree, "", &file.name, &mut cfg.locations);
        configs.push(cfg);
    }
    let mut iter = configs.into_iter();
    let Some(mut merged) = iter.next() else {
        return Err(ComposeError::new("no files specified"));
    };
    for over in iter {
        merged = merge::merge(merged, over);
    }
    let refs: Vec<&Node> = raws.iter().collect();
    warnings.extend(checks::property_notices(&refs));
    Ok(Loaded {
        config: merged,
        warnings,
    })
}

/// Loads like `docker stack deploy` does before contacting the daemon: [`load_config`] plus
/// the image check (`invalid image reference for service <svc>: …`).
pub fn load(files: &[ComposeFile], opts: &LoadOptions<'_>) -> Result<Loaded, ComposeError> {
    let loaded = load_config(files, opts)?;
    checks::check_images(&loaded.config)?;
    Ok(loaded)
}

/// What `docker stack config` prints for a loaded config (yaml.v3 layout, 2-space indent).
pub fn config_yaml(cfg: &Config) -> String {
    emit::config_yaml(cfg)
}

/// Converts a loaded config into the specs a deploy of stack `stack` creates. Reads secret and
/// config files through `opts.files`. Secret/config IDs are left empty: see
/// [`ServicePlan::resolve_ids`].
pub fn convert(
    stack: &str,
    cfg: &Config,
    opts: &LoadOptions<'_>,
) -> Result<StackSpec, ComposeError> {
    convert::convert(stack, cfg, opts)
}

/// `validateStackName`: after trimming whitespace and quotes the name must not be empty.
/// Returns the name unchanged (the CLI uses the untrimmed name).
pub fn validate_stack_name(raw: &str) -> Result<String, ComposeError> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
    if trimmed.is_empty() {
        return Err(ComposeError::new(format!(
            "invalid stack name: {}",
            gofmt::go_quote(raw)
        )));
    }
    Ok(raw.to_string())
}

/// The image as the client sends it (`nginx` → `nginx:latest`,
/// `docker.io/library/nginx` → `nginx:latest`); unparseable strings are returned unchanged.
/// STACK_DEPLOY_SPEC 5.5 step 1.
pub fn normalize_image(image: &str) -> String {
    crate::syntax::reference::normalize_image(image)
}
