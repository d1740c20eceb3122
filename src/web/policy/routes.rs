//! The routes a router serves, read from its `Debug` form (axum offers no listing): each
//! route's pattern and the methods it answers. For the policy test, which must see every
//! route the router holds, whoever added it.

/// `(method, pattern)` of every route in `router_debug` (`format!("{router:?}")` of the app):
/// methods as `"GET"`, `"POST"`…, or `"*"` for a nested service (every method reaches it).
/// Empty when the form is not what axum 0.8 prints (the test then fails on it).
pub fn routes_of(router_debug: &str) -> Vec<(String, String)> {
    // only the path router: the fallback router numbers its routes on its own
    let body = router_debug
        .split_once("path_router:")
        .map(|(_, rest)| rest)
        .unwrap_or("");
    let body = body.split("fallback_router:").next().unwrap_or("");
    let (routes, node) = match body.split_once("node: Node") {
        Some(parts) => parts,
        None => return Vec::new(),
    };
    // node: `Node { paths: {RouteId(3): "/nodes", …} }`
    let mut paths = std::collections::HashMap::new();
    for chunk in node.split("RouteId(").skip(1) {
        let Some((id, rest)) = chunk.split_once("): \"") else {
            continue;
        };
        let Some((path, _)) = rest.split_once('"') else {
            continue;
        };
        paths.insert(id.to_string(), path.to_string());
    }
    // routes: `{RouteId(3): MethodRouter(MethodRouter { get: Route(…), head: …, … }), …}`
    let mut out = Vec::new();
    for chunk in routes.split("RouteId(").skip(1) {
        let Some((id, rest)) = chunk.split_once("): ") else {
            continue;
        };
        let Some(path) = paths.get(id) else {
            continue;
        };
        if let Some(fields) = rest.strip_prefix("MethodRouter(MethodRouter {") {
            for (field, method) in [
                ("get", "GET"),
                ("post", "POST"),
                ("put", "PUT"),
                ("patch", "PATCH"),
                ("delete", "DELETE"),
            ] {
                let key = format!(" {field}: ");
                let Some((_, value)) = fields.split_once(&key) else {
                    continue;
                };
                if !value.starts_with("None") {
                    out.push((method.to_string(), path.clone()));
                }
            }
        } else {
            out.push(("*".to_string(), path.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::{get, post};

    use super::*;

    #[test]
    fn the_routes_of_a_router_are_read_with_their_methods() {
        let inner: Router = Router::new().route("/b/{id}", post(|| async {}));
        let router: Router = Router::new()
            .route("/a", get(|| async {}).post(|| async {}))
            .merge(inner)
            .layer(tower_http::trace::TraceLayer::new_for_http())
            .nest_service(
                "/static",
                tower::service_fn(|_| async {
                    Ok::<_, std::convert::Infallible>(axum::response::Response::new(
                        axum::body::Body::empty(),
                    ))
                }),
            )
            .fallback(|| async {});
        let routes = routes_of(&format!("{router:?}"));
        let has = |m: &str, p: &str| routes.iter().any(|(a, b)| a == m && b == p);
        assert!(has("GET", "/a") && has("POST", "/a"), "{routes:?}");
        assert!(
            has("POST", "/b/{id}") && !has("GET", "/b/{id}"),
            "{routes:?}"
        );
        assert!(
            routes
                .iter()
                .any(|(m, p)| m == "*" && p.starts_with("/static")),
            "{routes:?}"
        );
    }
}
