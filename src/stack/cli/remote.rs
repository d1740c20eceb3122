//! `berth --url URL --token TOKEN stack …`: the same commands driving a remote berth over its
//! API (`/api/v1`), so a CI pipeline needs neither a docker CLI nor the Docker socket. Output
//! and exit codes are the local commands' (the tables come from the same functions); a deploy
//! checks its files here first, with the loader the local command uses, so a broken file gets
//! the same message and exit code and never reaches the server.
//!
//! A deploy sends one compose text (several `-c` files are merged here, not interpolated) and
//! the variables: those of the `--env-file` files and, as locally, the process environment on
//! top — only the names the compose text refers to, so a runner's environment does not end up
//! in berth. Files the compose file refers to (secrets, configs, `env_file`) are those of the
//! stack's newest version in berth. berth then runs the deploy as a job; its lines are printed
//! as they come (errors and warnings on stderr), and the exit code follows the local rules:
//! with `--detach=false` only a converged stack succeeds, otherwise any deploy the swarm
//! accepted (berth still reports convergence as the job's end).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{PsRow, ServiceRow, err, input, out, print_ls, print_ps, print_services};
use crate::compose::{self, LoadOptions};
use crate::config::{StackCommand, StackDeployArgs, StackRmArgs};

/// The API's root.
const API: &str = "/api/v1";
/// How often a job's progress is read.
const POLL: Duration = Duration::from_millis(500);

struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// A failed call, in a sentence (the API's own message when it sent one).
struct Failed(String);

#[derive(Deserialize)]
struct JobView {
    id: String,
    status: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    lines: Vec<JobLine>,
}

#[derive(Deserialize)]
struct JobLine {
    seq: usize,
    level: String,
    text: String,
}

#[derive(Deserialize)]
struct JobBody {
    job: JobView,
}

/// Runs one command against the berth at `url`; false on failure (exit code 1).
pub async fn run(url: &str, token: &str, ca_cert: Option<&str>, command: StackCommand) -> bool {
    let http = match crate::registry::client::http_client(ca_cert) {
        Ok(h) => h,
        Err(e) => {
            err(&format!("berth: {e}"));
            return false;
        }
    };
    let remote = Remote {
        base: url.trim_end_matches('/').to_string(),
        token: token.to_string(),
        http,
    };
    let done = match command {
        StackCommand::Deploy(a) => deploy(&remote, a).await,
        StackCommand::Rm(a) => rm(&remote, a).await,
        StackCommand::Ls => ls(&remote).await,
        StackCommand::Ps(a) => {
            let detail = remote.get(&format!("{API}/stacks/{}", a.name)).await;
            detail.map(|d| {
                let rows: Vec<PsRow> = d["tasks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(ps_row)
                    .collect();
                print_ps(&rows, a.quiet, a.no_trunc)
            })
        }
        StackCommand::Services(a) => {
            match remote.get(&format!("{API}/stacks/{}", a.name)).await {
                Ok(d) => {
                    let rows: Vec<ServiceRow> = d["services"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(service_row)
                        .collect();
                    Ok(print_services(&a.name, &rows, a.quiet, a.no_trunc))
                }
                // as locally: an empty stack is not an error
                Err(Failed(m)) if m.starts_with("404:") => {
                    Ok(print_services(&a.name, &[], a.quiet, a.no_trunc))
                }
                Err(e) => Err(e),
            }
        }
        StackCommand::Config(a) => Ok(super::config(a)),
    };
    match done {
        Ok(ok) => ok,
        Err(Failed(m)) => {
            err(m
                .split_once(':')
                .filter(|(s, _)| s.len() == 3)
                .map_or(&m, |(_, rest)| rest));
            false
        }
    }
}

impl Remote {
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, Failed> {
        let resp = req
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .map_err(|e| Failed(format!("berth: cannot reach {}: {e}", self.base)))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| Failed(format!("berth: reading the answer of {}: {e}", self.base)))?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let message = match body["error"]["message"].as_str() {
            Some(m) => {
                let problems: Vec<String> = body["error"]["problems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["located"].as_str().map(str::to_string))
                    .collect();
                if problems.len() > 1 {
                    format!("{m}\n{}", problems.join("\n"))
                } else {
                    m.to_string()
                }
            }
            None => format!("berth answered {status}"),
        };
        Err(Failed(format!("{}:{message}", status.as_u16())))
    }

    async fn get(&self, path: &str) -> Result<Value, Failed> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, Failed> {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.send(req).await
    }

    /// Prints a job's lines as they come until it ends; returns how it ended.
    async fn follow(&self, first: Value) -> Result<JobView, Failed> {
        let mut job = parse_job(first)?;
        let mut printed = 0usize;
        loop {
            let from = printed;
            for l in job.lines.iter().filter(|l| l.seq >= from) {
                match l.level.as_str() {
                    "error" | "warn" => err(&l.text),
                    _ => out(&l.text),
                }
                printed = l.seq + 1;
            }
            if job.status != "running" {
                return Ok(job);
            }
            tokio::time::sleep(POLL).await;
            job = parse_job(self.get(&format!("{API}/jobs/{}", job.id)).await?)?;
        }
    }
}

fn parse_job(body: Value) -> Result<JobView, Failed> {
    serde_json::from_value::<JobBody>(body)
        .map(|b| b.job)
        .map_err(|e| Failed(format!("berth: an answer without its job: {e}")))
}

async fn ls(r: &Remote) -> Result<bool, Failed> {
    let body = r.get(&format!("{API}/stacks")).await?;
    let rows: Vec<(String, usize)> = body["stacks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_string(),
                s["services"].as_u64().unwrap_or_default() as usize,
            )
        })
        .collect();
    print_ls(&rows);
    Ok(true)
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn texts(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn ps_row(t: &Value) -> PsRow {
    PsRow {
        id: text(t, "id"),
        name: text(t, "name"),
        image: text(t, "image"),
        node: text(t, "node"),
        desired_state: text(t, "desired_state"),
        state: text(t, "state"),
        since: t["since"].as_i64(),
        error: text(t, "error"),
        ports: texts(t, "ports"),
        superseded: t["superseded"].as_bool().unwrap_or_default(),
    }
}

fn service_row(s: &Value) -> ServiceRow {
    ServiceRow {
        id: text(s, "id"),
        name: text(s, "name"),
        mode: text(s, "mode"),
        replicas: text(s, "replicas"),
        image: text(s, "image"),
        ports: texts(s, "ports"),
    }
}

async fn rm(r: &Remote, a: StackRmArgs) -> Result<bool, Failed> {
    let mut ok = true;
    for name in &a.names {
        let started = r
            .post(&format!("{API}/stacks/{name}/remove"), &json!({}))
            .await;
        let job = match started {
            Ok(body) => r.follow(body).await,
            Err(e) => Err(e),
        };
        match job {
            Ok(j) if j.status == "ok" => {}
            Ok(j) => {
                err(&j.summary.unwrap_or_default());
                ok = false;
            }
            Err(Failed(m)) => {
                err(m.split_once(':').map_or(&m, |(_, rest)| rest));
                ok = false;
            }
        }
    }
    Ok(ok)
}

async fn deploy(r: &Remote, a: StackDeployArgs) -> Result<bool, Failed> {
    let process = input::process_env();
    let files_env = input::variables(&a.env_file, &BTreeMap::new());
    let source = match input::variables(&a.env_file, &process)
        .and_then(|env| input::source(&a.compose_file, env))
    {
        Ok(s) => s,
        Err(e) => {
            err(&e);
            return Ok(false);
        }
    };
    // the local command's checks, with its messages: nothing broken reaches the server
    if let Err(e) = compose::validate_stack_name(&a.name) {
        err(&crate::stack::StackError::Compose(e).to_string());
        return Ok(false);
    }
    let opts = LoadOptions::new(&source.env, &source.working_dir, &*source.reader);
    let loaded = compose::load(&source.files, &opts)
        .and_then(|l| compose::convert(&a.name, &l.config, &opts).map(|_| l));
    if let Err(e) = loaded {
        err(&crate::stack::StackError::Compose(e).to_string());
        return Ok(false);
    }
    // one file as written; several merged, their variables left for berth to substitute
    let compose_text = match source.files.as_slice() {
        [one] => one.content.clone(),
        _ => {
            let mut raw = LoadOptions::new(&source.env, &source.working_dir, &*source.reader);
            raw.skip_interpolation = true;
            match compose::load_config(&source.files, &raw) {
                Ok(l) => compose::config_yaml(&l.config),
                Err(e) => {
                    err(&e.to_string());
                    return Ok(false);
                }
            }
        }
    };
    let mut env = files_env.unwrap_or_default();
    for (k, v) in &process {
        // a value on several lines cannot be a KEY=value line
        if refers_to(&compose_text, k) && !v.contains(['\n', '\r']) {
            env.insert(k.clone(), v.clone());
        }
    }
    let env_text: String = env
        .iter()
        .map(|(k, v)| format!("{k}={}\n", quote(v)))
        .collect();
    if a.detach.is_none() {
        err(super::DETACH_NOTICE);
    }
    let body = json!({"compose": compose_text, "env": env_text, "prune": a.prune});
    let started = r
        .post(&format!("{API}/stacks/{}/deploy", a.name), &body)
        .await?;
    let job = r.follow(started).await?;
    let ok = match job.status.as_str() {
        "ok" => true,
        "degraded" | "superseded" => a.detach != Some(false),
        _ => false,
    };
    if !ok || job.status != "ok" {
        err(&job.summary.unwrap_or_default());
    }
    Ok(ok)
}

/// Whether `text` refers to variable `name` (`$NAME`, `${NAME}`, `${NAME:-x}`, …).
fn refers_to(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = &text[..i];
        let after = text[i + name.len()..].chars().next();
        let braced = before.ends_with("${") && !before.ends_with("$${");
        let bare = before.ends_with('$') && !before.ends_with("$$") && !after.is_some_and(ident);
        (braced && !after.is_some_and(ident)) || bare
    })
}

/// A value as a `KEY=value` line holds it: berth's env reader removes one pair of quotes
/// around a value and nothing else, so quoting keeps any value on one line exactly.
fn quote(v: &str) -> String {
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || "#'\"".contains(c)) {
        format!("'{v}'")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_variables_the_file_refers_to_are_sent() {
        let text = "image: app:${TAG}\nreplicas: ${REPLICAS:-1}\ncmd: $HOME_DIR/x $$ESCAPED\n";
        assert!(refers_to(text, "TAG"));
        assert!(refers_to(text, "REPLICAS"));
        assert!(refers_to(text, "HOME_DIR"));
        assert!(!refers_to(text, "HOME"));
        assert!(!refers_to(text, "ESCAPED"));
        assert!(!refers_to(text, "image"));
    }
}
