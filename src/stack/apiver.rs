//! Fields an older engine does not know. The daemon silently drops what its API version does
//! not have, so sending them changes nothing — but the stored spec then never shows them, and
//! every redeploy would look like a change. They are removed before planning, with a warning
//! saying they are ignored by this engine (the CLI drops them silently).

use bollard::models::ServiceSpec;

/// An Engine API version, `(1, 41)`.
pub type ApiVersion = (usize, usize);

/// The fields of a service spec newer than `api`, removed; one warning per field and service.
pub fn adjust(service: &str, spec: &mut ServiceSpec, api: ApiVersion) -> Vec<String> {
    let mut dropped: Vec<(&str, &str)> = Vec::new();
    let below = |v: ApiVersion| api < v;
    let Some(tt) = spec.task_template.as_mut() else {
        return Vec::new();
    };
    if let Some(cs) = tt.container_spec.as_mut() {
        if below((1, 44))
            && let Some(h) = cs.health_check.as_mut()
            && h.start_interval.take().is_some()
        {
            dropped.push(("healthcheck.start_interval", "1.44"));
        }
        if below((1, 45)) {
            for m in cs.mounts.iter_mut().flatten() {
                if let Some(v) = m.volume_options.as_mut()
                    && v.subpath.take().is_some()
                {
                    dropped.push(("volumes.volume.subpath", "1.45"));
                }
            }
        }
        if below((1, 46)) && cs.oom_score_adj.take().is_some() {
            dropped.push(("oom_score_adj", "1.46"));
        }
        if below((1, 41)) {
            if cs.capability_add.take().is_some() {
                dropped.push(("cap_add", "1.41"));
            }
            if cs.capability_drop.take().is_some() {
                dropped.push(("cap_drop", "1.41"));
            }
            if cs.ulimits.take().is_some() {
                dropped.push(("ulimits", "1.41"));
            }
        }
        if below((1, 40)) && cs.sysctls.take().is_some() {
            dropped.push(("sysctls", "1.40"));
        }
    }
    if below((1, 41))
        && let Some(l) = tt.resources.as_mut().and_then(|r| r.limits.as_mut())
        && l.pids.take().is_some()
    {
        dropped.push(("deploy.resources.limits.pids", "1.41"));
    }
    if below((1, 40))
        && let Some(p) = tt.placement.as_mut()
        && p.max_replicas.take().is_some()
    {
        dropped.push(("deploy.placement.max_replicas_per_node", "1.40"));
    }
    dropped.dedup();
    dropped
        .into_iter()
        .map(|(field, v)| {
            format!(
                "service {service}: {field} is ignored: this Docker engine speaks API {}.{}, the field needs {v}",
                api.0, api.1
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use bollard::models::{HealthConfig, TaskSpec, TaskSpecContainerSpec};

    use super::*;

    fn with_start_interval() -> ServiceSpec {
        ServiceSpec {
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    health_check: Some(HealthConfig {
                        test: Some(vec!["CMD".into(), "true".into()]),
                        start_interval: Some(2_000_000_000),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn newer_fields_are_dropped_for_older_engines_with_a_warning() {
        let mut s = with_start_interval();
        let w = adjust("app_web", &mut s, (1, 41));
        assert_eq!(
            w,
            vec![
                "service app_web: healthcheck.start_interval is ignored: this Docker engine speaks API 1.41, the field needs 1.44"
            ]
        );
        let h = s
            .task_template
            .unwrap()
            .container_spec
            .unwrap()
            .health_check
            .unwrap();
        assert_eq!((h.start_interval, h.test.map(|t| t.len())), (None, Some(2)));
        let mut s = with_start_interval();
        assert!(adjust("app_web", &mut s, (1, 44)).is_empty());
        assert_eq!(s, with_start_interval());
    }
}
