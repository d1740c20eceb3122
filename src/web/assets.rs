//! Static files (CSS, JS, vendored htmx), embedded in release builds by memory-serve and served
//! on content-hashed URLs so browsers can cache them forever.

use axum::Router;

/// Vendored htmx: pinned 2.x, fetched by scripts/fetch-assets.
pub const HTMX: &str = "/vendor/htmx.org-2.0.11/htmx.min.js";
/// Vendored htmx-ext-sse (live parts pushed over server-sent events), pinned like htmx.
pub const HTMX_SSE: &str = "/vendor/htmx-ext-sse-2.2.4/sse.min.js";

#[derive(Clone)]
pub struct Assets {
    pub css: String,
    pub js: String,
    pub htmx: String,
    pub sse: String,
    router: Router,
}

impl Assets {
    pub fn load() -> Assets {
        let serve = memory_serve::load!()
            .enable_hashed_routes(true)
            .index_file(None);
        let manifest = serve.manifest();
        let url = |path: &str| {
            let hashed = manifest.get(path).unwrap_or(path);
            format!("{}{hashed}", super::urls::STATIC)
        };
        Assets {
            css: url("/app.css"),
            js: url("/app.js"),
            htmx: url(HTMX),
            sse: url(HTMX_SSE),
            router: serve.into_router(),
        }
    }

    /// The URL of any file under static/ (hashed when available).
    pub fn router(&self) -> Router {
        self.router.clone()
    }
}
