//! Git-backed stacks: syncing a stack with the commit its repository's ref names. A sync
//! fetches that commit when it is new ([`crate::git::fetch`]), and deploys its compose files
//! (merged in order, like `docker stack deploy -c a -c b`; the version keeps each file) with
//! the env file from the repository and the values kept in berth through the one deploy
//! pipeline ([`crate::stack::jobs`]); the version records the commit. A commit whose files are
//! invalid deploys nothing and the source says why (located: file, line, column).
//!
//! Syncs start on the stack's interval ([`GitSync::poll`]), on a push webhook ([`hook`]), or
//! by hand. One sync per stack at a time: a sync asked for while one runs makes that one run
//! again when it ends (a push during a sync is never lost); the poller skips a busy stack.

pub mod hook;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::SqlitePool;

use super::jobs::{DeployError, DeployRequest, Deploys, Images, Who};
use crate::compose::MemoryFiles;
use crate::compose::source::{Field, Problem};
use crate::db;
use crate::db::stacks::MoreFile;
use crate::git::{Commit, FetchError, Limits};

/// Shortest interval a stack may set.
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);
/// How often the poller looks for stacks whose sync is due.
const POLL_TICK: Duration = Duration::from_secs(1);

/// What started a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// the stack's interval passed
    Poll,
    /// a push webhook
    Hook,
    /// a person (creating the stack, or "sync now")
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Poll => "interval",
            Trigger::Hook => "push webhook",
            Trigger::Manual => "by hand",
        }
    }
}

/// How a sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// A new commit is being deployed as `version`.
    Deployed { version: i64, commit: Commit },
    /// The ref still names the commit berth has.
    Unchanged,
    /// The commit's files are invalid: nothing was deployed (the message says where).
    Invalid { message: String, commit: Commit },
    /// Fetching or deploying failed.
    Failed(String),
    /// Another sync of the stack is running; it runs again when it ends.
    Queued,
    /// The account that made the git stack may no longer deploy it (gone, role lowered, team
    /// left): nothing was fetched or deployed.
    Refused(String),
}

impl Synced {
    /// The word stored as the last result.
    pub fn result(&self) -> &'static str {
        match self {
            Synced::Deployed { .. } => "deployed",
            Synced::Unchanged => "unchanged",
            Synced::Invalid { .. } => "invalid",
            Synced::Failed(_) => "failed",
            Synced::Queued => "queued",
            Synced::Refused(_) => "refused",
        }
    }

    /// A sentence for the stack page, the audit log and the webhook's answer.
    pub fn message(&self) -> String {
        match self {
            Synced::Deployed { version, commit } => format!(
                "commit {} is being deployed as version {version}",
                short(&commit.sha)
            ),
            Synced::Unchanged => "no new commit".to_string(),
            Synced::Invalid { message, commit } => {
                format!("commit {} was not deployed: {message}", short(&commit.sha))
            }
            Synced::Failed(m) | Synced::Refused(m) => m.clone(),
            Synced::Queued => "a sync is running; it runs again when it ends".into(),
        }
    }
}

/// The first 12 digits of a commit id.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Syncs git-backed stacks. Cheap to clone.
#[derive(Clone)]
pub struct GitSync {
    db: SqlitePool,
    deploys: Deploys,
    dir: PathBuf,
    default_interval: Duration,
    /// stacks syncing now, and whether they must run again when done
    running: Arc<Mutex<HashMap<String, bool>>>,
    limits: Limits,
}

/// A stack's claim on its one sync; dropping it releases the stack.
struct Claim {
    stack: String,
    running: Arc<Mutex<HashMap<String, bool>>>,
}

impl Claim {
    /// Whether another sync was asked for meanwhile (the claim is kept to run it);
    /// otherwise the stack is released.
    fn again(&self) -> bool {
        let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match m.get_mut(&self.stack) {
            Some(again) if *again => {
                *again = false;
                true
            }
            _ => false,
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(&self.stack);
    }
}

impl GitSync {
    /// `data_dir/git/<stack>` holds a fetch while it runs.
    pub fn new(
        db: SqlitePool,
        deploys: Deploys,
        data_dir: &std::path::Path,
        default_interval: Duration,
    ) -> GitSync {
        GitSync {
            db,
            deploys,
            dir: data_dir.join("git"),
            default_interval,
            running: Arc::default(),
            limits: Limits::default(),
        }
    }

    /// The interval of stacks that set none.
    pub fn default_interval(&self) -> Duration {
        self.default_interval
    }

    /// Claims the stack's sync; when busy, `rerun` asks the running sync to run again.
    fn claim(&self, stack: &str, rerun: bool) -> Option<Claim> {
        let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match m.get_mut(stack) {
            Some(again) => {
                *again |= rerun;
                None
            }
            None => {
                m.insert(stack.to_string(), false);
                Some(Claim {
                    stack: stack.to_string(),
                    running: self.running.clone(),
                })
            }
        }
    }

    /// Whether a sync of `stack` is running.
    pub fn is_running(&self, stack: &str) -> bool {
        let m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        m.contains_key(stack)
    }

    /// Syncs `stack` now, in a task of its own (a caller that goes away does not cut it
    /// short); answers how it ended.
    pub async fn sync(&self, stack: &str, trigger: Trigger, who: Who) -> Synced {
        let Some(claim) = self.claim(stack, true) else {
            return Synced::Queued;
        };
        let this = self.clone();
        let task = tokio::spawn(async move { this.run_claimed(claim, trigger, who).await });
        task.await
            .unwrap_or_else(|e| Synced::Failed(format!("the sync stopped: {e}")))
    }

    async fn run_claimed(&self, claim: Claim, trigger: Trigger, who: Who) -> Synced {
        loop {
            let synced = self.sync_once(&claim.stack, trigger, &who).await;
            if !claim.again() {
                return synced;
            }
        }
    }

    /// Starts the syncs due at `now` (unix seconds) that are not running; returns their
    /// stacks. The poller calls it every second.
    pub async fn poll(&self, now: i64) -> Vec<String> {
        let due = match db::git::due(&self.db, now, self.default_interval.as_secs() as i64).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("git sync: cannot read the git sources: {e}");
                return Vec::new();
            }
        };
        let mut started = Vec::new();
        for stack in due {
            let Some(claim) = self.claim(&stack, false) else {
                continue;
            };
            let this = self.clone();
            let who = Who {
                username: "git sync".into(),
                ip: None,
            };
            tokio::spawn(async move { this.run_claimed(claim, Trigger::Poll, who).await });
            started.push(stack);
        }
        started
    }

    /// Polls every second until `stop` resolves.
    pub async fn run_poller(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(POLL_TICK) => {
                    self.poll(db::now()).await;
                }
            }
        }
    }

    async fn sync_once(&self, stack: &str, trigger: Trigger, who: &Who) -> Synced {
        let synced = match self.fetch_and_deploy(stack, trigger, who).await {
            Ok(s) => s,
            Err(e) => Synced::Failed(e),
        };
        let commit = match &synced {
            Synced::Deployed { commit, .. } | Synced::Invalid { commit, .. } => Some(commit),
            _ => None,
        };
        let message = synced.message();
        if let Err(e) =
            db::git::record_sync(&self.db, stack, synced.result(), &message, commit).await
        {
            tracing::error!("git sync of {stack}: cannot record the result: {e}");
        }
        // every sync that did something is audited; a poll that found nothing new is not
        if synced != Synced::Unchanged || trigger != Trigger::Poll {
            let outcome = match synced {
                Synced::Deployed { .. } | Synced::Unchanged => db::audit::Outcome::Ok,
                Synced::Refused(_) => db::audit::Outcome::Denied,
                _ => db::audit::Outcome::Failed,
            };
            let detail = format!("{}: {message}", trigger.as_str());
            let entry = db::audit::Entry {
                username: Some(&who.username),
                ip: who.ip.as_deref(),
                action: db::audit::Action::StackGitSync,
                target: Some(stack),
                outcome,
                detail: Some(&detail),
            };
            if let Err(e) = db::audit::record(&self.db, &entry).await {
                tracing::error!("cannot write audit log entry stack.git.sync {stack}: {e}");
            }
        }
        tracing::info!(stack, trigger = trigger.as_str(), "git sync: {message}");
        synced
    }

    async fn fetch_and_deploy(
        &self,
        stack: &str,
        trigger: Trigger,
        who: &Who,
    ) -> Result<Synced, String> {
        let source = db::git::get(&self.db, stack)
            .await
            .map_err(|e| format!("cannot read the git source: {e}"))?
            .ok_or_else(|| format!("{stack} has no git source"))?;
        // syncs nobody asked for act for the account that made the git stack, while it may
        // deploy it (a person's "sync now" is checked as that person by the route)
        if trigger != Trigger::Manual
            && let Some(maker) = source.username.as_deref()
            && !db::teams::may_deploy(&self.db, maker, stack)
                .await
                .map_err(|e| format!("cannot read the role of the stack's maker: {e}"))?
        {
            return Ok(Synced::Refused(format!(
                "not synced: {maker}, who made this git stack, may no longer deploy it \
                 (account removed, role lowered or team left). An admin can give the stack \
                 to another team or make it again."
            )));
        }
        let dir = self.dir.join(stack);
        let (repo, token, limits) = (source.repo.clone(), source.token.clone(), self.limits);
        let known = source.commit.as_ref().map(|c| c.sha.clone());
        let fetched = tokio::task::spawn_blocking(move || {
            crate::git::fetch(&dir, &repo, token.as_deref(), known.as_deref(), limits)
        })
        .await
        .map_err(|e| format!("the fetch stopped: {e}"))?
        .map_err(|e: FetchError| e.to_string())?;
        let Some(fetched) = fetched else {
            return Ok(Synced::Unchanged);
        };
        let commit = fetched.commit.clone();
        let mut files = fetched.compose.into_iter();
        let (compose_path, compose) = files.next().ok_or("the source names no compose file")?;
        // merged on top of the first, in order (`-c a -c b`)
        let more: Vec<MoreFile> = files.map(|(name, text)| MoreFile { name, text }).collect();
        let (env, repo_env_lines, env_path) = match &fetched.env {
            Some((path, text)) => (
                format!("{}\n{}", text.trim_end_matches('\n'), source.env),
                text.trim_end_matches('\n').lines().count() as u32,
                path.clone(),
            ),
            None => (source.env.clone(), 0, String::new()),
        };
        let req = DeployRequest {
            stack: stack.to_string(),
            compose,
            compose_name: Some(compose_path.clone()),
            more,
            env,
            files: Some(MemoryFiles::default()),
            prune: source.prune,
            base_version: None,
            redeploy_of: None,
            images: Images::Tags,
            who: who.clone(),
        };
        match self.deploys.deploy(req).await {
            Ok(job) => {
                if let Err(e) = db::git::record_commit(&self.db, stack, job.version, &commit).await
                {
                    tracing::error!("git sync of {stack}: cannot record the commit: {e}");
                }
                Ok(Synced::Deployed {
                    version: job.version,
                    commit,
                })
            }
            Err(DeployError::Invalid(problems)) => Ok(Synced::Invalid {
                message: locate(&problems, &compose_path, &env_path, repo_env_lines),
                commit,
            }),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Problems as one sentence naming the file of each: `stack.yml line 4, column 5: …`.
fn locate(problems: &[Problem], compose_path: &str, env_path: &str, repo_env_lines: u32) -> String {
    problems
        .iter()
        .take(5)
        .map(|p| match p.field {
            Field::Compose => format!(
                "{} {}",
                p.file.as_deref().unwrap_or(compose_path),
                p.located()
            ),
            Field::Env => match p.line {
                Some(l) if l <= repo_env_lines => {
                    format!("{env_path} line {l}: {}", p.message)
                }
                Some(l) => format!(
                    "the variables kept in berth, line {}: {}",
                    l - repo_env_lines,
                    p.message
                ),
                None => p.message.clone(),
            },
            Field::Name => format!("stack name: {}", p.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(field: Field, line: Option<u32>, column: Option<u32>) -> Problem {
        Problem {
            field,
            line,
            column,
            path: None,
            file: None,
            message: "wrong".into(),
        }
    }

    #[test]
    fn problems_name_the_repository_file_or_berths_variables() {
        let m = locate(
            &[
                problem(Field::Compose, Some(4), Some(16)),
                problem(Field::Env, Some(2), None),
                problem(Field::Env, Some(5), None),
            ],
            "deploy/stack.yml",
            ".env",
            3,
        );
        assert_eq!(
            m,
            "deploy/stack.yml line 4, column 16: wrong; .env line 2: wrong; \
             the variables kept in berth, line 2: wrong"
        );
    }

    #[test]
    fn a_problem_in_a_file_merged_on_top_names_that_file() {
        let mut p = problem(Field::Compose, Some(3), Some(7));
        p.file = Some("deploy/prod.yml".into());
        let m = locate(&[p], "deploy/stack.yml", "", 0);
        assert_eq!(m, "deploy/prod.yml line 3, column 7: wrong");
    }
}
