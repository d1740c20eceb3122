//! Error pages, for every route (public ones included): one router-wide layer turns a failed
//! response into a full page with the layout for signed-in users, an alert fragment for htmx,
//! or a standalone page before sign-in. Every one shows the request id that is in the log.
//!
//! A failure is a response carrying an [`ErrorInfo`] (what [`crate::error::AppError`] and the
//! guards answer) or a plain-text 4xx/5xx from a layer or an extractor (a malformed form, a body
//! over the limit, a timeout, a wrong method), which gets a sentence a person can act on.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_htmx::{HX_REQUEST, HxReswap, HxRetarget, SwapOption};

use super::extract::Session;
use super::page::Layout;
use crate::AppState;
use crate::error::ErrorInfo;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: String,
    message: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "partials/alert.html")]
struct Alert<'a> {
    kind: &'a str,
    text: &'a str,
    request_id: &'a str,
}

#[derive(Template)]
#[template(path = "standalone_error.html")]
struct Standalone<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// The router-wide layer: renders every failed response for the user.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let htmx = req.headers().contains_key(HX_REQUEST);
    let request_id = request_id(req.headers());
    let resp = next.run(req).await;
    let info = match resp.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None => match unrendered_failure(&resp) {
            Some(info) => info,
            None => return resp,
        },
    };
    let session = resp.extensions().get::<Session>().cloned();
    render(&state, &info, session.as_ref(), htmx, &request_id)
}

/// The id the request-id layer gave this request (empty when there is none).
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A 4xx/5xx that is not a page yet (plain text or empty, from a layer or an extractor).
fn unrendered_failure(resp: &Response) -> Option<ErrorInfo> {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // pages, streams and JSON answers (webhooks, the API) are already what their client reads
    if content_type.starts_with("text/html")
        || content_type.starts_with("text/event-stream")
        || content_type.starts_with("application/json")
    {
        return None;
    }
    tracing::info!(
        status = status.as_u16(),
        "request refused before a handler answered"
    );
    let (title, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address. Use the navigation to find your way back.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Not allowed",
            "This address does not accept that kind of request.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Request too large",
            "The form was larger than berth accepts.",
        ),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => (
            "That took too long",
            "berth gave up waiting for an answer. Check the page again: the action may still have happened.",
        ),
        s if s.is_client_error() => (
            "That did not work",
            "berth could not read this request: a field is missing or not valid. Reload the page and try again.",
        ),
        _ => (
            "Something went wrong",
            "berth hit an internal error. It was logged with the request id below.",
        ),
    };
    Some(ErrorInfo::new(status, title, message))
}

fn render(
    state: &AppState,
    info: &ErrorInfo,
    session: Option<&Session>,
    htmx: bool,
    request_id: &str,
) -> Response {
    if htmx {
        let body = Alert {
            kind: "error",
            text: &info.message,
            request_id,
        }
        .render()
        .unwrap_or_default();
        return (
            info.status,
            HxRetarget("#alerts".into()),
            HxReswap(SwapOption::InnerHtml),
            Html(body),
        )
            .into_response();
    }
    let html = match session {
        Some(session) => ErrorPage {
            layout: Layout::new(state, Some(session), info.title.to_string(), ""),
            status: info.status.as_u16(),
            heading: info.title.to_string(),
            message: info.message.clone(),
            request_id: request_id.to_string(),
        }
        .render(),
        None => Standalone {
            status: info.status.as_u16(),
            heading: info.title,
            message: &info.message,
            request_id,
        }
        .render(),
    };
    match html {
        Ok(html) => (info.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("cannot render error page: {e}");
            (info.status, info.message.clone()).into_response()
        }
    }
}

/// A handler or a layer panicked: logged, and answered as an internal error that the error
/// layer renders as the normal error page (with the request id).
pub fn panicked(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    crate::error::AppError::Internal(format!("a request panicked: {}", panic_text(&*err)))
        .into_response()
}

fn panic_text(err: &(dyn std::any::Any + Send)) -> &str {
    err.downcast_ref::<&str>()
        .copied()
        .or_else(|| err.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// 404 for any unknown URL.
pub async fn not_found() -> ErrorInfo {
    ErrorInfo::new(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address. Use the navigation to find your way back.",
    )
}
