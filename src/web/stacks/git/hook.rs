//! The push webhook of a git-backed stack, `POST /hooks/git/{secret}`: public (the secret
//! URL and a GitHub, GitLab or Gitea signature stand in for a session).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};

use crate::AppState;
use crate::db;
use crate::git::GitRef;
use crate::stack::git::{Synced, Trigger, hook};
use crate::stack::jobs::Who;
use crate::web::policy::claim;

/// Largest webhook body read (push payloads list the commits).
pub const HOOK_BODY_LIMIT: usize = 1024 * 1024;

/// `POST /hooks/git/{secret}`: a push from the repository's host. Answers JSON: 404 for an
/// unknown secret, 401 without a signature, 403 for a wrong one, 202 with how the sync went
/// (or why it was skipped: paused, or a push to another ref).
pub async fn webhook(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = |status: StatusCode, text: &str| {
        (status, Json(serde_json::json!({ "status": text }))).into_response()
    };
    if secret.len() > 128 {
        return answer(StatusCode::NOT_FOUND, "no such webhook");
    }
    let source = match db::git::by_hook(&state.db, &secret).await {
        Ok(Some(s)) => s,
        Ok(None) => return answer(StatusCode::NOT_FOUND, "no such webhook"),
        Err(e) => {
            tracing::error!("git webhook: cannot read the git sources: {e}");
            return answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let stack = source.stack.clone();
    match hook::verify(header, &body, &source.hook_secret) {
        hook::Verdict::Valid(_) => {}
        hook::Verdict::Unsigned => {
            return answer(
                StatusCode::UNAUTHORIZED,
                "signature required: X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token",
            );
        }
        hook::Verdict::Wrong(format) => {
            tracing::warn!(stack, "git webhook: a wrong {format} signature was refused");
            return answer(StatusCode::FORBIDDEN, "wrong signature");
        }
    }
    // the hook acts for the account that made the git stack, while it may deploy it
    if let Some(maker) = source.username.as_deref() {
        match claim::maker_may_deploy(&state, maker, &stack).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    stack,
                    "git webhook: its maker may no longer deploy the stack"
                );
                return answer(
                    StatusCode::FORBIDDEN,
                    "the account that made this git stack may no longer deploy it",
                );
            }
            Err(e) => {
                tracing::error!("git webhook: cannot read its maker's role: {e}");
                return answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            }
        }
    }
    if source.paused {
        return answer(StatusCode::ACCEPTED, "sync is paused");
    }
    if let (Some(pushed), GitRef::Branch(_) | GitRef::Tag(_)) =
        (hook::pushed_ref(&body), &source.repo.git_ref)
        && pushed != source.repo.git_ref.remote_name()
    {
        return answer(StatusCode::ACCEPTED, "a push to another ref: ignored");
    }
    let who = Who {
        username: "git webhook".into(),
        ip: None,
    };
    let synced = state.git.sync(&stack, Trigger::Hook, who).await;
    let mut body = serde_json::json!({
        "status": synced.result(),
        "message": synced.message(),
    });
    if let Synced::Deployed { version, commit } = &synced {
        body["version"] = (*version).into();
        body["commit"] = commit.sha.clone().into();
    }
    (StatusCode::ACCEPTED, Json(body)).into_response()
}
