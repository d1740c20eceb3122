//! Every URL of berth, named once: the router, redirects and templates use these.

pub const DASHBOARD: &str = "/";
pub const SETUP: &str = "/setup";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const SETTINGS: &str = "/settings";
pub const SETTINGS_PASSWORD: &str = "/settings/password";
pub const SETTINGS_USERS: &str = "/settings/users";
pub const AUDIT: &str = "/audit";
pub const HEALTHZ: &str = "/healthz";
pub const SWARM_INIT: &str = "/swarm/init";
pub const DOCKER_STATUS: &str = "/partials/docker-status";
pub const NODES: &str = "/nodes";
pub const SERVICES: &str = "/services";
pub const STACKS: &str = "/stacks";
pub const STATIC: &str = "/static";

// ---- nodes --------------------------------------------------------------------------------
pub const NODES_MAP: &str = "/nodes/map";
/// the list's live table (htmx polls it with the page's filters and sort)
pub const NODES_LIVE: &str = "/nodes/live";
/// the map's live columns
pub const NODES_MAP_LIVE: &str = "/nodes/map/live";
pub const SWARM_ROTATE_TOKEN: &str = "/swarm/rotate-token";

pub fn node(id: &str) -> String {
    format!("/nodes/{id}")
}

/// `/nodes/{id}/{action}` for availability, role, labels, labels/delete, delete, live
pub fn node_action(id: &str, action: &str) -> String {
    format!("/nodes/{id}/{action}")
}

// ---- services -----------------------------------------------------------------------------
pub const SERVICES_NEW: &str = "/services/new";

pub fn service(id: &str) -> String {
    format!("/services/{id}")
}

/// `/services/{id}/{action}` for scale, image, env, ports, constraints, resources, redeploy,
/// rollback, delete, logs, logs.txt, logs/stream
pub fn service_action(id: &str, action: &str) -> String {
    format!("/services/{id}/{action}")
}

// ---- stacks -------------------------------------------------------------------------------
pub const STACKS_NEW: &str = "/stacks/new";
pub const STACKS_VALIDATE: &str = "/stacks/validate";

pub fn stack(name: &str) -> String {
    format!("/stacks/{name}")
}

/// `/stacks/{name}/{action}` for preview, delete, history, …
pub fn stack_action(name: &str, action: &str) -> String {
    format!("/stacks/{name}/{action}")
}

// ---- settings -----------------------------------------------------------------------------
pub fn settings_user_delete(id: i64) -> String {
    format!("/settings/users/{id}/delete")
}

/// Longest `next` target kept after login.
pub const MAX_NEXT_LEN: usize = 2048;

/// A `next` target after login: only a path on this site, else the dashboard.
///
/// Accepted: one leading `/`, then anything but `/` or `\` as the second character, with no
/// control character or whitespace anywhere (browsers drop tabs and newlines from a URL, so
/// `/<TAB>/evil.example` would become `//evil.example`) and no scheme; at most
/// [`MAX_NEXT_LEN`] bytes.
pub fn safe_next(next: &str) -> &str {
    let mut chars = next.chars();
    let local = next.len() <= MAX_NEXT_LEN
        && chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && !next.contains("://");
    if local { next } else { DASHBOARD }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_local() {
        assert_eq!(safe_next("/services?x=1"), "/services?x=1");
        assert_eq!(safe_next("/"), "/");
        assert_eq!(safe_next("/stacks/web/history"), "/stacks/web/history");
        assert_eq!(safe_next("/audit?user=a%2Fb"), "/audit?user=a%2Fb");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn next_targets_with_characters_browsers_drop_go_to_the_dashboard() {
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "/\u{3000}/evil.example",
            "\t//evil.example",
            " /x",
            "/x\\..\\evil",
            "/redirect?to=https://evil.example",
            "evil.example",
            "javascript:alert(1)",
            "/\u{85}/evil.example",
            &format!("/{}", "a".repeat(MAX_NEXT_LEN)),
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
