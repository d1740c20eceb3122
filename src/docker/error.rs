//! Docker failures, turned into sentences a person can act on.

use bollard::errors::Error as BollardError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DockerError {
    #[error("Docker is unreachable at {host}: {error}")]
    Unreachable { host: String, error: String },
    #[error("This Docker engine is not part of a swarm.")]
    NotInSwarm,
    #[error("This Docker engine is a swarm worker; berth must talk to a manager.")]
    NotManager,
    /// 404 from the daemon, with its message (e.g. "service x not found").
    #[error("{0}")]
    NotFound(String),
    /// 409: a name is taken, or the object changed meanwhile.
    #[error("{0}")]
    Conflict(String),
    /// Any other refusal from the daemon (400, 403, 500, 503), with its message.
    #[error("{0}")]
    Refused(String),
    /// A failure on berth's side of the wire (timeout, unexpected reply).
    #[error("{0}")]
    Other(String),
}

impl DockerError {
    /// The text for an error banner or a form message.
    pub fn user_message(&self) -> String {
        match self {
            DockerError::Refused(m) => format!("Docker refused: {}", humanize(m)),
            DockerError::NotFound(m) => format!("Not found: {}", humanize(m)),
            DockerError::Conflict(m) => format!("Conflict: {}", humanize(m)),
            other => other.to_string(),
        }
    }

    /// The bare detail, without the explanation (used in status banners).
    pub fn detail(&self) -> String {
        match self {
            DockerError::Unreachable { error, .. } => error.clone(),
            other => other.to_string(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, DockerError::NotFound(_))
    }
}

impl From<BollardError> for DockerError {
    fn from(e: BollardError) -> Self {
        match e {
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => match status_code {
                404 => DockerError::NotFound(message),
                409 => DockerError::Conflict(message),
                _ => DockerError::Refused(message),
            },
            BollardError::RequestTimeoutError => DockerError::Other(
                "Docker did not answer in time (the request timed out).".to_string(),
            ),
            BollardError::JsonDataError { message, .. } => DockerError::Other(format!(
                "Docker sent a reply berth could not read: {message}"
            )),
            other => {
                let detail = connection_detail(&other);
                DockerError::Unreachable {
                    host: String::new(),
                    error: detail,
                }
            }
        }
    }
}

/// A one-line description of a connection-level failure ("connection refused", "no such file").
pub fn connection_detail(e: &BollardError) -> String {
    use std::error::Error as _;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !t.is_empty() && !msg.contains(&t) {
            msg = format!("{msg}: {t}");
        }
        src = s.source();
    }
    msg
}

/// Docker messages start with "rpc error: code = X desc = …" for swarm calls: keep the `desc`.
pub fn humanize(msg: &str) -> String {
    let m = msg.trim();
    match m.find("desc = ") {
        Some(i) => m[i + 7..].to_string(),
        None => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_noise_is_removed() {
        assert_eq!(
            humanize(
                "rpc error: code = FailedPrecondition desc = node x is not down and can't be removed"
            ),
            "node x is not down and can't be removed"
        );
        assert_eq!(humanize("plain"), "plain");
    }

    #[test]
    fn status_codes_map_to_kinds() {
        let e: DockerError = BollardError::DockerResponseServerError {
            status_code: 409,
            message: "name conflicts".into(),
        }
        .into();
        assert_eq!(e, DockerError::Conflict("name conflicts".into()));
        assert_eq!(e.user_message(), "Conflict: name conflicts");
    }
}
