//! What changed between two versions of a stack: each compose file's line diff (the first,
//! and, when the versions merge several, each file merged on top of it, paired by name) and
//! the names of the variables that changed (never their values: they may be secrets).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::name_or_404;
use crate::db::{self, stacks::MoreFile};
use crate::error::{AppError, AppResult};
use crate::textdiff::{self, Hunk};
use crate::web::page::{Ctx, Layout};

#[derive(Template, WebTemplate)]
#[template(path = "stacks/diff.html")]
struct DiffPage {
    layout: Layout,
    name: String,
    from: i64,
    to: i64,
    versions: Vec<i64>,
    compose_diff: Vec<Hunk>,
    /// the first file's name, when the versions merge several files
    first_name: String,
    /// the diff of each file merged on top of the first, by name (empty: one file each)
    more_diffs: Vec<FileDiff>,
    env: Vec<EnvChange>,
}

/// What changed in one compose file merged on top of the first.
pub struct FileDiff {
    pub name: String,
    /// added, removed or changed (or "unchanged")
    pub change: &'static str,
    pub hunks: Vec<Hunk>,
}

/// A version's first compose file's name.
pub(super) fn first_name(v: &db::stacks::Version) -> String {
    v.compose_name
        .clone()
        .unwrap_or_else(|| crate::compose::source::EDITOR_FILE.to_string())
}

/// The files merged on top of the first in `a` and `b`, paired by name: `b`'s in order, then
/// those only `a` had. Each as (name, old text, new text); a missing file is empty.
fn pair_more(
    a: &db::stacks::Version,
    b: &db::stacks::Version,
) -> Vec<(String, Option<String>, Option<String>)> {
    let (ma, mb) = (a.more_files(), b.more_files());
    let text_in = |files: &[MoreFile], name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.text.clone())
    };
    let mut out: Vec<_> = mb
        .iter()
        .map(|f| (f.name.clone(), text_in(&ma, &f.name), Some(f.text.clone())))
        .collect();
    for f in ma.iter().filter(|f| !mb.iter().any(|g| g.name == f.name)) {
        out.push((f.name.clone(), Some(f.text.clone()), None));
    }
    out
}

/// A variable that differs between two versions (values are not shown: they may be secrets).
pub struct EnvChange {
    pub key: String,
    /// added, removed or changed
    pub change: &'static str,
}

/// The variables that differ between two env texts, by name.
pub fn env_changes(from: &str, to: &str) -> Vec<EnvChange> {
    let (ea, eb) = (
        crate::compose::dotenv::parse(from).unwrap_or_default(),
        crate::compose::dotenv::parse(to).unwrap_or_default(),
    );
    let mut env = Vec::new();
    for (k, v) in &eb {
        match ea.get(k) {
            None => env.push(EnvChange {
                key: k.clone(),
                change: "added",
            }),
            Some(old) if old != v => env.push(EnvChange {
                key: k.clone(),
                change: "changed",
            }),
            _ => {}
        }
    }
    for k in ea.keys().filter(|k| !eb.contains_key(*k)) {
        env.push(EnvChange {
            key: k.clone(),
            change: "removed",
        });
    }
    env.sort_by(|x, y| x.key.cmp(&y.key));
    env
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /stacks/{name}/diff?from=A&to=B`: what changed between two versions.
pub async fn diff(
    ctx: Ctx,
    Path(name): Path<String>,
    Query(q): Query<DiffQuery>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let history = db::stacks::history(&ctx.state.db, &name).await?;
    let newest = history
        .first()
        .ok_or_else(|| AppError::NotFound(format!("berth holds no version of {name}.")))?;
    let to = q.to.unwrap_or(newest.version);
    let from = q.from.unwrap_or(to - 1).max(1);
    let find = |v: i64| {
        history
            .iter()
            .find(|h| h.version == v)
            .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no version {v}.")))
    };
    let (a, b) = (find(from)?, find(to)?);
    let env = env_changes(&a.env, &b.env);
    // a line diff of two 1 MiB texts is CPU work: off the async threads
    let (old, new, more) = (a.compose.clone(), b.compose.clone(), pair_more(a, b));
    let (compose_diff, more_diffs) = tokio::task::spawn_blocking(move || {
        let more_diffs = more
            .into_iter()
            .map(|(name, old, new)| FileDiff {
                change: match (&old, &new) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    (o, n) if o == n => "unchanged",
                    _ => "changed",
                },
                hunks: textdiff::hunks(
                    old.as_deref().unwrap_or_default(),
                    new.as_deref().unwrap_or_default(),
                    3,
                ),
                name,
            })
            .collect::<Vec<_>>();
        (textdiff::hunks(&old, &new, 3), more_diffs)
    })
    .await
    .map_err(|e| AppError::Internal(format!("diff failed: {e}")))?;
    Ok(DiffPage {
        layout: ctx.layout(format!("{name}: version {from} → {to}"), "stacks"),
        compose_diff,
        first_name: first_name(b),
        more_diffs,
        versions: history.iter().map(|h| h.version).collect(),
        env,
        from,
        to,
        name,
    }
    .into_response())
}
