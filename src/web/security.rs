//! Response headers every page gets, request ids, and the cross-origin (CSRF) layer.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use tower_http::csrf::{CsrfLayer, ProtectionError};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::error::ErrorInfo;

/// No inline script or style anywhere; Ace's YAML worker may start from a blob.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'; object-src 'none'";

pub fn headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
            ),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ]
}

/// Cross-origin state changes answer 403 (Origin / Sec-Fetch-Site, as Go 1.25's
/// CrossOriginProtection). Same-site cookies and the per-session token in `session` add to it.
pub fn csrf_layer() -> CsrfLayer<fn(ProtectionError) -> Response<Body>> {
    CsrfLayer::new().with_rejection_response(reject as fn(ProtectionError) -> Response<Body>)
}

fn reject(err: ProtectionError) -> Response<Body> {
    tracing::warn!("refused a cross-origin request: {err:?}");
    ErrorInfo::new(
        StatusCode::FORBIDDEN,
        "Cross-site request refused",
        "This request came from another site, so berth refused it. If you clicked a button in berth, reload the page and try again.",
    )
    .into_response()
}

/// Request ids: 11 random URL-safe characters, in logs and on error pages.
#[derive(Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _req: &Request<B>) -> Option<RequestId> {
        let id = crate::auth::tokens::random_token(8);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}
