//! Running the jobs: a deploy (check, store, apply, wait unless superseded, summarise, audit,
//! record) and a removal, and ending requests that were superseded before they ran.

use std::sync::Arc;

use super::registry::{AfterApply, Pending, Submitted};
use super::summary::{done_text, summarize};
use super::{
    DeployError, DeployRequest, Deploys, Images, Job, JobKind, Level, Outcome, Who, Work,
    decode_files, encode_files,
};
use crate::compose::source::{self, Checked};
use crate::compose::{ComposeFile, FileSource, MemoryFiles};
use crate::db::{self, audit};
use crate::stack::image::Pins;
use crate::stack::{
    self, DeployEvent, DeployOptions, DeployReport, ProgressState, RemoveEvent, RemoveOptions,
    ResolveImage, Source, StackError, WaitOptions,
};

/// When deploys ask the registry for digests: only for images whose text changed (the CLI's
/// default is `always`). A redeploy then never restarts tasks because a tag moved on the
/// registry, and the preview shows exactly what the deploy does.
pub const RESOLVE: ResolveImage = ResolveImage::Changed;

/// How long a removal waits for the stack's tasks and networks to be gone.
const REMOVE_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// What a deploy job runs once its turn comes.
pub(super) struct DeployWork {
    source: Source,
    prune: bool,
    resolve: ResolveImage,
    pins: Pins,
    warnings: Vec<String>,
    who: Who,
}

pub(super) async fn deploy(d: &Deploys, req: DeployRequest) -> Result<Arc<Job>, DeployError> {
    let stack = req.stack.trim().to_string();
    let compose = compose_files(&req);
    let files = match req.files {
        Some(f) => f,
        None => db::stacks::latest(&d.db, &stack)
            .await?
            .map(|v| decode_files(&v.files))
            .unwrap_or_default(),
    };
    let checked = check(&stack, &compose, &req.env, &files).await?;
    let (resolve, pins) = match req.images {
        Images::Tags => (RESOLVE, Pins::new()),
        Images::Pull => (ResolveImage::Always, Pins::new()),
        Images::Exact => (RESOLVE, exact_images(d, &stack, req.redeploy_of).await?),
    };
    let inserted = db::stacks::insert_files(
        &d.db,
        &db::stacks::NewVersion {
            stack: &checked.name,
            compose: &req.compose,
            env: &req.env,
            files: &encode_files(&files),
            prune: req.prune,
            username: &req.who.username,
            redeploy_of: req.redeploy_of,
            base: req.base_version,
        },
        req.compose_name.as_deref(),
        &req.more,
    )
    .await?;
    let version = inserted.map_err(|s| DeployError::Stale {
        stack: stack.clone(),
        base: req.base_version.unwrap_or_default(),
        latest: s.latest,
    })?;
    let detail = match req.redeploy_of {
        Some(v) => format!("version {version} (redeploy of version {v})"),
        None => format!("version {version}"),
    };
    record(
        d,
        &req.who,
        audit::Action::StackDeploy,
        &stack,
        audit::Outcome::Ok,
        &format!("{detail} started"),
    )
    .await;
    let work = DeployWork {
        source: Source {
            files: compose,
            working_dir: "/".into(),
            env: checked.env,
            reader: Arc::new(files),
        },
        prune: req.prune,
        resolve,
        pins,
        warnings: checked.warnings,
        who: req.who,
    };
    let submitted = d
        .jobs
        .submit(&stack, JobKind::Deploy, version, Work::Deploy(work));
    Ok(after_submit(d, submitted).await)
}

/// The images a version recorded, for a redeploy with exact images.
async fn exact_images(d: &Deploys, stack: &str, of: Option<i64>) -> Result<Pins, DeployError> {
    let Some(of) = of else {
        return Err(DeployError::Refused(
            "exact images need the version to redeploy".into(),
        ));
    };
    let pins = db::stacks::get(&d.db, stack, of)
        .await?
        .map(|v| v.images_of())
        .unwrap_or_default();
    if pins.is_empty() {
        return Err(DeployError::Refused(format!(
            "version {of} of {stack} recorded no images (it was not applied, or deployed before berth recorded them): redeploy it with current tags"
        )));
    }
    Ok(pins)
}

/// The request's compose files in merge order: the first, then those merged on top of it.
fn compose_files(req: &DeployRequest) -> Vec<ComposeFile> {
    let first = req.compose_name.as_deref().unwrap_or(source::EDITOR_FILE);
    std::iter::once(ComposeFile::new(first, req.compose.clone()))
        .chain(
            req.more
                .iter()
                .map(|f| ComposeFile::new(f.name.clone(), f.text.clone())),
        )
        .collect()
}

/// Checks a source off the async threads.
async fn check(
    name: &str,
    compose: &[ComposeFile],
    env: &str,
    files: &MemoryFiles,
) -> Result<Checked, DeployError> {
    let (name, compose, env, files) = (
        name.to_string(),
        compose.to_vec(),
        env.to_string(),
        files.clone(),
    );
    tokio::task::spawn_blocking(move || {
        source::check_files(&name, &compose, &env, &files as &dyn FileSource)
    })
    .await
    .map_err(|e| DeployError::Internal(format!("the compose check failed: {e}")))?
    .map_err(DeployError::Invalid)
}

pub(super) async fn remove(d: &Deploys, stack: &str, who: Who) -> Arc<Job> {
    // a removed stack stops following its repository (or the next sync would deploy it again)
    if let Err(e) = db::git::delete(&d.db, stack).await {
        tracing::error!("cannot forget the git source of {stack}: {e}");
    }
    record(
        d,
        &who,
        audit::Action::StackRemove,
        stack,
        audit::Outcome::Ok,
        "started",
    )
    .await;
    let submitted = d.jobs.submit(stack, JobKind::Remove, 0, Work::Remove(who));
    after_submit(d, submitted).await
}

/// Starts, queues or ends a submitted job; returns it.
async fn after_submit(d: &Deploys, submitted: Submitted<Work>) -> Arc<Job> {
    match submitted {
        Submitted::Start(p) => {
            let job = p.job.clone();
            start(d, p);
            job
        }
        Submitted::Queued { job, dropped, .. } => {
            if let Some(old) = dropped {
                end_unrun(d, old, &job).await;
            }
            job
        }
        Submitted::Outdated { pending, by } => {
            let job = pending.job.clone();
            end_unrun(d, pending, &by).await;
            job
        }
    }
}

fn start(d: &Deploys, p: Pending<Work>) {
    let job = p.job.clone();
    let who = match &p.work {
        Work::Deploy(w) => w.who.clone(),
        Work::Remove(who) => who.clone(),
    };
    let runner = {
        let d = d.clone();
        tokio::spawn(async move {
            match p.work {
                Work::Deploy(w) => run_deploy(&d, p.job, w).await,
                Work::Remove(who) => run_remove(&d, p.job, who).await,
            }
        })
    };
    // A runner that panicked must not hold its stack's lane until berth restarts: the job ends
    // failed and whatever was queued behind it starts.
    let d = d.clone();
    tokio::spawn(async move {
        if let Err(e) = runner.await
            && e.is_panic()
            && job.end().is_none()
        {
            tracing::error!(
                "the {:?} job {} of stack {} stopped on an internal error",
                job.kind,
                job.id,
                job.stack
            );
            if let AfterApply::Next(next) = d.jobs.applied(&job, false) {
                start(&d, next);
            }
            let summary = "stopped on an internal error (see berth's log); run it again.";
            finish(&d, &job, &who, Outcome::Failed, summary.into()).await;
        }
    });
}

/// A request a newer one replaced before it ran.
async fn end_unrun(d: &Deploys, p: Pending<Work>, by: &Job) {
    let (who, summary) = match p.work {
        Work::Deploy(w) => (
            w.who,
            format!(
                "Superseded by {} before it was applied; nothing was changed.",
                by.describe()
            ),
        ),
        Work::Remove(who) => (
            who,
            format!(
                "Superseded by {} before it started; nothing was removed.",
                by.describe()
            ),
        ),
    };
    finish(d, &p.job, &who, Outcome::Superseded, summary).await;
}

async fn run_deploy(d: &Deploys, job: Arc<Job>, w: DeployWork) {
    for warning in &w.warnings {
        job.push(Level::Warn, warning.clone());
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
    let forward = {
        let job = job.clone();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if let Some((text, warn)) = ev.line() {
                    job.push(deploy_level(&ev, warn), text);
                }
            }
        })
    };
    let opts = DeployOptions {
        prune: w.prune,
        resolve_image: w.resolve,
        auth: d.registry_auth().await,
        pins: w.pins,
        wait: None,
        events: Some(tx),
    };
    let (outcome, summary) = match stack::apply_changes(&d.engine, &job.stack, w.source, &opts)
        .await
    {
        Err(e) => {
            if let AfterApply::Next(next) = d.jobs.applied(&job, false) {
                start(d, next);
            }
            let msg = match e {
                StackError::Compose(_) | StackError::Rejected(_) => {
                    format!("refused, nothing was changed: {e}")
                }
                _ => format!("failed, nothing was changed: {e}"),
            };
            (Outcome::Failed, msg)
        }
        Ok(applied) => {
            record_images(d, &job, &applied.report).await;
            let ok = applied.report.failed.is_none();
            let done = done_text(&applied.report);
            match d.jobs.applied(&job, ok) {
                AfterApply::Next(next) => {
                    let by = next.job.describe();
                    start(d, next);
                    if ok {
                        (
                            Outcome::Superseded,
                            format!("{done}; superseded by {by} before it converged."),
                        )
                    } else {
                        summarize(&applied.report, &opts.auth)
                    }
                }
                AfterApply::Done => summarize(&applied.report, &opts.auth),
                AfterApply::Wait(superseded) => {
                    let superseded = async {
                        match superseded.await {
                            Ok(s) => s,
                            Err(_) => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        report = applied.wait(WaitOptions::default(), &opts) => summarize(&report, &opts.auth),
                        s = superseded => (
                            Outcome::Superseded,
                            format!("{done}; superseded by {} while waiting for the stack to converge.", s.by.describe()),
                        ),
                    }
                }
            }
        }
    };
    drop(opts);
    let _ = forward.await;
    finish(d, &job, &w.who, outcome, summary).await;
}

/// Records the image every service that was sent (or left unchanged) runs with.
async fn record_images(d: &Deploys, job: &Job, r: &DeployReport) {
    let images: Pins = r
        .plan
        .services
        .iter()
        .filter(|s| {
            r.done
                .iter()
                .any(|d| d.kind == stack::ObjectKind::Service && d.name == s.name)
        })
        .map(|s| (s.name.clone(), s.image.clone()))
        .collect();
    if let Err(e) = db::stacks::set_images(&d.db, &job.stack, job.version, &images).await {
        tracing::error!(
            "cannot record the images of {} version {}: {e}",
            job.stack,
            job.version
        );
    }
}

async fn run_remove(d: &Deploys, job: Arc<Job>, who: Who) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RemoveEvent>();
    let forward = {
        let job = job.clone();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                let (text, warn) = ev.line();
                let level = match ev {
                    RemoveEvent::Failed { .. } => Level::Error,
                    RemoveEvent::Removed { .. } => Level::Ok,
                    _ if warn => Level::Warn,
                    _ => Level::Info,
                };
                job.push(level, text);
            }
        })
    };
    let opts = RemoveOptions {
        wait: Some(REMOVE_WAIT),
        events: Some(tx),
    };
    let result = stack::remove(&d.engine, &job.stack, &opts).await;
    drop(opts);
    let _ = forward.await;
    if let AfterApply::Next(next) = d.jobs.applied(&job, false) {
        start(d, next);
    }
    let stack = &job.stack;
    let (outcome, summary) = match &result {
        Ok(r) if !r.found => (Outcome::Ok, format!("Nothing found in stack {stack}.")),
        Ok(r) if r.succeeded() => (
            Outcome::Ok,
            format!(
                "Stack {stack} removed: {} object(s), networks gone.",
                r.removed.len()
            ),
        ),
        Ok(r) => (
            Outcome::Failed,
            format!(
                "Removed {} object(s), but {}{}{}. Remove again to retry.",
                r.removed.len(),
                r.failures.join("; "),
                if r.tasks_left == 0 {
                    String::new()
                } else {
                    format!("; {} task(s) still stopping", r.tasks_left)
                },
                if r.networks_left.is_empty() {
                    String::new()
                } else {
                    format!("; networks still present: {}", r.networks_left.join(", "))
                }
            ),
        ),
        Err(e) => (Outcome::Failed, format!("Nothing was removed: {e}")),
    };
    finish(d, &job, &who, outcome, summary).await;
}

/// The model caught up, the last line, the stored outcome (deploys), the audit entry; then the
/// job ends and leaves its lane.
async fn finish(d: &Deploys, job: &Arc<Job>, who: &Who, outcome: Outcome, summary: String) {
    // read-your-writes: whatever says the job is done, the pages already hold what it changed
    if let Some(model) = &d.model {
        use crate::model::Action as M;
        model
            .catch_up([M::Services, M::Networks, M::Secrets, M::Configs])
            .await;
    }
    job.push(outcome.level(), summary.clone());
    let (action, detail) = match job.kind {
        JobKind::Deploy => {
            let lines = serde_json::to_string(&job.lines()).unwrap_or_else(|_| "[]".into());
            if let Err(e) = db::stacks::finish(
                &d.db,
                &job.stack,
                job.version,
                outcome.as_str(),
                &summary,
                &lines,
            )
            .await
            {
                tracing::error!(
                    "cannot store the outcome of deploying {} version {}: {e}",
                    job.stack,
                    job.version
                );
            }
            (
                audit::Action::StackDeploy,
                format!("version {}: {summary}", job.version),
            )
        }
        JobKind::Remove => (audit::Action::StackRemove, summary.clone()),
    };
    let result = match outcome {
        Outcome::Failed => audit::Outcome::Failed,
        Outcome::Ok | Outcome::Degraded | Outcome::Superseded => audit::Outcome::Ok,
    };
    record(d, who, action, &job.stack, result, &detail).await;
    job.finish(outcome, summary);
    d.jobs.finished(job);
}

async fn record(
    d: &Deploys,
    who: &Who,
    action: audit::Action,
    stack: &str,
    outcome: audit::Outcome,
    detail: &str,
) {
    let entry = audit::Entry {
        username: Some(&who.username),
        ip: who.ip.as_deref(),
        action,
        target: Some(stack),
        outcome,
        detail: Some(detail),
    };
    if let Err(e) = audit::record(&d.db, &entry).await {
        tracing::error!("cannot write audit log entry {action} {stack}: {e}");
    }
}

fn deploy_level(ev: &DeployEvent, warn: bool) -> Level {
    match ev {
        DeployEvent::Failed { .. } => Level::Error,
        DeployEvent::Tasks(p) => match p.state {
            ProgressState::Converged => Level::Ok,
            ProgressState::Failing | ProgressState::Paused => Level::Error,
            ProgressState::Starting => Level::Info,
        },
        DeployEvent::Converged { .. } => Level::Ok,
        DeployEvent::ServiceCreated { .. } | DeployEvent::ServiceUpdated { .. } => Level::Ok,
        _ if warn => Level::Warn,
        _ => Level::Info,
    }
}
