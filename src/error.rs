//! One error type for handlers. It turns into a response that carries an [`ErrorInfo`]; the
//! router-wide `web::errors` layer renders it as a page (with the layout when signed in) or an
//! htmx fragment, with the request id.
//! Internal details are logged once with the request id and never sent to the browser.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::docker::DockerError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// What the error page shows.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl ErrorInfo {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> ErrorInfo {
        ErrorInfo {
            status,
            title,
            message: message.into(),
        }
    }
}

/// A plain-text response carrying the info; the router-wide error layer renders it.
impl IntoResponse for ErrorInfo {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.message.clone()).into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

impl AppError {
    pub fn info(&self) -> ErrorInfo {
        match self {
            AppError::Docker(e) => {
                let status = match e {
                    DockerError::Unreachable { .. }
                    | DockerError::NotInSwarm
                    | DockerError::NotManager => StatusCode::SERVICE_UNAVAILABLE,
                    DockerError::NotFound(_) => StatusCode::NOT_FOUND,
                    DockerError::Conflict(_) => StatusCode::CONFLICT,
                    DockerError::Refused(_) => StatusCode::BAD_REQUEST,
                    DockerError::Other(_) => StatusCode::BAD_GATEWAY,
                };
                ErrorInfo {
                    status,
                    title: "Docker could not do that",
                    message: e.user_message(),
                }
            }
            AppError::Db(_) | AppError::Internal(_) => ErrorInfo {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                title: "Something went wrong",
                message: "berth hit an internal error. It was logged with the request id below."
                    .into(),
            },
            AppError::NotFound(m) => ErrorInfo {
                status: StatusCode::NOT_FOUND,
                title: "Not found",
                message: m.clone(),
            },
            AppError::BadRequest(m) => ErrorInfo {
                status: StatusCode::BAD_REQUEST,
                title: "That did not work",
                message: m.clone(),
            },
            AppError::Forbidden(m) => ErrorInfo {
                status: StatusCode::FORBIDDEN,
                title: "Not allowed",
                message: m.clone(),
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = self.info();
        match &self {
            AppError::Db(e) => tracing::error!("database error: {e}"),
            AppError::Internal(e) => tracing::error!("internal error: {e}"),
            AppError::Docker(e) => tracing::info!("docker error: {e}"),
            _ => {}
        }
        info.into_response()
    }
}
