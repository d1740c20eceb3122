//! Error pages: a full page with the layout for signed-in users, an alert fragment for htmx,
//! and a standalone page before sign-in. Every one shows the request id that is in the log.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::page::Layout;
use super::session::Session;
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
}

/// If the handler answered with an [`ErrorInfo`], renders it for the user.
pub fn render_if_error(
    state: &AppState,
    resp: Response,
    session: Option<&Session>,
    htmx: bool,
    request_id: &str,
) -> Response {
    let Some(info) = resp.extensions().get::<ErrorInfo>().cloned() else {
        return resp;
    };
    render(state, &info, session, htmx, request_id)
}

pub fn render(
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
        let mut r = (info.status, Html(body)).into_response();
        r.headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#alerts"));
        r.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
        return r;
    }
    let page = ErrorPage {
        layout: Layout::new(state, session, info.title.to_string(), ""),
        status: info.status.as_u16(),
        heading: info.title.to_string(),
        message: info.message.clone(),
        request_id: request_id.to_string(),
    };
    match page.render() {
        Ok(html) => (info.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("cannot render error page: {e}");
            (info.status, info.message.clone()).into_response()
        }
    }
}

/// A page that needs nothing but its text (before sign-in, or when the database is gone).
pub fn standalone_page(status: StatusCode, heading: &str, message: &str) -> String {
    Standalone {
        status: status.as_u16(),
        heading,
        message,
    }
    .render()
    .unwrap_or_else(|_| message.to_string())
}

pub fn standalone_response(status: StatusCode, heading: &str, message: &str) -> Response {
    let mut r = (status, Html(standalone_page(status, heading, message))).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A page handler panicked: logged, and answered as an internal error that the session guard
/// renders as the normal error page (with the request id).
pub fn handler_panicked(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    crate::error::AppError::Internal(format!("a handler panicked: {}", panic_text(&*err)))
        .into_response()
}

/// Something outside a page handler panicked (a public page, a layer): a plain 500 page.
pub fn panicked_outside_a_page(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request panicked: {}", panic_text(&*err));
    standalone_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "berth hit an internal error. It was logged with this request's id (the X-Request-Id header).",
    )
}

fn panic_text(err: &(dyn std::any::Any + Send)) -> &str {
    err.downcast_ref::<&str>()
        .copied()
        .or_else(|| err.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// 404 for any unknown URL.
pub async fn not_found() -> Response {
    standalone_response(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address. Use the navigation to find your way back.",
    )
}
