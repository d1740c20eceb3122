//! Fetching one commit: a handshake lists the remote's refs (cheap: no objects), and only when
//! the ref names a commit other than the one berth has does a shallow fetch (depth 1, no tags)
//! bring that commit into a fresh bare repository in the data directory. The named files are
//! read out of its tree (each size checked from the object header before it is read), then the
//! repository is deleted: nothing stays on disk between syncs.
//!
//! TLS: gix's reqwest transport is handed berth's client configuration ([`crate::trust`]):
//! Mozilla's roots plus the source's own CA certificate, never the system store (the image
//! has none) and never without verification. The token is only given to an https URL (or
//! plain http to this machine).
//!
//! Bounds: a watchdog thread interrupts the fetch when the download passes
//! [`Limits::max_download`] bytes or [`Limits::timeout`]; files obey the compose limits.
//! Blocking: call it from `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gix::protocol::transport::client::blocking_io::http;

use super::{GitRef, Repo};
use crate::compose::limits;

/// How much a fetch may download and how long it may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_download: u64,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_download: 64 * 1024 * 1024,
            timeout: Duration::from_secs(120),
        }
    }
}

/// A commit as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Commit {
    pub sha: String,
    /// the first line of its message, at most 200 characters
    pub message: String,
    /// `Name <email>`
    pub author: String,
}

/// What a fetch brought: the commit and the files named, as text.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub commit: Commit,
    /// (path, text) of each compose file, in order
    pub compose: Vec<(String, String)>,
    pub env: Option<(String, String)>,
}

/// Why a fetch failed (each a sentence a user can act on; never holds the token).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot fetch from the repository: {0}")]
    Remote(String),
    #[error("the repository's certificate is not trusted: {0}")]
    Certificate(String),
    #[error("{0}")]
    TokenNotSent(String),
    #[error("the repository has no {kind} {name:?}")]
    NoSuchRef { kind: &'static str, name: String },
    #[error("the download passed the limit of {}", limits::human(*.0 as usize))]
    TooLarge(u64),
    #[error("the fetch took longer than {0} s")]
    Timeout(u64),
    #[error("{path}: not in commit {sha}")]
    Missing { path: String, sha: String },
    #[error("{path}: not a file in commit {sha}")]
    NotAFile { path: String, sha: String },
    #[error("{path}: {size} bytes, larger than the {} accepted", limits::human(*max))]
    FileTooLarge { path: String, size: u64, max: usize },
    #[error("the compose files are {size} bytes together, larger than the {} accepted", limits::human(*max))]
    ComposeTooLarge { size: u64, max: usize },
    #[error("{path}: not UTF-8 text")]
    NotText { path: String },
    #[error("the fetched repository is unreadable: {0}")]
    Local(String),
}

fn local(e: impl std::fmt::Display) -> FetchError {
    FetchError::Local(e.to_string())
}

/// Fetches the commit `repo`'s ref names into `dir` (created fresh, deleted afterwards) and
/// reads its files; `Ok(None)` when that commit is `known` (nothing is downloaded).
pub fn fetch(
    dir: &Path,
    repo: &Repo,
    token: Option<&str>,
    known: Option<&str>,
    limits: Limits,
) -> Result<Option<Fetched>, FetchError> {
    if let GitRef::Commit(sha) = &repo.git_ref
        && known == Some(sha.as_str())
    {
        return Ok(None);
    }
    let _ = std::fs::remove_dir_all(dir);
    let result = fetch_into(dir, repo, token, known, limits);
    let _ = std::fs::remove_dir_all(dir);
    result
}

/// The commit id the ref names on the remote, without fetching objects.
pub fn remote_head(dir: &Path, repo: &Repo, token: Option<&str>) -> Result<String, FetchError> {
    let _ = std::fs::remove_dir_all(dir);
    let result = (|| {
        let local_repo = init(dir)?;
        let remote = remote(&local_repo, repo)?;
        let conn = connect(&remote, repo, token)?;
        let prepare = conn
            .prepare_fetch(gix::progress::Discard, Default::default())
            .map_err(remote_error)?;
        target(prepare.ref_map(), &repo.git_ref)
    })();
    let _ = std::fs::remove_dir_all(dir);
    result
}

fn init(dir: &Path) -> Result<gix::Repository, FetchError> {
    // reqwest (inside gix) takes rustls's process-wide provider: ring, as for berth's own TLS
    // (see src/tls.rs for why ring)
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(local)?;
    }
    let repo = gix::ThreadSafeRepository::init_opts(
        dir,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .map_err(local)?;
    Ok(repo.to_thread_local())
}

fn remote<'r>(local_repo: &'r gix::Repository, repo: &Repo) -> Result<gix::Remote<'r>, FetchError> {
    let spec = match &repo.git_ref {
        GitRef::Commit(sha) => format!("{sha}:refs/berth/source"),
        r => format!("+{}:refs/berth/source", r.remote_name()),
    };
    local_repo
        .remote_at(repo.url.as_str())
        .map_err(|e| FetchError::Remote(e.to_string()))?
        .with_fetch_tags(gix::remote::fetch::Tags::None)
        .with_refspecs([spec.as_str()], gix::remote::Direction::Fetch)
        .map_err(local)
}

type Conn<'a, 'r> = gix::remote::Connection<
    'a,
    'a,
    'r,
    Box<dyn gix::protocol::transport::client::blocking_io::Transport + Send>,
>;

/// Connects with berth's TLS trust (Mozilla's roots and the source's CA) and the token as
/// the password when the server asks (never from git's credential helpers or the
/// environment; refused before any request when the URL would carry it in the clear).
fn connect<'a, 'r>(
    remote: &'a gix::Remote<'r>,
    repo: &Repo,
    token: Option<&str>,
) -> Result<Conn<'a, 'r>, FetchError> {
    if token.is_some() {
        super::token_may_go_to(&repo.url).map_err(FetchError::TokenNotSent)?;
    }
    let token = token.map(str::to_string);
    let conn = remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(remote_error)?
        .with_transport_options(Box::new(transport_options(repo.ca_pem.as_deref())?));
    Ok(conn.with_credentials(move |action| match action {
        gix::credentials::helper::Action::Get(ctx) => match &token {
            Some(t) => Ok(Some(gix::credentials::protocol::Outcome {
                credentials: gix::sec::identity::Credentials::UsernamePassword {
                    username: "x-access-token".into(),
                    password: t.clone(),
                    oauth_refresh_token: None,
                },
                next: ctx.into(),
            })),
            None => Ok(None),
        },
        _ => Ok(None),
    }))
}

/// The HTTP transport's options: reqwest built with berth's rustls configuration.
fn transport_options(ca_pem: Option<&str>) -> Result<http::Options, FetchError> {
    let tls = crate::trust::client_config(ca_pem).map_err(FetchError::Certificate)?;
    let configure: Box<http::reqwest::ConfigureClientFn> = Box::new(move |builder| {
        Ok(builder
            .use_preconfigured_tls(tls.clone())
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION"))))
    });
    let backend = http::reqwest::Options {
        configure_client: Some(configure),
        configure_request: None,
    };
    Ok(http::Options {
        connect_timeout: Some(Duration::from_secs(20)),
        backend: Some(Arc::new(std::sync::Mutex::new(backend))),
        ..Default::default()
    })
}

/// A failure talking to the remote: a certificate refused is said so, in words.
fn remote_error<E: std::error::Error + 'static>(e: E) -> FetchError {
    match crate::trust::CertProblem::of(&e)
        .or_else(|| crate::trust::CertProblem::in_text(&format!("{e:?}")))
    {
        Some(p) => FetchError::Certificate(p.reason("the repository's")),
        None => FetchError::Remote(e.to_string()),
    }
}

/// The commit the ref map names for `git_ref`.
fn target(map: &gix::protocol::fetch::RefMap, git_ref: &GitRef) -> Result<String, FetchError> {
    if let GitRef::Commit(sha) = git_ref {
        return Ok(sha.clone());
    }
    map.mappings
        .iter()
        .find_map(|m| m.remote.peeled_id().or_else(|| m.remote.as_id()))
        .map(|id| id.to_string())
        .ok_or_else(|| FetchError::NoSuchRef {
            kind: git_ref.kind(),
            name: git_ref.name().to_string(),
        })
}

fn fetch_into(
    dir: &Path,
    repo: &Repo,
    token: Option<&str>,
    known: Option<&str>,
    limits: Limits,
) -> Result<Option<Fetched>, FetchError> {
    let local_repo = init(dir)?;
    let remote = remote(&local_repo, repo)?;
    let conn = connect(&remote, repo, token)?;
    let prepare = conn
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(remote_error)?;
    let sha = target(prepare.ref_map(), &repo.git_ref)?;
    if known == Some(sha.as_str()) {
        return Ok(None);
    }
    let watchdog = Watchdog::start(dir.join("objects"), limits);
    let received = prepare
        .with_shallow(gix::remote::fetch::Shallow::DepthAtRemote(
            std::num::NonZeroU32::MIN,
        ))
        .receive(gix::progress::Discard, &watchdog.interrupt);
    let stopped = watchdog.stop();
    if let Err(e) = received {
        return Err(stopped.unwrap_or_else(|| remote_error(e)));
    }
    let id = gix::ObjectId::from_hex(sha.as_bytes()).map_err(local)?;
    let commit = local_repo
        .find_commit(id)
        .map_err(|_| FetchError::NoSuchRef {
            kind: repo.git_ref.kind(),
            name: repo.git_ref.name().to_string(),
        })?;
    let info = describe(&commit, &sha)?;
    let tree = commit.tree().map_err(local)?;
    let mut compose = Vec::new();
    for p in &repo.compose_paths {
        let text = read(&local_repo, &tree, p, &sha, limits::MAX_COMPOSE_BYTES)?;
        compose.push((p.clone(), text));
    }
    // several files count together, as in the editor and the CLI
    let size: usize = compose.iter().map(|(_, t)| t.len()).sum();
    if size > limits::MAX_COMPOSE_BYTES {
        return Err(FetchError::ComposeTooLarge {
            size: size as u64,
            max: limits::MAX_COMPOSE_BYTES,
        });
    }
    let env = match &repo.env_path {
        Some(p) => Some((
            p.clone(),
            read(&local_repo, &tree, p, &sha, limits::MAX_ENV_BYTES)?,
        )),
        None => None,
    };
    Ok(Some(Fetched {
        commit: info,
        compose,
        env,
    }))
}

fn describe(commit: &gix::Commit<'_>, sha: &str) -> Result<Commit, FetchError> {
    let message = commit
        .message_raw_sloppy()
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let author = commit
        .author()
        .map(|a| format!("{} <{}>", a.name, a.email))
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    Ok(Commit {
        sha: sha.to_string(),
        message,
        author,
    })
}

/// A file of the tree as text, its size checked before it is read.
fn read(
    repo: &gix::Repository,
    tree: &gix::Tree<'_>,
    path: &str,
    sha: &str,
    max: usize,
) -> Result<String, FetchError> {
    let short = sha.get(..12).unwrap_or(sha).to_string();
    let entry = tree
        .lookup_entry_by_path(path)
        .map_err(local)?
        .ok_or_else(|| FetchError::Missing {
            path: path.into(),
            sha: short.clone(),
        })?;
    if !entry.mode().is_blob() {
        return Err(FetchError::NotAFile {
            path: path.into(),
            sha: short,
        });
    }
    let header = repo.find_header(entry.object_id()).map_err(local)?;
    if header.size() > max as u64 {
        return Err(FetchError::FileTooLarge {
            path: path.into(),
            size: header.size(),
            max,
        });
    }
    let blob = repo.find_blob(entry.object_id()).map_err(local)?;
    String::from_utf8(blob.data.clone()).map_err(|_| FetchError::NotText { path: path.into() })
}

/// Interrupts a fetch that downloads too much or takes too long.
struct Watchdog {
    interrupt: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Option<FetchError>>>,
}

impl Watchdog {
    fn start(objects: PathBuf, limits: Limits) -> Watchdog {
        let interrupt = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (i, d) = (interrupt.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !d.load(Ordering::SeqCst) {
                if started.elapsed() > limits.timeout {
                    i.store(true, Ordering::SeqCst);
                    return Some(FetchError::Timeout(limits.timeout.as_secs()));
                }
                if dir_size(&objects) > limits.max_download {
                    i.store(true, Ordering::SeqCst);
                    return Some(FetchError::TooLarge(limits.max_download));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            None
        });
        Watchdog {
            interrupt,
            done,
            thread: Some(thread),
        }
    }

    /// Stops watching; the limit it enforced, if it interrupted the fetch.
    fn stop(mut self) -> Option<FetchError> {
        self.done.store(true, Ordering::SeqCst);
        self.thread.take().and_then(|t| t.join().ok().flatten())
    }
}

/// Bytes of the files under `dir` (the pack being received is written there).
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}
