//! JSON errors of the API: `{"error": {"code", "message"}}` with the same sentences the pages
//! show (compose problems located by line and column), and a layer that turns every other
//! failure under `/api` (a body over the limit, a malformed request, a wrong method, a panic)
//! into the same shape.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::views::JobView;
use crate::compose::source::Problem;
use crate::error::{AppError, ErrorInfo};
use crate::stack::StackError;

/// One located problem of a refused compose file, env or name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemView {
    /// `name`, `compose` or `env`
    pub field: &'static str,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    /// `line 3, column 7: …`, as the editor shows it
    pub located: String,
}

impl From<&Problem> for ProblemView {
    fn from(p: &Problem) -> ProblemView {
        ProblemView {
            field: p.field.as_str(),
            line: p.line,
            column: p.column,
            message: p.message.clone(),
            located: p.located(),
        }
    }
}

/// Every non-2xx answer (for the OpenAPI document; [`ApiError`] writes it).
#[derive(utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// the job a failed `wait=true` request followed
    pub job: Option<JobView>,
}

#[derive(utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `unauthorized`, `forbidden`, `not_found`, `invalid_compose`, `deploy_failed`, …
    pub code: String,
    /// the sentence the pages show (compose problems located by line and column)
    pub message: String,
    pub problems: Option<Vec<ProblemView>>,
}

/// A failed API request.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub problems: Option<Vec<ProblemView>>,
    /// The job a failed `wait=true` request followed.
    pub job: Option<Box<JobView>>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<&'a JobView>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [ProblemView]>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            problems: None,
            job: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A refused stack source: every problem, located.
    pub fn invalid(problems: &[Problem]) -> ApiError {
        let views: Vec<ProblemView> = problems.iter().map(ProblemView::from).collect();
        let message = views
            .iter()
            .map(|p| format!("{}: {}", p.field, p.located))
            .collect::<Vec<_>>()
            .join("\n");
        ApiError {
            problems: Some(views),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_compose", message)
        }
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "berth hit an internal error. It was logged with the request id.",
        )
    }

    /// The code of a status that has no more specific one.
    pub fn code_of(status: StatusCode) -> &'static str {
        match status {
            StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::CONFLICT => "conflict",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
            StatusCode::BAD_GATEWAY => "docker_error",
            StatusCode::SERVICE_UNAVAILABLE => "docker_unavailable",
            StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => "timeout",
            s if s.is_client_error() => "bad_request",
            _ => "internal",
        }
    }

    fn from_info(info: &ErrorInfo) -> ApiError {
        ApiError::new(info.status, ApiError::code_of(info.status), &info.message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match &e {
            AppError::Db(err) => tracing::error!("database error: {err}"),
            AppError::Internal(err) => tracing::error!("internal error: {err}"),
            AppError::Docker(err) => tracing::info!("docker error: {err}"),
            _ => {}
        }
        ApiError::from_info(&e.info())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        AppError::from(e).into()
    }
}

impl From<StackError> for ApiError {
    fn from(e: StackError) -> ApiError {
        match e {
            StackError::Compose(c) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_compose",
                c.to_string(),
            ),
            StackError::Rejected(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_compose",
                e.to_string(),
            ),
            StackError::Docker(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "docker_unavailable", m)
            }
            StackError::NotFound(m) => ApiError::not_found(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
                problems: self.problems.as_deref(),
            },
            job: self.job.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}

/// Longest plain-text error body carried over as the message (axum's rejections).
const MAX_TEXT: usize = 1024;

/// Every failure under `/api` answers JSON: a failed response that is not JSON yet (from a
/// layer, an extractor, the router, a panic) becomes an [`ApiError`] with its sentence.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return resp;
    }
    if let Some(info) = resp.extensions().get::<ErrorInfo>() {
        return ApiError::from_info(info).into_response();
    }
    let is_text = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    let text = if is_text && status.is_client_error() {
        axum::body::to_bytes(resp.into_body(), MAX_TEXT)
            .await
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let message = text.unwrap_or_else(|| default_message(status).to_string());
    ApiError::new(status, ApiError::code_of(status), message).into_response()
}

fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "There is nothing at this address.",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that method.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than berth accepts.",
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => {
            "berth gave up waiting for an answer: the action may still have happened."
        }
        s if s.is_client_error() => "berth could not read this request.",
        _ => "berth hit an internal error. It was logged with the request id.",
    }
}
