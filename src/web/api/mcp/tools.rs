//! The MCP tools: each one is an API request (method, path, JSON body) built from the tool's
//! arguments, so a tool reads and acts through the API's own handlers, scope checks and audit.
//! Arguments are checked here before anything is sent: names and ids of plain characters only
//! (they go into the path), numbers in range, nothing unknown.

use axum::http::Method;
use serde_json::{Map, Value, json};

use crate::web::urls;

/// Who may call a tool (the handler checks again: this decides only what `tools/list` shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// any token (a deploy token reads its stacks only)
    Read,
    /// an operate token, or a deploy token within its stacks
    Change,
}

/// The API request a tool call becomes.
#[derive(Debug, PartialEq)]
pub struct Call {
    pub method: Method,
    /// path and query
    pub path: String,
    pub body: Option<Value>,
}

pub struct Tool {
    pub name: &'static str,
    pub description: &'static str,
    pub needs: Needs,
    /// `(name, JSON schema type, description, required)`
    pub args: &'static [(&'static str, &'static str, &'static str, bool)],
    pub call: fn(&Args) -> Result<Call, String>,
}

/// Largest compose text or env a tool passes on: the API checks the real limits.
const MAX_TEXT: usize = crate::web::api::API_BODY_LIMIT;

const ID: (&str, &str, &str, bool) = ("id", "string", "id or name", true);
const STACK: (&str, &str, &str, bool) = ("stack", "string", "stack name", true);
const WAIT: (&str, &str, &str, bool) = (
    "wait",
    "boolean",
    "answer when the job has ended (default true)",
    false,
);

pub static TOOLS: &[Tool] = &[
    Tool {
        name: "list_nodes",
        description: "The swarm's nodes: role, state, availability, engine, resources, labels.",
        needs: Needs::Read,
        args: &[],
        call: |_| get(urls::API_NODES.into()),
    },
    Tool {
        name: "inspect_node",
        description: "One node and the tasks placed on it.",
        needs: Needs::Read,
        args: &[ID],
        call: |a| get(urls::api_node(a.plain("id")?)),
    },
    Tool {
        name: "list_services",
        description: "Services (running/desired replicas, image, ports, update state), optionally of one stack.",
        needs: Needs::Read,
        args: &[("stack", "string", "only this stack's services", false)],
        call: |a| {
            get(with_query(
                urls::API_SERVICES,
                &[("stack", a.opt_plain("stack")?)],
            ))
        },
    },
    Tool {
        name: "inspect_service",
        description: "One service and its tasks (like `docker service ps`).",
        needs: Needs::Read,
        args: &[ID],
        call: |a| get(urls::api_service(a.plain("id")?)),
    },
    Tool {
        name: "list_tasks",
        description: "Tasks, optionally filtered by service, node or stack.",
        needs: Needs::Read,
        args: &[
            ("service", "string", "service id or name", false),
            ("node", "string", "node id or name", false),
            ("stack", "string", "stack name", false),
        ],
        call: |a| {
            let q = [
                ("service", a.opt_plain("service")?),
                ("node", a.opt_plain("node")?),
                ("stack", a.opt_plain("stack")?),
            ];
            get(with_query(urls::API_TASKS, &q))
        },
    },
    Tool {
        name: "list_stacks",
        description: "Stacks with their service count and running/desired tasks.",
        needs: Needs::Read,
        args: &[],
        call: |_| get(urls::API_STACKS.into()),
    },
    Tool {
        name: "inspect_stack",
        description: "One stack: its services and tasks (`stack services` and `stack ps`) and its newest version.",
        needs: Needs::Read,
        args: &[STACK],
        call: |a| get(urls::api_stack(a.plain("stack")?)),
    },
    Tool {
        name: "stack_versions",
        description: "A stack's deployed versions, newest first: who, when, outcome, images, git commit.",
        needs: Needs::Read,
        args: &[STACK],
        call: |a| get(urls::api_stack_action(a.plain("stack")?, "versions")),
    },
    Tool {
        name: "deploy_job",
        description: "A deploy or removal job: status and its lines.",
        needs: Needs::Read,
        args: &[(
            "job",
            "string",
            "the job id a deploy or removal answered",
            true,
        )],
        call: |a| get(urls::api_job(a.plain("job")?)),
    },
    Tool {
        name: "scale_service",
        description: "Set a replicated service's number of replicas.",
        needs: Needs::Change,
        args: &[ID, ("replicas", "integer", "replicas (0 to 10000)", true)],
        call: |a| {
            let replicas = a.count("replicas", 10_000)?;
            post(
                urls::api_service_action(a.plain("id")?, "scale"),
                json!({ "replicas": replicas }),
            )
        },
    },
    Tool {
        name: "redeploy_service",
        description: "Restart every task of a service; with pull, resolve its image's tag on the registry again and update when the digest moved.",
        needs: Needs::Change,
        args: &[
            ID,
            (
                "pull",
                "boolean",
                "pull the tag again (default false)",
                false,
            ),
        ],
        call: |a| {
            let pull = a.flag("pull", false)?;
            post(
                urls::api_service_action(a.plain("id")?, "redeploy"),
                json!({ "pull": pull }),
            )
        },
    },
    Tool {
        name: "rollback_service",
        description: "Roll a service back to its previous spec.",
        needs: Needs::Change,
        args: &[ID],
        call: |a| {
            post(
                urls::api_service_action(a.plain("id")?, "rollback"),
                json!({}),
            )
        },
    },
    Tool {
        name: "deploy_stack",
        description: "Deploy a compose file (and KEY=value variables) as the stack's next version, through berth's deploy pipeline.",
        needs: Needs::Change,
        args: &[
            STACK,
            ("compose", "string", "the compose file's text", true),
            ("env", "string", "variables, KEY=value per line", false),
            (
                "prune",
                "boolean",
                "remove services the file no longer has",
                false,
            ),
            (
                "pull",
                "boolean",
                "resolve every image tag on its registry again",
                false,
            ),
            WAIT,
        ],
        call: |a| {
            let body = json!({
                "compose": a.text("compose", true)?,
                "env": a.text("env", false)?,
                "prune": a.flag("prune", false)?,
                "pull": a.flag("pull", false)?,
            });
            let path = urls::api_stack_action(a.plain("stack")?, "deploy");
            post(with_wait(path, a.flag("wait", true)?), body)
        },
    },
    Tool {
        name: "remove_stack",
        description: "Remove a stack's services, networks, secrets and configs.",
        needs: Needs::Change,
        args: &[STACK, WAIT],
        call: |a| {
            let path = urls::api_stack_action(a.plain("stack")?, "remove");
            post(with_wait(path, a.flag("wait", true)?), json!({}))
        },
    },
];

fn get(path: String) -> Result<Call, String> {
    Ok(Call {
        method: Method::GET,
        path,
        body: None,
    })
}

fn post(path: String, body: Value) -> Result<Call, String> {
    Ok(Call {
        method: Method::POST,
        path,
        body: Some(body),
    })
}

fn with_query(path: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v {
            q.append_pair(k, v);
        }
    }
    let q = q.finish();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{q}")
    }
}

fn with_wait(path: String, wait: bool) -> String {
    if wait {
        format!("{path}?wait=true")
    } else {
        path
    }
}

/// A tool call's arguments, checked against the tool's list first.
pub struct Args<'a>(&'a Map<String, Value>);

impl<'a> Args<'a> {
    /// Unknown arguments are refused (a misspelt `replicas` must not scale to a default).
    pub fn check(tool: &Tool, args: &'a Map<String, Value>) -> Result<Args<'a>, String> {
        if let Some(k) = args.keys().find(|k| !tool.args.iter().any(|a| a.0 == *k)) {
            return Err(format!("{}: there is no argument {k:?}.", tool.name));
        }
        Ok(Args(args))
    }

    fn opt_str(&self, name: &str) -> Result<Option<&'a str>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("{name} must be a string.")),
        }
    }

    /// An id or name that goes into the path: plain characters only.
    fn opt_plain(&self, name: &str) -> Result<Option<&'a str>, String> {
        match self.opt_str(name)? {
            Some(s) if !crate::docker::raw::is_plain_ref(s) => Err(format!(
                "{name} {s:?} is not a name berth knows: letters, digits, '.', '_' and '-' only, at most 128."
            )),
            v => Ok(v),
        }
    }

    fn plain(&self, name: &str) -> Result<&'a str, String> {
        self.opt_plain(name)?
            .ok_or_else(|| format!("{name} is required."))
    }

    fn text(&self, name: &str, required: bool) -> Result<&'a str, String> {
        match self.opt_str(name)? {
            Some(s) if s.len() > MAX_TEXT => {
                Err(format!("{name} is larger than {MAX_TEXT} bytes."))
            }
            Some(s) => Ok(s),
            None if required => Err(format!("{name} is required.")),
            None => Ok(""),
        }
    }

    fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("{name} must be true or false.")),
        }
    }

    fn count(&self, name: &str, max: u64) -> Result<u64, String> {
        match self.0.get(name).and_then(Value::as_u64) {
            Some(n) if n <= max => Ok(n),
            _ => Err(format!("{name} must be a whole number from 0 to {max}.")),
        }
    }
}

/// The JSON schema of a tool's arguments.
pub fn schema(tool: &Tool) -> Map<String, Value> {
    let mut props = Map::new();
    for (name, ty, description, _) in tool.args {
        props.insert(
            (*name).to_string(),
            json!({ "type": ty, "description": description }),
        );
    }
    let required: Vec<&str> = tool.args.iter().filter(|a| a.3).map(|a| a.0).collect();
    let mut s = Map::new();
    s.insert("type".into(), json!("object"));
    s.insert("properties".into(), Value::Object(props));
    s.insert("required".into(), json!(required));
    s.insert("additionalProperties".into(), json!(false));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Value) -> Result<Call, String> {
        let tool = TOOLS.iter().find(|t| t.name == name).ok_or("no tool")?;
        let Value::Object(map) = args else {
            return Err("not an object".into());
        };
        (tool.call)(&Args::check(tool, &map)?)
    }

    #[test]
    fn tools_become_the_api_requests_of_the_same_actions() {
        let c = call("scale_service", json!({"id": "app_web", "replicas": 3})).unwrap();
        assert_eq!(c.method, Method::POST);
        assert_eq!(c.path, "/api/v1/services/app_web/scale");
        assert_eq!(c.body, Some(json!({"replicas": 3})));
        let c = call(
            "deploy_stack",
            json!({"stack": "app", "compose": "services: {}"}),
        )
        .unwrap();
        assert_eq!(c.path, "/api/v1/stacks/app/deploy?wait=true");
        assert_eq!(
            c.body,
            Some(json!({"compose": "services: {}", "env": "", "prune": false, "pull": false}))
        );
        let c = call("list_tasks", json!({"stack": "app", "node": "n 1"}));
        assert!(c.unwrap_err().contains("node \"n 1\""));
        let c = call("list_tasks", json!({"stack": "app", "service": "a.b"})).unwrap();
        assert_eq!(c.path, "/api/v1/tasks?service=a.b&stack=app");
        let c = call("remove_stack", json!({"stack": "app", "wait": false})).unwrap();
        assert_eq!(c.path, "/api/v1/stacks/app/remove");
    }

    #[test]
    fn bad_arguments_are_refused_before_any_request() {
        for (tool, args, says) in [
            ("inspect_service", json!({"id": "../nodes"}), "not a name"),
            ("inspect_service", json!({}), "id is required"),
            (
                "scale_service",
                json!({"id": "a", "replicas": -1}),
                "whole number",
            ),
            (
                "scale_service",
                json!({"id": "a", "replicas": 10_001}),
                "whole number",
            ),
            (
                "scale_service",
                json!({"id": "a", "replica": 2}),
                "no argument \"replica\"",
            ),
            (
                "redeploy_service",
                json!({"id": "a", "pull": "yes"}),
                "true or false",
            ),
            ("deploy_stack", json!({"stack": "a"}), "compose is required"),
        ] {
            let err = call(tool, args).unwrap_err();
            assert!(err.contains(says), "{tool}: {err}");
        }
    }

    #[test]
    fn every_tool_has_a_schema_naming_its_required_arguments() {
        for tool in TOOLS {
            let s = schema(tool);
            let required = s["required"].as_array().map_or(0, Vec::len);
            assert_eq!(
                required,
                tool.args.iter().filter(|a| a.3).count(),
                "{}",
                tool.name
            );
        }
    }
}
