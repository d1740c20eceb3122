//! The MCP endpoint `/api/v1/mcp` with rmcp's own client over HTTP: the tools a token sees,
//! reads of the lab swarm, actions that change Docker, and the API's scopes holding for tools.

use axum::http::Method;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use super::cluster::deployed;
use super::{app, call, token};
use crate::harness::{TestServer, lab, unique};
use crate::stacks::{cleanup, service_json};

type Client = RunningService<RoleClient, ()>;

async fn connect(server: &TestServer, token: &str) -> Client {
    // reqwest (inside rmcp's client) takes rustls's process-wide provider, as berth does
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{}/api/v1/mcp", server.url))
            .auth_header(token),
    );
    ().serve(transport).await.expect("MCP initialize")
}

async fn tool(client: &Client, name: &str, args: Value) -> CallToolResult {
    let Value::Object(args) = args else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ok(r: CallToolResult) -> Value {
    assert_ne!(r.is_error, Some(true), "tool failed: {r:?}");
    r.structured_content.expect("a JSON answer")
}

/// The API's error message a tool answered.
fn refused(r: CallToolResult) -> String {
    assert_eq!(r.is_error, Some(true), "tool did not fail: {r:?}");
    let v = r.structured_content.unwrap_or(Value::Null);
    format!("{}: {}", v["error"]["code"], v["error"]["message"])
}

async fn tool_names(client: &Client) -> Vec<String> {
    let tools = client.list_all_tools().await.expect("tools/list");
    tools.into_iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn an_mcp_client_lists_tools_reads_the_swarm_and_an_operate_token_scales_a_service() {
    let lab = lab("one");
    let app = app().await;
    let ops = token(&app, "assistant", "operate", "").await;
    let name = unique("mcpo");
    deployed(&app, &ops, &name).await;
    let svc = format!("{name}_web");
    let server = TestServer::start(app.state.clone()).await;
    let client = connect(&server, &ops).await;

    let tools = tool_names(&client).await;
    for t in [
        "list_nodes",
        "list_services",
        "inspect_stack",
        "stack_versions",
        "scale_service",
        "deploy_stack",
        "remove_stack",
    ] {
        assert!(tools.contains(&t.to_string()), "{t} missing: {tools:?}");
    }
    let services = ok(tool(&client, "list_services", json!({"stack": name})).await);
    assert_eq!(services["services"][0]["name"], svc.as_str());
    assert_eq!(services["services"][0]["running"], 1);
    let stack = ok(tool(&client, "inspect_stack", json!({"stack": name})).await);
    assert_eq!(stack["tasks"][0]["state"], "running");
    let versions = ok(tool(&client, "stack_versions", json!({"stack": name})).await);
    assert_eq!(versions["versions"][0]["version"], 1);
    assert_eq!(versions["versions"][0]["outcome"], "ok");
    let nodes = ok(tool(&client, "list_nodes", json!({})).await);
    assert_eq!(nodes["nodes"][0]["role"], "manager");

    let scaled = ok(tool(&client, "scale_service", json!({"id": svc, "replicas": 2})).await);
    assert_eq!(scaled["name"], svc.as_str());
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        2
    );
    // bad arguments are refused before anything is sent, and say which
    let r = refused(
        tool(
            &client,
            "scale_service",
            json!({"id": svc, "replicas": "two"}),
        )
        .await,
    );
    assert!(r.contains("replicas must be a whole number"), "{r}");
    let r = refused(tool(&client, "inspect_service", json!({"id": "../nodes"})).await);
    assert!(r.contains("not a name berth knows"), "{r}");
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        2
    );
    // audited as the API audits it, with the token's name
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, COALESCE(detail, '') FROM audit_log WHERE action = 'service.scale'",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert!(
        rows.iter().any(|(_, d)| d.contains("(token assistant)")),
        "{rows:?}"
    );

    // a stack deployed and removed through tools
    let other = unique("mcpd");
    let compose = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    environment:\n      MODE: ${MODE}\n";
    let job = ok(tool(
        &client,
        "deploy_stack",
        json!({"stack": other, "compose": compose, "env": "MODE=mcp\n"}),
    )
    .await);
    assert_eq!(job["job"]["status"], "ok");
    let env =
        service_json(lab, &format!("{other}_web"))["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
            .clone();
    assert_eq!(env, json!(["MODE=mcp"]));
    let job = ok(tool(&client, "remove_stack", json!({"stack": other})).await);
    assert_eq!(job["job"]["status"], "ok");
    client.cancel().await.ok();
    server.stop().await;
    cleanup(lab, &other).await;
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn mcp_tools_keep_to_the_tokens_scope() {
    let lab = lab("one");
    let app = app().await;
    let ops = token(&app, "ops", "operate", "").await;
    let (mine, other) = (unique("mcpa"), unique("mcpb"));
    deployed(&app, &ops, &mine).await;
    deployed(&app, &ops, &other).await;
    let read = token(&app, "look", "read", "").await;
    let ci = token(&app, "ci", "deploy", &mine).await;
    let server = TestServer::start(app.state.clone()).await;

    // a read token: the reading tools only, and an action is refused by the API's check
    let client = connect(&server, &read).await;
    let tools = tool_names(&client).await;
    assert!(tools.contains(&"list_services".to_string()), "{tools:?}");
    assert!(!tools.contains(&"scale_service".to_string()), "{tools:?}");
    let svc = format!("{mine}_web");
    let r = refused(tool(&client, "scale_service", json!({"id": svc, "replicas": 3})).await);
    assert!(r.contains("forbidden") && r.contains("read scope"), "{r}");
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        1
    );
    client.cancel().await.ok();

    // a deploy token for one stack: it sees and changes that one only
    let client = connect(&server, &ci).await;
    let stacks = ok(tool(&client, "list_stacks", json!({})).await);
    let names: Vec<&str> = stacks["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, vec![mine.as_str()]);
    ok(tool(&client, "scale_service", json!({"id": svc, "replicas": 2})).await);
    let theirs = format!("{other}_web");
    let r = refused(
        tool(
            &client,
            "scale_service",
            json!({"id": theirs, "replicas": 3}),
        )
        .await,
    );
    assert!(r.contains("forbidden"), "{r}");
    let compose = "services:\n  web:\n    image: berth-test/busybox:1\n";
    let r = refused(
        tool(
            &client,
            "deploy_stack",
            json!({"stack": other, "compose": compose}),
        )
        .await,
    );
    assert!(r.contains("forbidden"), "{r}");
    let r = refused(tool(&client, "remove_stack", json!({"stack": other})).await);
    assert!(r.contains("forbidden"), "{r}");
    let r = refused(tool(&client, "list_nodes", json!({})).await);
    assert!(r.contains("forbidden"), "{r}");
    assert_eq!(
        service_json(lab, &theirs)["Spec"]["Mode"]["Replicated"]["Replicas"],
        1
    );
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        2
    );
    client.cancel().await.ok();

    // no token, a wrong one, or a session cookie: the endpoint does not open
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}});
    let r = call(&app, Method::POST, "/api/v1/mcp", None, Some(init.clone())).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = call(
        &app,
        Method::POST,
        "/api/v1/mcp",
        Some("berth_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Some(init),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    server.stop().await;
    cleanup(lab, &mine).await;
    cleanup(lab, &other).await;
}
