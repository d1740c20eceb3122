//! `/services/new` and `POST /services`: a service from a form whose fields take the syntax of
//! `docker service create` flags. Refused input comes back with every error and the values.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::update::{accepted, values};
use crate::db::audit::{Action, Outcome};
use crate::docker::DockerError;
use crate::docker::services::ops;
use crate::docker::services::spec::{CreateInput, FieldErrors, NewService, ResourcesInput};
use crate::error::AppResult;
use crate::web::page::{Ctx, Layout};

/// The form's values as shown (multi-value fields one entry per line).
#[derive(Debug, Clone, Default)]
pub struct Shown {
    pub name: String,
    pub image: String,
    pub mode: String,
    pub replicas: String,
    pub command: String,
    pub init: bool,
    pub env: String,
    pub ports: String,
    pub mounts: String,
    pub networks: String,
    pub constraints: String,
    pub labels: String,
    pub container_labels: String,
    pub resources: ResourcesInput,
    pub restart_condition: String,
    pub restart_delay: String,
    pub restart_max_attempts: String,
    pub restart_window: String,
}

impl Shown {
    fn of(i: &CreateInput) -> Shown {
        let lines = |v: &[String]| v.join("\n");
        Shown {
            name: i.name.clone(),
            image: i.image.clone(),
            mode: i.mode.clone(),
            replicas: i.replicas.clone(),
            command: i.command.clone(),
            init: i.init,
            env: lines(&i.env),
            ports: lines(&i.ports),
            mounts: lines(&i.mounts),
            networks: lines(&i.networks),
            constraints: lines(&i.constraints),
            labels: lines(&i.labels),
            container_labels: lines(&i.container_labels),
            resources: i.resources.clone(),
            restart_condition: i.restart_condition.clone(),
            restart_delay: i.restart_delay.clone(),
            restart_max_attempts: i.restart_max_attempts.clone(),
            restart_window: i.restart_window.clone(),
        }
    }

    fn is_global(&self) -> bool {
        self.mode == "global"
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/new.html")]
struct NewPage {
    layout: Layout,
    f: Shown,
    errors: FieldErrors,
}

impl NewPage {
    /// Open the "more options" part when one of its fields has an error or a value.
    fn advanced_open(&self) -> bool {
        let fields = [
            "mounts",
            "networks",
            "constraints",
            "labels",
            "container_labels",
            "limit_cpu",
            "limit_memory",
            "reserve_cpu",
            "reserve_memory",
            "restart_condition",
            "restart_delay",
            "restart_max_attempts",
            "restart_window",
        ];
        let f = &self.f;
        fields.iter().any(|x| self.errors.get(x).is_some())
            || [
                &f.mounts,
                &f.networks,
                &f.constraints,
                &f.labels,
                &f.container_labels,
                &f.resources.limit_cpu,
                &f.resources.limit_memory,
                &f.resources.reserve_cpu,
                &f.resources.reserve_memory,
                &f.restart_delay,
                &f.restart_max_attempts,
                &f.restart_window,
            ]
            .iter()
            .any(|v| !v.trim().is_empty())
    }
}

pub async fn form(ctx: Ctx) -> AppResult<Response> {
    Ok(NewPage {
        layout: ctx.layout("New service", "services"),
        f: Shown {
            mode: "replicated".into(),
            ..Default::default()
        },
        errors: FieldErrors::default(),
    }
    .into_response())
}

fn input(pairs: &Vec<(String, String)>) -> CreateInput {
    let one = |k: &str| values(pairs, k).into_iter().next().unwrap_or_default();
    CreateInput {
        name: one("name"),
        image: one("image"),
        mode: one("mode"),
        replicas: one("replicas"),
        command: one("command"),
        init: !one("init").is_empty(),
        env: values(pairs, "env"),
        ports: values(pairs, "ports"),
        mounts: values(pairs, "mounts"),
        networks: values(pairs, "networks"),
        constraints: values(pairs, "constraints"),
        labels: values(pairs, "labels"),
        container_labels: values(pairs, "container_labels"),
        resources: ResourcesInput {
            limit_cpu: one("limit_cpu"),
            limit_memory: one("limit_memory"),
            reserve_cpu: one("reserve_cpu"),
            reserve_memory: one("reserve_memory"),
        },
        restart_condition: one("restart_condition"),
        restart_delay: one("restart_delay"),
        restart_max_attempts: one("restart_max_attempts"),
        restart_window: one("restart_window"),
    }
}

/// Which field a refusal by Docker is about, from its message.
fn field_of(e: &DockerError) -> &'static str {
    let m = e.user_message().to_lowercase();
    if matches!(e, DockerError::Conflict(_)) || m.contains("name conflicts") {
        "name"
    } else if m.contains("port") {
        "ports"
    } else if m.contains("network") {
        "networks"
    } else if m.contains("mount") || m.contains("volume") {
        "mounts"
    } else if m.contains("constraint") || m.contains("placement") {
        "constraints"
    } else if m.contains("image") || m.contains("reference") {
        "image"
    } else if m.contains("memory") || m.contains("cpu") || m.contains("resources") {
        "limit_memory"
    } else {
        "form"
    }
}

pub async fn create(ctx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> AppResult<Response> {
    let input = input(&pairs);
    let refuse = |errors: FieldErrors| {
        let page = NewPage {
            layout: ctx.layout("New service", "services"),
            f: Shown::of(&input),
            errors,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let target = input.name.trim().to_string();
    let new = match NewService::parse(&input) {
        Ok(n) => n,
        Err(errors) => {
            ctx.audit(
                Action::ServiceCreate,
                &target,
                Outcome::Failed,
                Some(&errors.summary()),
            )
            .await;
            return Ok(refuse(errors));
        }
    };
    let docker = match ctx.state.docker.manager() {
        Ok(d) => d,
        Err(e) => {
            // keep what the user typed: they can submit again once Docker is back
            ctx.audit(
                Action::ServiceCreate,
                &target,
                Outcome::Failed,
                Some(&e.user_message()),
            )
            .await;
            let mut errors = FieldErrors::default();
            errors.add("form", e.user_message());
            return Ok(refuse(errors));
        }
    };
    let auth = ctx.state.deploys.registry_auth().await;
    match ops::create(&docker, &auth, new).await {
        Ok(c) => {
            let text = format!("Service {} created.", c.name);
            Ok(accepted(&ctx, Action::ServiceCreate, &c, text).await)
        }
        Err(e @ (DockerError::Refused(_) | DockerError::Conflict(_))) => {
            let msg = match &e {
                DockerError::Conflict(_) => {
                    format!("A service named {target} already exists: choose another name.")
                }
                other => other.user_message(),
            };
            ctx.audit(Action::ServiceCreate, &target, Outcome::Failed, Some(&msg))
                .await;
            let mut errors = FieldErrors::default();
            errors.add(field_of(&e), msg);
            Ok(refuse(errors))
        }
        Err(e) => {
            ctx.audit(
                Action::ServiceCreate,
                &target,
                Outcome::Failed,
                Some(&e.user_message()),
            )
            .await;
            Err(e.into())
        }
    }
}
