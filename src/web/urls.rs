//! Every URL of berth, named once: the router, redirects and templates use these.

pub const DASHBOARD: &str = "/";
pub const SETUP: &str = "/setup";
pub const LOGIN: &str = "/login";
/// the sign-in's second step for an account with TOTP on (after a right password)
pub const LOGIN_TOTP: &str = "/login/totp";
pub const LOGOUT: &str = "/logout";
pub const SETTINGS: &str = "/settings";
pub const SETTINGS_PASSWORD: &str = "/settings/password";
pub const SETTINGS_USERS: &str = "/settings/users";
pub const AUDIT: &str = "/audit";
pub const HEALTHZ: &str = "/healthz";
/// Prometheus text format (session or API token)
pub const METRICS: &str = "/metrics";
pub const SWARM_INIT: &str = "/swarm/init";
pub const DOCKER_STATUS: &str = "/partials/docker-status";
pub const NODES: &str = "/nodes";
pub const SERVICES: &str = "/services";
pub const STACKS: &str = "/stacks";
pub const REGISTRIES: &str = "/registries";
pub const ALERTS: &str = "/alerts";
pub const ALERTS_CHANNELS: &str = "/alerts/channels";
pub const ALERTS_MUTES: &str = "/alerts/mutes";
pub const SECRETS: &str = "/secrets";
pub const CONFIGS: &str = "/configs";
pub const NETWORKS: &str = "/networks";
pub const VOLUMES: &str = "/volumes";
pub const STATIC: &str = "/static";

// ---- nodes --------------------------------------------------------------------------------
pub const NODES_MAP: &str = "/nodes/map";
/// the list's live table (htmx polls it with the page's filters and sort)
pub const NODES_LIVE: &str = "/nodes/live";
/// the map's live columns
pub const NODES_MAP_LIVE: &str = "/nodes/map/live";
/// the live parts' server-sent events (same query as the part, plus `fp`)
pub const NODES_EVENTS: &str = "/nodes/live/events";
pub const NODES_MAP_EVENTS: &str = "/nodes/map/live/events";
pub const SERVICES_EVENTS: &str = "/services/live/events";
pub const STACKS_EVENTS: &str = "/stacks/live/events";
pub const SWARM_ROTATE_TOKEN: &str = "/swarm/rotate-token";

pub fn node(id: &str) -> String {
    format!("/nodes/{id}")
}

/// `/nodes/{id}/{action}` for availability, role, labels, labels/delete, delete, live
pub fn node_action(id: &str, action: &str) -> String {
    format!("/nodes/{id}/{action}")
}

// ---- secrets, configs, networks, volumes --------------------------------------------------
pub fn network(id: &str) -> String {
    format!("/networks/{id}")
}

/// `/networks/{id}/{action}` for remove
pub fn network_action(id: &str, action: &str) -> String {
    format!("/networks/{id}/{action}")
}

/// `/volumes/{name}/{action}` for remove
pub fn volume_action(name: &str, action: &str) -> String {
    format!("/volumes/{name}/{action}")
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

/// The console page of task `task` of service `id` (and its one-shot command form).
pub fn task_console(id: &str, task: &str) -> String {
    format!("/services/{id}/tasks/{task}/console")
}

/// The console's WebSocket.
pub fn task_console_socket(id: &str, task: &str) -> String {
    format!("/services/{id}/tasks/{task}/console/socket")
}

/// The task's own container log (through the agent on its node).
pub fn task_log(id: &str, task: &str) -> String {
    format!("/services/{id}/tasks/{task}/log")
}

// ---- stacks -------------------------------------------------------------------------------
pub const STACKS_NEW: &str = "/stacks/new";
pub const STACKS_VALIDATE: &str = "/stacks/validate";
/// the list's live rows
pub const STACKS_LIVE: &str = "/stacks/live";
/// creates a git-backed stack (the form is a section of /stacks/new)
pub const STACKS_NEW_GIT: &str = "/stacks/new/git";

/// `/hooks/git/{secret}`: a git-backed stack's push webhook
pub fn git_hook(secret: &str) -> String {
    format!("/hooks/git/{secret}")
}

pub fn stack(name: &str) -> String {
    format!("/stacks/{name}")
}

/// `/stacks/{name}/{action}` for preview, delete, history, …
pub fn stack_action(name: &str, action: &str) -> String {
    format!("/stacks/{name}/{action}")
}

/// `/stacks/{name}/versions/{version}`: one stored version
pub fn stack_version(name: &str, version: impl std::fmt::Display) -> String {
    format!("/stacks/{name}/versions/{version}")
}

/// `/stacks/{name}/versions/{version}/{action}` for redeploy, events
pub fn stack_version_action(name: &str, version: impl std::fmt::Display, action: &str) -> String {
    format!("/stacks/{name}/versions/{version}/{action}")
}

/// `/jobs/{id}`: a removal's progress page
pub fn job(id: &str) -> String {
    format!("/jobs/{id}")
}

/// `/jobs/{id}/events`: its progress as server-sent events
pub fn job_events(id: &str) -> String {
    format!("/jobs/{id}/events")
}

/// `/stacks/{name}/webhooks/{id}/{action}` for rotate, delete
pub fn stack_webhook_action(name: &str, id: i64, action: &str) -> String {
    format!("/stacks/{name}/webhooks/{id}/{action}")
}

// ---- deploy webhooks ----------------------------------------------------------------------
/// Where webhook calls go (no session: the secret in the address is the credential).
pub const HOOKS: &str = "/hooks";

/// `/hooks/{token}`: a deploy webhook's secret address
pub fn hook(token: &str) -> String {
    format!("/hooks/{token}")
}

/// A request path fit for the log: a webhook's secret address is cut to `/hooks/…`.
pub fn loggable_path(path: &str) -> &str {
    match path.strip_prefix(HOOKS) {
        Some(rest) if rest.starts_with('/') => "/hooks/…",
        _ => path,
    }
}

// ---- registries ---------------------------------------------------------------------------
/// `/registries/{id}`: the edit form (GET) and its submission (POST)
pub fn registry(id: i64) -> String {
    format!("/registries/{id}")
}

/// `/alerts/channels/{id}/{action}` for test, remove
pub fn alerts_channel(id: i64, action: &str) -> String {
    format!("/alerts/channels/{id}/{action}")
}

/// `/alerts/rules/{rule}`: a rule's edit
pub fn alerts_rule(rule: &str) -> String {
    format!("/alerts/rules/{rule}")
}

/// `/alerts/mutes/{id}/remove`
pub fn alerts_mute_remove(id: i64) -> String {
    format!("/alerts/mutes/{id}/remove")
}

/// `/registries/{id}/{action}` for test, remove
pub fn registry_action(id: i64, action: &str) -> String {
    format!("/registries/{id}/{action}")
}

// ---- settings -----------------------------------------------------------------------------
pub fn settings_user_delete(id: i64) -> String {
    format!("/settings/users/{id}/delete")
}

/// an account's role (admins)
pub fn settings_user_role(id: i64) -> String {
    format!("/settings/users/{id}/role")
}

/// teams (admins): created here; a team's members and removal below
pub const SETTINGS_TEAMS: &str = "/settings/teams";

pub fn settings_team_members(id: i64) -> String {
    format!("/settings/teams/{id}/members")
}

pub fn settings_team_delete(id: i64) -> String {
    format!("/settings/teams/{id}/delete")
}

/// which team owns a stack (admins)
pub const SETTINGS_STACK_OWNER: &str = "/settings/stack-owner";

/// OpenID Connect sign-in: sent to the provider, and back from it
pub const OIDC_START: &str = "/auth/oidc/start";
pub const OIDC_CALLBACK: &str = "/auth/oidc/callback";
/// the OpenID Connect settings (admins)
pub const SETTINGS_OIDC: &str = "/settings/oidc";

/// the API tokens: the list is on the settings page, created here
pub const SETTINGS_TOKENS: &str = "/settings/tokens";

pub fn settings_token_revoke(id: i64) -> String {
    format!("/settings/tokens/{id}/revoke")
}

/// your own TOTP: set up (a new secret), confirmed by a first code, turned off
pub const SETTINGS_TOTP: &str = "/settings/totp";
pub const SETTINGS_TOTP_CONFIRM: &str = "/settings/totp/confirm";
pub const SETTINGS_TOTP_DISABLE: &str = "/settings/totp/disable";

/// another account's TOTP reset (admins)
pub fn settings_user_totp_reset(id: i64) -> String {
    format!("/settings/users/{id}/totp/reset")
}

// ---- the JSON API -------------------------------------------------------------------------
/// Everything under it is the API: bearer tokens, JSON errors, no session and no CSRF.
pub const API: &str = "/api";
pub const API_V1: &str = "/api/v1";
pub const API_STACKS: &str = "/api/v1/stacks";
pub const API_NODES: &str = "/api/v1/nodes";
pub const API_SERVICES: &str = "/api/v1/services";
pub const API_TASKS: &str = "/api/v1/tasks";
pub const API_SECRETS: &str = "/api/v1/secrets";
pub const API_CONFIGS: &str = "/api/v1/configs";
pub const API_NETWORKS: &str = "/api/v1/networks";
pub const API_VOLUMES: &str = "/api/v1/volumes";
pub const API_ALERTS: &str = "/api/v1/alerts";
pub const API_OPENAPI: &str = "/api/v1/openapi.json";
/// The MCP endpoint (streamable HTTP): the API's reads and actions as tools for AI clients.
pub const API_MCP: &str = "/api/v1/mcp";

pub fn api_node_containers(id: &str) -> String {
    format!("/api/v1/nodes/{id}/containers")
}

pub fn api_node(id: &str) -> String {
    format!("/api/v1/nodes/{id}")
}

pub fn api_service(id: &str) -> String {
    format!("/api/v1/services/{id}")
}

/// `/api/v1/services/{id}/{action}` for scale, redeploy, rollback
pub fn api_service_action(id: &str, action: &str) -> String {
    format!("/api/v1/services/{id}/{action}")
}

pub fn api_stack(name: &str) -> String {
    format!("/api/v1/stacks/{name}")
}

/// `/api/v1/stacks/{name}/{action}` for deploy, remove
pub fn api_stack_action(name: &str, action: &str) -> String {
    format!("/api/v1/stacks/{name}/{action}")
}

pub fn api_job(id: &str) -> String {
    format!("/api/v1/jobs/{id}")
}

pub fn api_job_events(id: &str) -> String {
    format!("/api/v1/jobs/{id}/events")
}

/// The router's patterns for the addresses the builders above make (a test checks that each
/// builder fills its pattern).
pub mod route {
    pub const NODE: &str = "/nodes/{id}";
    pub const NODE_LIVE: &str = "/nodes/{id}/live";
    pub const NODE_EVENTS: &str = "/nodes/{id}/live/events";
    pub const NODE_AVAILABILITY: &str = "/nodes/{id}/availability";
    pub const NODE_ROLE: &str = "/nodes/{id}/role";
    pub const NODE_LABELS: &str = "/nodes/{id}/labels";
    pub const NODE_LABELS_DELETE: &str = "/nodes/{id}/labels/delete";
    pub const NODE_DELETE: &str = "/nodes/{id}/delete";

    pub const SERVICE: &str = "/services/{id}";
    pub const SERVICE_LIVE: &str = "/services/{id}/live";
    pub const SERVICE_USAGE: &str = "/services/{id}/usage";
    pub const SERVICE_EVENTS: &str = "/services/{id}/live/events";
    pub const SERVICE_LOGS: &str = "/services/{id}/logs";
    pub const SERVICE_LOGS_TXT: &str = "/services/{id}/logs.txt";
    pub const SERVICE_LOGS_STREAM: &str = "/services/{id}/logs/stream";
    pub const SERVICE_SCALE: &str = "/services/{id}/scale";
    pub const SERVICE_IMAGE: &str = "/services/{id}/image";
    pub const SERVICE_ENV: &str = "/services/{id}/env";
    pub const SERVICE_PORTS: &str = "/services/{id}/ports";
    pub const SERVICE_CONSTRAINTS: &str = "/services/{id}/constraints";
    pub const SERVICE_RESOURCES: &str = "/services/{id}/resources";
    pub const SERVICE_REDEPLOY: &str = "/services/{id}/redeploy";
    pub const SERVICE_ROLLBACK: &str = "/services/{id}/rollback";
    pub const SERVICE_DELETE: &str = "/services/{id}/delete";
    pub const TASK_CONSOLE: &str = "/services/{id}/tasks/{task}/console";
    pub const TASK_CONSOLE_SOCKET: &str = "/services/{id}/tasks/{task}/console/socket";
    pub const TASK_LOG: &str = "/services/{id}/tasks/{task}/log";

    pub const STACK: &str = "/stacks/{name}";
    pub const STACK_LIVE: &str = "/stacks/{name}/live";
    pub const STACK_EVENTS: &str = "/stacks/{name}/live/events";
    pub const STACK_EDIT: &str = "/stacks/{name}/edit";
    pub const STACK_PREVIEW: &str = "/stacks/{name}/preview";
    pub const STACK_DELETE: &str = "/stacks/{name}/delete";
    pub const STACK_DIFF: &str = "/stacks/{name}/diff";
    pub const STACK_PULL: &str = "/stacks/{name}/pull";
    pub const STACK_HISTORY_DELETE: &str = "/stacks/{name}/history/delete";
    pub const STACK_VERSION: &str = "/stacks/{name}/versions/{version}";
    pub const STACK_VERSION_REDEPLOY: &str = "/stacks/{name}/versions/{version}/redeploy";
    pub const STACK_VERSION_EVENTS: &str = "/stacks/{name}/versions/{version}/events";
    pub const STACK_WEBHOOKS: &str = "/stacks/{name}/webhooks";
    pub const STACK_WEBHOOK_ROTATE: &str = "/stacks/{name}/webhooks/{id}/rotate";
    pub const STACK_WEBHOOK_DELETE: &str = "/stacks/{name}/webhooks/{id}/delete";
    pub const HOOK: &str = "/hooks/{token}";
    pub const STACK_GIT_SYNC: &str = "/stacks/{name}/git/sync";
    pub const STACK_GIT_PAUSE: &str = "/stacks/{name}/git/pause";
    pub const STACK_GIT_EDIT: &str = "/stacks/{name}/git/edit";
    pub const GIT_HOOK: &str = "/hooks/git/{secret}";
    pub const JOB: &str = "/jobs/{id}";
    pub const JOB_EVENTS: &str = "/jobs/{id}/events";

    pub const ALERTS_CHANNEL_TEST: &str = "/alerts/channels/{id}/test";
    pub const ALERTS_CHANNEL_REMOVE: &str = "/alerts/channels/{id}/remove";
    pub const ALERTS_RULE: &str = "/alerts/rules/{rule}";
    pub const ALERTS_MUTE_REMOVE: &str = "/alerts/mutes/{id}/remove";
    pub const SECRET: &str = "/secrets/{id}";
    pub const SECRET_REMOVE: &str = "/secrets/{id}/remove";
    pub const SECRET_ROTATE: &str = "/secrets/{id}/rotate";
    pub const SECRET_USERS: &str = "/secrets/{id}/users";
    pub const CONFIG: &str = "/configs/{id}";
    pub const CONFIG_REMOVE: &str = "/configs/{id}/remove";
    pub const CONFIG_ROTATE: &str = "/configs/{id}/rotate";
    pub const CONFIG_USERS: &str = "/configs/{id}/users";
    pub const NETWORK: &str = "/networks/{id}";
    pub const NETWORK_REMOVE: &str = "/networks/{id}/remove";
    pub const VOLUME_REMOVE: &str = "/volumes/{name}/remove";

    pub const REGISTRY: &str = "/registries/{id}";
    pub const REGISTRY_TEST: &str = "/registries/{id}/test";
    pub const REGISTRY_REMOVE: &str = "/registries/{id}/remove";

    pub const SETTINGS_USER_DELETE: &str = "/settings/users/{id}/delete";
    pub const SETTINGS_USER_ROLE: &str = "/settings/users/{id}/role";
    pub const SETTINGS_USER_TOTP_RESET: &str = "/settings/users/{id}/totp/reset";
    pub const SETTINGS_TEAM_MEMBERS: &str = "/settings/teams/{id}/members";
    pub const SETTINGS_TEAM_DELETE: &str = "/settings/teams/{id}/delete";
    pub const SETTINGS_TOKEN_REVOKE: &str = "/settings/tokens/{id}/revoke";

    pub const API_ANY: &str = "/api/{*rest}";
    pub const API_SECRET: &str = "/api/v1/secrets/{id}";
    pub const API_SECRET_ROTATE: &str = "/api/v1/secrets/{id}/rotate";
    pub const API_CONFIG: &str = "/api/v1/configs/{id}";
    pub const API_CONFIG_ROTATE: &str = "/api/v1/configs/{id}/rotate";
    pub const API_NETWORK: &str = "/api/v1/networks/{id}";
    pub const API_STACK: &str = "/api/v1/stacks/{name}";
    pub const API_STACK_DEPLOY: &str = "/api/v1/stacks/{name}/deploy";
    pub const API_STACK_REMOVE: &str = "/api/v1/stacks/{name}/remove";
    pub const API_STACK_VERSIONS: &str = "/api/v1/stacks/{name}/versions";
    pub const API_JOB: &str = "/api/v1/jobs/{id}";
    pub const API_NODE: &str = "/api/v1/nodes/{id}";
    pub const API_NODE_AVAILABILITY: &str = "/api/v1/nodes/{id}/availability";
    pub const API_NODE_CONTAINERS: &str = "/api/v1/nodes/{id}/containers";
    pub const NODE_USAGE: &str = "/nodes/{id}/usage";
    pub const NODE_STORAGE: &str = "/nodes/{id}/storage";
    pub const NODE_IMAGE_REMOVE: &str = "/nodes/{id}/images/remove";
    pub const NODE_IMAGES_PRUNE: &str = "/nodes/{id}/images/prune";
    pub const NODE_VOLUME_REMOVE: &str = "/nodes/{id}/volumes/remove";
    pub const NODE_VOLUMES_PRUNE: &str = "/nodes/{id}/volumes/prune";
    pub const API_SERVICE: &str = "/api/v1/services/{id}";
    pub const API_SERVICE_SCALE: &str = "/api/v1/services/{id}/scale";
    pub const API_SERVICE_REDEPLOY: &str = "/api/v1/services/{id}/redeploy";
    pub const API_SERVICE_ROLLBACK: &str = "/api/v1/services/{id}/rollback";
    pub const API_JOB_EVENTS: &str = "/api/v1/jobs/{id}/events";
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

    /// `pattern` with each `{key}` replaced by its value.
    fn fill(pattern: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(pattern.to_string(), |p, (k, v)| {
            p.replace(&format!("{{{k}}}"), v)
        })
    }

    #[test]
    fn builders_fill_the_router_patterns() {
        let id = [("id", "abc")];
        let node_actions = [
            (route::NODE_LIVE, "live"),
            (route::NODE_USAGE, "usage"),
            (route::NODE_STORAGE, "storage"),
            (route::NODE_IMAGE_REMOVE, "images/remove"),
            (route::NODE_IMAGES_PRUNE, "images/prune"),
            (route::NODE_VOLUME_REMOVE, "volumes/remove"),
            (route::NODE_VOLUMES_PRUNE, "volumes/prune"),
            (route::NODE_EVENTS, "live/events"),
            (route::NODE_AVAILABILITY, "availability"),
            (route::NODE_ROLE, "role"),
            (route::NODE_LABELS, "labels"),
            (route::NODE_LABELS_DELETE, "labels/delete"),
            (route::NODE_DELETE, "delete"),
        ];
        assert_eq!(node("abc"), fill(route::NODE, &id));
        for (pattern, action) in node_actions {
            assert_eq!(node_action("abc", action), fill(pattern, &id));
        }
        let service_actions = [
            (route::SERVICE_LIVE, "live"),
            (route::SERVICE_USAGE, "usage"),
            (route::SERVICE_EVENTS, "live/events"),
            (route::SERVICE_LOGS, "logs"),
            (route::SERVICE_LOGS_TXT, "logs.txt"),
            (route::SERVICE_LOGS_STREAM, "logs/stream"),
            (route::SERVICE_SCALE, "scale"),
            (route::SERVICE_IMAGE, "image"),
            (route::SERVICE_ENV, "env"),
            (route::SERVICE_PORTS, "ports"),
            (route::SERVICE_CONSTRAINTS, "constraints"),
            (route::SERVICE_RESOURCES, "resources"),
            (route::SERVICE_REDEPLOY, "redeploy"),
            (route::SERVICE_ROLLBACK, "rollback"),
            (route::SERVICE_DELETE, "delete"),
        ];
        assert_eq!(service("abc"), fill(route::SERVICE, &id));
        let task = [("id", "abc"), ("task", "t1")];
        assert_eq!(task_console("abc", "t1"), fill(route::TASK_CONSOLE, &task));
        assert_eq!(
            task_console_socket("abc", "t1"),
            fill(route::TASK_CONSOLE_SOCKET, &task)
        );
        assert_eq!(task_log("abc", "t1"), fill(route::TASK_LOG, &task));
        for (pattern, action) in service_actions {
            assert_eq!(service_action("abc", action), fill(pattern, &id));
        }
        let rid = [("id", "7")];
        assert_eq!(registry(7), fill(route::REGISTRY, &rid));
        assert_eq!(registry_action(7, "test"), fill(route::REGISTRY_TEST, &rid));
        assert_eq!(
            registry_action(7, "remove"),
            fill(route::REGISTRY_REMOVE, &rid)
        );
        assert_eq!(network("abc"), fill(route::NETWORK, &id));
        assert_eq!(
            network_action("abc", "remove"),
            fill(route::NETWORK_REMOVE, &id)
        );
        assert_eq!(
            volume_action("web", "remove"),
            fill(route::VOLUME_REMOVE, &[("name", "web")])
        );
        let name = [("name", "web")];
        let stack_actions = [
            (route::STACK_LIVE, "live"),
            (route::STACK_EVENTS, "live/events"),
            (route::STACK_EDIT, "edit"),
            (route::STACK_PREVIEW, "preview"),
            (route::STACK_DELETE, "delete"),
            (route::STACK_DIFF, "diff"),
            (route::STACK_PULL, "pull"),
            (route::STACK_HISTORY_DELETE, "history/delete"),
            (route::STACK_WEBHOOKS, "webhooks"),
            (route::STACK_GIT_SYNC, "git/sync"),
            (route::STACK_GIT_PAUSE, "git/pause"),
            (route::STACK_GIT_EDIT, "git/edit"),
        ];
        assert_eq!(stack("web"), fill(route::STACK, &name));
        for (pattern, action) in stack_actions {
            assert_eq!(stack_action("web", action), fill(pattern, &name));
        }
        let version = [("name", "web"), ("version", "7")];
        assert_eq!(
            stack_version("web", 7),
            fill(route::STACK_VERSION, &version)
        );
        for (pattern, action) in [
            (route::STACK_VERSION_REDEPLOY, "redeploy"),
            (route::STACK_VERSION_EVENTS, "events"),
        ] {
            assert_eq!(
                stack_version_action("web", 7, action),
                fill(pattern, &version)
            );
        }
        for (pattern, action) in [
            (route::STACK_WEBHOOK_ROTATE, "rotate"),
            (route::STACK_WEBHOOK_DELETE, "delete"),
        ] {
            assert_eq!(
                stack_webhook_action("web", 3, action),
                fill(pattern, &[("name", "web"), ("id", "3")])
            );
        }
        assert_eq!(hook("abc"), fill(route::HOOK, &[("token", "abc")]));
        assert_eq!(loggable_path(&hook("s3cret")), "/hooks/…");
        assert_eq!(loggable_path("/hooksmith"), "/hooksmith");
        assert_eq!(git_hook("s3"), fill(route::GIT_HOOK, &[("secret", "s3")]));
        assert_eq!(job("abc"), fill(route::JOB, &id));
        assert_eq!(job_events("abc"), fill(route::JOB_EVENTS, &id));
        assert_eq!(
            settings_user_delete(3),
            fill(route::SETTINGS_USER_DELETE, &[("id", "3")])
        );
        assert_eq!(
            settings_token_revoke(3),
            fill(route::SETTINGS_TOKEN_REVOKE, &[("id", "3")])
        );
        assert_eq!(
            settings_user_role(3),
            fill(route::SETTINGS_USER_ROLE, &[("id", "3")])
        );
        assert_eq!(
            settings_user_totp_reset(3),
            fill(route::SETTINGS_USER_TOTP_RESET, &[("id", "3")])
        );
        assert_eq!(
            settings_team_members(3),
            fill(route::SETTINGS_TEAM_MEMBERS, &[("id", "3")])
        );
        assert_eq!(
            settings_team_delete(3),
            fill(route::SETTINGS_TEAM_DELETE, &[("id", "3")])
        );
        assert_eq!(api_stack("web"), fill(route::API_STACK, &name));
        for (pattern, action) in [
            (route::API_STACK_DEPLOY, "deploy"),
            (route::API_STACK_REMOVE, "remove"),
            (route::API_STACK_VERSIONS, "versions"),
        ] {
            assert_eq!(api_stack_action("web", action), fill(pattern, &name));
        }
        assert_eq!(api_job("abc"), fill(route::API_JOB, &id));
        assert_eq!(api_node("abc"), fill(route::API_NODE, &id));
        assert_eq!(api_service("abc"), fill(route::API_SERVICE, &id));
        for (pattern, action) in [
            (route::API_SERVICE_SCALE, "scale"),
            (route::API_SERVICE_REDEPLOY, "redeploy"),
            (route::API_SERVICE_ROLLBACK, "rollback"),
        ] {
            assert_eq!(api_service_action("abc", action), fill(pattern, &id));
        }
        assert_eq!(api_job_events("abc"), fill(route::API_JOB_EVENTS, &id));
    }

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
