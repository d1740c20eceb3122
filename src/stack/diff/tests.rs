use serde_json::{Value, json};

use super::*;

fn names(id: &str) -> Option<String> {
    match id {
        "nacbs9dthg2ar1u7m2a7xu0or" => Some("full_appnet".into()),
        _ => None,
    }
}

/// What `docker stack deploy` sent for `full_db` (lab capture), as bollard serializes it.
fn sent() -> Value {
    json!({
        "Name": "full_db",
        "Labels": {"com.docker.stack.image": "local/busybox:1", "com.docker.stack.namespace": "full"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "local/busybox:1",
                "Labels": {"com.docker.stack.namespace": "full"},
                "Args": ["sh", "-c", "exec sleep 1000000"],
                "Env": ["APP_MODE=production", "B=2"],
                "Privileges": {"CredentialSpec": null, "SELinuxContext": null, "NoNewPrivileges": false},
                "Init": true,
                "HealthCheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5000000000u64},
                "Mounts": [{"Type": "volume", "Source": "full_dbdata", "Target": "/data",
                            "VolumeOptions": {"Labels": {"com.docker.stack.namespace": "full"}}}]
            },
            "Resources": {},
            "Placement": {},
            "Networks": [{"Target": "full_appnet", "Aliases": ["db"]}],
            "ForceUpdate": 0
        },
        "Mode": {"Replicated": {}},
        "UpdateConfig": {"Parallelism": 2, "MaxFailureRatio": 0, "Order": ""},
        "EndpointSpec": {"Ports": [{"TargetPort": 80, "PublishedPort": 8080}]}
    })
}

/// The same service as the daemon returns it (`GET /services`, no inserted defaults).
fn stored() -> Value {
    json!({
        "Name": "full_db",
        "Labels": {"com.docker.stack.image": "local/busybox:1", "com.docker.stack.namespace": "full"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "local/busybox:1",
                "Labels": {"com.docker.stack.namespace": "full"},
                "Args": ["sh", "-c", "exec sleep 1000000"],
                "Env": ["APP_MODE=production", "B=2"],
                "Privileges": {"CredentialSpec": null, "SELinuxContext": null},
                "Init": true,
                "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5000000000u64},
                "Mounts": [{"Type": "volume", "Source": "full_dbdata", "Target": "/data",
                            "VolumeOptions": {"Labels": {"com.docker.stack.namespace": "full"}}}],
                "Isolation": "default"
            },
            "Resources": {},
            "Placement": {},
            "Networks": [{"Target": "nacbs9dthg2ar1u7m2a7xu0or", "Aliases": ["db"]}],
            "ForceUpdate": 0,
            "Runtime": "container"
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {"Parallelism": 2, "FailureAction": "pause", "MaxFailureRatio": 0,
                         "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 80,
                         "PublishedPort": 8080, "PublishMode": "ingress"}]}
    })
}

fn set(v: &mut Value, pointer: &str, x: Value) {
    *v.pointer_mut(pointer).expect("pointer exists") = x;
}

#[test]
fn an_unchanged_file_reads_as_unchanged_despite_daemon_defaults() {
    let d = diff_service(&stored(), &sent(), &names);
    assert!(d.is_empty(), "{:#?}", d.changes);
    assert_eq!(d.summary(), "unchanged");
}

#[test]
fn a_replica_change_is_one_field_and_keeps_tasks() {
    let mut new = sent();
    set(&mut new, "/Mode/Replicated", json!({"Replicas": 3}));
    let d = diff_service(&stored(), &new, &names);
    assert_eq!(
        d.changes,
        vec![FieldChange {
            path: "Mode.Replicated.Replicas".into(),
            before: Some("1".into()),
            after: Some("3".into()),
            restarts: false,
        }]
    );
    assert!(!d.restarts_tasks());
    assert_eq!(d.summary(), "1 field changed, tasks keep running");
}

#[test]
fn an_absent_replica_count_resets_a_manual_scale_to_one() {
    let mut old = stored();
    set(&mut old, "/Mode/Replicated/Replicas", json!(5));
    let d = diff_service(&old, &sent(), &names);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].before.as_deref(), Some("5"));
    assert_eq!(d.changes[0].after.as_deref(), Some("1"));
    // zero replicas is a value, not "unset"
    let mut zero = sent();
    set(&mut zero, "/Mode/Replicated", json!({"Replicas": 0}));
    let d = diff_service(&stored(), &zero, &names);
    assert_eq!(d.changes[0].after.as_deref(), Some("0"));
}

#[test]
fn environment_changes_are_named_by_variable_and_restart_tasks() {
    let mut new = sent();
    set(
        &mut new,
        "/TaskTemplate/ContainerSpec/Env",
        json!(["APP_MODE=staging", "C=3"]),
    );
    let d = diff_service(&stored(), &new, &names);
    let got: Vec<(&str, Option<&str>, Option<&str>)> = d
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "TaskTemplate.ContainerSpec.Env[APP_MODE]",
                Some("production"),
                Some("staging")
            ),
            ("TaskTemplate.ContainerSpec.Env[B]", Some("2"), None),
            ("TaskTemplate.ContainerSpec.Env[C]", None, Some("3")),
        ]
    );
    assert!(d.restarts_tasks());
    assert_eq!(d.summary(), "3 fields changed, tasks restart");
}

#[test]
fn labels_and_update_settings_change_in_place() {
    let mut new = sent();
    set(
        &mut new,
        "/Labels",
        json!({"com.docker.stack.image": "local/busybox:1",
               "com.docker.stack.namespace": "full", "com.example.tier": "db"}),
    );
    set(&mut new, "/UpdateConfig/Order", json!("start-first"));
    let d = diff_service(&stored(), &new, &names);
    let paths: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["Labels[com.example.tier]", "UpdateConfig.Order"]
    );
    assert_eq!(d.changes[1].before.as_deref(), Some("stop-first"));
    assert!(!d.restarts_tasks());
}

#[test]
fn ports_are_endpoint_changes_that_restart_tasks() {
    let mut new = sent();
    set(
        &mut new,
        "/EndpointSpec/Ports",
        json!([{"TargetPort": 80, "PublishedPort": 8080},
               {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 0, "PublishMode": "host"}]),
    );
    let d = diff_service(&stored(), &new, &names);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].path, "EndpointSpec.Ports[53/udp]");
    assert_eq!(d.changes[0].before, None);
    assert!(d.changes[0].restarts);
}

#[test]
fn mounts_networks_and_durations_read_well() {
    let mut new = sent();
    set(
        &mut new,
        "/TaskTemplate/ContainerSpec/Mounts/0/Source",
        json!("full_dbdata2"),
    );
    set(
        &mut new,
        "/TaskTemplate/Networks",
        json!([{"Target": "full_appnet", "Aliases": ["db", "database"]}]),
    );
    set(
        &mut new,
        "/TaskTemplate/ContainerSpec/HealthCheck/Interval",
        json!(90_000_000_000u64),
    );
    let d = diff_service(&stored(), &new, &names);
    let got: Vec<(&str, Option<&str>, Option<&str>)> = d
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "TaskTemplate.ContainerSpec.Healthcheck.Interval",
                Some("5s"),
                Some("1m30s")
            ),
            (
                "TaskTemplate.ContainerSpec.Mounts[/data].Source",
                Some("full_dbdata"),
                Some("full_dbdata2")
            ),
            (
                "TaskTemplate.Networks[full_appnet].Aliases",
                Some(r#"["db"]"#),
                Some(r#"["db","database"]"#)
            ),
        ]
    );
}

#[test]
fn constraints_alone_do_not_restart_but_preferences_do() {
    let mut new = sent();
    set(
        &mut new,
        "/TaskTemplate/Placement",
        json!({"Constraints": ["node.role==manager"]}),
    );
    let d = diff_service(&stored(), &new, &names);
    assert_eq!(d.changes[0].path, "TaskTemplate.Placement.Constraints");
    assert!(!d.restarts_tasks());
    set(
        &mut new,
        "/TaskTemplate/Placement",
        json!({"Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}]}),
    );
    assert!(diff_service(&stored(), &new, &names).restarts_tasks());
}

#[test]
fn pointer_fields_keep_their_zero_and_false() {
    let mut new = sent();
    set(&mut new, "/TaskTemplate/ContainerSpec/Init", json!(false));
    let d = diff_service(&stored(), &new, &names);
    assert_eq!(d.changes[0].path, "TaskTemplate.ContainerSpec.Init");
    assert_eq!(d.changes[0].after.as_deref(), Some("false"));
    let mut new = sent();
    new["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = json!(0);
    let d = diff_service(&stored(), &new, &names);
    assert_eq!(
        d.changes[0].path,
        "TaskTemplate.ContainerSpec.StopGracePeriod"
    );
    assert_eq!(d.changes[0].after.as_deref(), Some("0s"));
    // ForceUpdate 0 and a missing ForceUpdate are the same
    let mut new = sent();
    new["TaskTemplate"]
        .as_object_mut()
        .unwrap()
        .remove("ForceUpdate");
    assert!(diff_service(&stored(), &new, &names).is_empty());
}

#[test]
fn service_modes_are_told_apart() {
    let mut a = sent();
    set(&mut a, "/Mode", json!({"Global": {}}));
    let mut b = sent();
    set(&mut b, "/Mode", json!({"GlobalJob": {}}));
    let d = diff_service(&a, &b, &names);
    let paths: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, vec!["Mode.Global", "Mode.GlobalJob"]);
    // a replicated job's defaults
    set(&mut a, "/Mode", json!({"ReplicatedJob": {}}));
    set(
        &mut b,
        "/Mode",
        json!({"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}),
    );
    assert!(diff_service(&a, &b, &names).is_empty());
}

#[test]
fn secrets_are_named_by_target() {
    let mut old = stored();
    old["TaskTemplate"]["ContainerSpec"]["Secrets"] = json!([{
        "File": {"Name": "dbpass", "UID": "0", "GID": "0", "Mode": 292},
        "SecretID": "abc", "SecretName": "full_dbpass"}]);
    let mut new = sent();
    new["TaskTemplate"]["ContainerSpec"]["Secrets"] = json!([{
        "File": {"Name": "dbpass", "UID": "0", "GID": "0", "Mode": 292},
        "SecretID": "def", "SecretName": "full_dbpass_v2"}]);
    let d = diff_service(&old, &new, &names);
    let paths: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "TaskTemplate.ContainerSpec.Secrets[dbpass].SecretID",
            "TaskTemplate.ContainerSpec.Secrets[dbpass].SecretName"
        ]
    );
}

#[test]
fn durations_render_like_go() {
    assert_eq!(duration(0), "0s");
    assert_eq!(duration(5_000_000_000), "5s");
    assert_eq!(duration(3_600_000_000_000 + 1_000_000_000), "1h0m1s");
    assert_eq!(duration(60_000_000_000), "1m0s");
    assert_eq!(duration(90_000_000_000), "1m30s");
    assert_eq!(duration(500_000_000), "500ms");
    assert_eq!(duration(1500), "1500ns");
}
