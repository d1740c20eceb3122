//! A raw JSON read from the Engine API, for the one answer bollard's models cannot carry
//! faithfully: service specs. bollard names the health check field `HealthCheck`; the daemon
//! answers `Healthcheck`, so a typed read silently drops every service's health check (and any
//! field newer than bollard's models). The diff needs the spec exactly as stored.
//!
//! One `GET` over the same address bollard uses (`unix://` or `tcp://`), as HTTP/1.0 so the
//! answer is a plain body that ends when the connection closes.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where and how to send raw reads.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    host: String,
    version: String,
}

const TIMEOUT: Duration = Duration::from_secs(60);

impl Raw {
    /// `host` as given to bollard; `version` the negotiated API version (`1.41`).
    pub(crate) fn new(host: &str, version: &str) -> Raw {
        Raw {
            host: host.to_string(),
            version: version.to_string(),
        }
    }

    /// `GET /v<version><path_and_query>` and parses the JSON body. Errors are the daemon's
    /// message (`Error response from daemon: …`) or the connection failure.
    pub(crate) async fn get(&self, path_and_query: &str) -> Result<Value, String> {
        let req = format!(
            "GET /v{}{} HTTP/1.0\r\nHost: docker\r\nUser-Agent: berth\r\nAccept: application/json\r\n\r\n",
            self.version, path_and_query
        );
        let bytes = match tokio::time::timeout(TIMEOUT, self.exchange(req.as_bytes())).await {
            Ok(r) => r?,
            Err(_) => return Err("Docker did not answer in time (the request timed out).".into()),
        };
        parse_response(&bytes)
    }

    async fn exchange(&self, req: &[u8]) -> Result<Vec<u8>, String> {
        let fail = |e: std::io::Error| format!("cannot reach Docker at {}: {e}", self.host);
        if let Some(path) = self.host.strip_prefix("unix://") {
            #[cfg(unix)]
            {
                let s = tokio::net::UnixStream::connect(path).await.map_err(fail)?;
                return roundtrip(s, req).await.map_err(fail);
            }
            #[cfg(not(unix))]
            return Err(format!("unix sockets are not supported here: {path}"));
        }
        let addr = self
            .host
            .strip_prefix("tcp://")
            .or_else(|| self.host.strip_prefix("http://"))
            .ok_or_else(|| format!("unsupported Docker address {}", self.host))?;
        let addr = addr.trim_end_matches('/');
        let s = tokio::net::TcpStream::connect(addr).await.map_err(fail)?;
        roundtrip(s, req).await.map_err(fail)
    }
}

async fn roundtrip<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    req: &[u8],
) -> std::io::Result<Vec<u8>> {
    s.write_all(req).await?;
    s.flush().await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    Ok(buf)
}

/// Splits an HTTP/1.x answer into status and body (de-chunking if the server chunked anyway).
fn parse_response(bytes: &[u8]) -> Result<Value, String> {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("Docker sent an incomplete answer")?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut body = bytes[split + 4..].to_vec();
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("Docker sent an answer without a status")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let msg = json
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
        return Err(format!("Error response from daemon: {msg}"));
    }
    if json.is_null() && !body.is_empty() {
        return Err("Docker sent a reply berth could not read".into());
    }
    Ok(json)
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunked answer from Docker")?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| "bad chunk size from Docker")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size {
            return Err("truncated chunked answer from Docker".into());
        }
        out.extend_from_slice(&b[..size]);
        b = b.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_plain_or_chunked() {
        let plain = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"ID\":\"x\"}]\n";
        assert_eq!(parse_response(plain).unwrap()[0]["ID"], "x");
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1,2\r\n2\r\n,3\r\n1\r\n]\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).unwrap(),
            serde_json::json!([1, 2, 3])
        );
        let err = b"HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"service x not found\"}";
        assert_eq!(
            parse_response(err).unwrap_err(),
            "Error response from daemon: service x not found"
        );
    }
}
