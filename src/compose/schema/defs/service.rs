//! The `service` definition (and `deployment`, `healthcheck`) of the v3 schemas.

use super::super::{Format, JType, KeyPattern, Schema};
use super::{
    driver_opts, duration, list_of_strings, list_or_dict, one_of, string, string_or_list,
    string_or_list_cmd, t, ts,
};

pub(crate) fn file_ref() -> Schema {
    one_of(vec![
        string(),
        t(JType::Object)
            .prop("source", string())
            .prop("target", string())
            .prop("uid", string())
            .prop("gid", string())
            .prop("mode", t(JType::Number)),
    ])
}

pub(crate) fn service(v: u32) -> Schema {
    let mut build_obj = t(JType::Object)
        .prop("context", string())
        .prop("dockerfile", string())
        .prop("args", list_or_dict())
        .prop_if(v >= 3, "labels", list_or_dict)
        .prop_if(v >= 2, "cache_from", list_of_strings)
        .prop_if(v >= 4, "network", string)
        .prop_if(v >= 4, "target", string)
        .prop_if(v >= 5, "shm_size", || ts(&[JType::Integer, JType::String]))
        .prop_if(v >= 9, "extra_hosts", list_or_dict);
    if v < 11 {
        build_obj = build_obj.closed();
    }
    let ports = if v >= 2 {
        t(JType::Array)
            .items(one_of(vec![
                t(JType::Number).format(Format::Ports),
                string().format(Format::Ports),
                t(JType::Object)
                    .prop("mode", string())
                    .prop("target", t(JType::Integer))
                    .prop("published", t(JType::Integer))
                    .prop("protocol", string())
                    .closed(),
            ]))
            .unique()
    } else {
        t(JType::Array)
            .items(ts(&[JType::String, JType::Number]).format(Format::Ports))
            .unique()
    };
    let volumes = if v >= 2 {
        let mut long = t(JType::Object)
            .required(&["type"])
            .prop("type", string())
            .prop("source", string())
            .prop("target", string())
            .prop("read_only", t(JType::Boolean))
            .prop("consistency", string())
            .prop("bind", t(JType::Object).prop("propagation", string()))
            .prop("volume", t(JType::Object).prop("nocopy", t(JType::Boolean)));
        if v >= 6 {
            let mut size = t(JType::Integer);
            size.minimum = Some(0);
            long = long.prop("tmpfs", t(JType::Object).prop("size", size));
        }
        t(JType::Array).items(one_of(vec![string(), long.closed()]))
    } else {
        t(JType::Array).items(string()).unique()
    };
    let service_network = t(JType::Object)
        .prop("aliases", list_of_strings())
        .prop_if(v >= 13, "driver_opts", driver_opts)
        .prop("ipv4_address", string())
        .prop("ipv6_address", string())
        .closed();
    let ulimit = one_of(vec![
        t(JType::Integer),
        t(JType::Object)
            .prop("hard", t(JType::Integer))
            .prop("soft", t(JType::Integer))
            .required(&["soft", "hard"])
            .closed(),
    ]);
    t(JType::Object)
        .prop("deploy", deployment(v))
        .prop("build", one_of(vec![string(), build_obj]))
        .prop("cap_add", t(JType::Array).items(string()).unique())
        .prop("cap_drop", t(JType::Array).items(string()).unique())
        .prop_if(v >= 9, "cgroupns_mode", string)
        .prop("cgroup_parent", string())
        .prop("command", string_or_list_cmd())
        .prop_if(v >= 3, "configs", || t(JType::Array).items(file_ref()))
        .prop("container_name", string())
        .prop_if(v >= 3, "credential_spec", || {
            t(JType::Object)
                .prop_if(v >= 8, "config", string)
                .prop("file", string())
                .prop("registry", string())
                .closed()
        })
        .prop("depends_on", list_of_strings())
        .prop("devices", t(JType::Array).items(string()).unique())
        .prop("dns", string_or_list())
        .prop("dns_search", string_or_list())
        .prop("domainname", string())
        .prop("entrypoint", string_or_list_cmd())
        .prop("env_file", string_or_list())
        .prop("environment", list_or_dict())
        .prop(
            "expose",
            t(JType::Array)
                .items(ts(&[JType::String, JType::Number]).format(Format::Expose))
                .unique(),
        )
        .prop("external_links", t(JType::Array).items(string()).unique())
        .prop("extra_hosts", list_or_dict())
        .prop("healthcheck", healthcheck(v))
        .prop("hostname", string())
        .prop("image", string())
        .prop_if(v >= 7, "init", || t(JType::Boolean))
        .prop("ipc", string())
        .prop_if(v >= 5, "isolation", string)
        .prop("labels", list_or_dict())
        .prop("links", t(JType::Array).items(string()).unique())
        .prop(
            "logging",
            t(JType::Object)
                .prop("driver", string())
                .prop(
                    "options",
                    t(JType::Object).pat(
                        KeyPattern::NonEmptyLine,
                        ts(&[JType::String, JType::Number, JType::Null]),
                    ),
                )
                .closed(),
        )
        .prop("mac_address", string())
        .prop("network_mode", string())
        .prop(
            "networks",
            one_of(vec![
                list_of_strings(),
                t(JType::Object)
                    .pat(
                        KeyPattern::Name,
                        one_of(vec![service_network, t(JType::Null)]),
                    )
                    .closed(),
            ]),
        )
        .prop("pid", ts(&[JType::String, JType::Null]))
        .prop("ports", ports)
        .prop("privileged", t(JType::Boolean))
        .prop("read_only", t(JType::Boolean))
        .prop("restart", string())
        .prop_if(v >= 1, "secrets", || t(JType::Array).items(file_ref()))
        .prop("security_opt", t(JType::Array).items(string()).unique())
        .prop("shm_size", ts(&[JType::Number, JType::String]))
        .prop("sysctls", list_or_dict())
        .prop("stdin_open", t(JType::Boolean))
        .prop("stop_grace_period", string().format(Format::Duration))
        .prop("stop_signal", string())
        .prop("tmpfs", string_or_list())
        .prop("tty", t(JType::Boolean))
        .prop("ulimits", t(JType::Object).pat(KeyPattern::Lower, ulimit))
        .prop_if(v >= 13, "oom_score_adj", || t(JType::Integer))
        .prop("user", string())
        .prop("userns_mode", string())
        .prop("volumes", volumes)
        .prop("working_dir", string())
        .x_ext(v >= 7)
        .closed()
}

pub(crate) fn healthcheck(v: u32) -> Schema {
    t(JType::Object)
        .prop("disable", t(JType::Boolean))
        .prop("interval", duration(v, 4))
        .prop("retries", t(JType::Number))
        .prop("test", string_or_list_cmd())
        .prop("timeout", duration(v, 4))
        .prop_if(v >= 4, "start_period", || duration(v, 4))
        .prop_if(v >= 12, "start_interval", || duration(v, 12))
        .closed()
}

pub(crate) fn update_config(v: u32) -> Schema {
    let mut s = t(JType::Object)
        .prop("parallelism", t(JType::Integer))
        .prop("delay", string().format(Format::Duration))
        .prop("failure_action", string())
        .prop("monitor", string().format(Format::Duration))
        .prop("max_failure_ratio", t(JType::Number));
    if v >= 4 {
        let mut order = string();
        order.enumeration = vec!["start-first", "stop-first"];
        s = s.prop("order", order);
    }
    s.closed()
}

pub(crate) fn deployment(v: u32) -> Schema {
    let resources = if v >= 5 {
        t(JType::Object)
            .prop(
                "limits",
                t(JType::Object)
                    .prop("cpus", string())
                    .prop("memory", string())
                    .prop_if(v >= 9, "pids", || t(JType::Integer))
                    .closed(),
            )
            .prop(
                "reservations",
                t(JType::Object)
                    .prop("cpus", string())
                    .prop("memory", string())
                    .prop("generic_resources", generic_resources())
                    .closed(),
            )
            .closed()
    } else {
        let resource = || {
            t(JType::Object)
                .prop("cpus", string())
                .prop("memory", string())
                .closed()
        };
        t(JType::Object)
            .prop("limits", resource())
            .prop("reservations", resource())
            .closed()
    };
    let mut placement = t(JType::Object).prop("constraints", t(JType::Array).items(string()));
    if v >= 3 {
        placement = placement.prop(
            "preferences",
            t(JType::Array).items(t(JType::Object).prop("spread", string()).closed()),
        );
    }
    if v >= 8 {
        placement = placement.prop("max_replicas_per_node", t(JType::Integer));
    }
    ts(&[JType::Object, JType::Null])
        .prop("mode", string())
        .prop_if(v >= 2, "endpoint_mode", string)
        .prop("replicas", t(JType::Integer))
        .prop("labels", list_or_dict())
        .prop_if(v >= 7, "rollback_config", || update_config(v))
        .prop("update_config", update_config(v))
        .prop("resources", resources)
        .prop(
            "restart_policy",
            t(JType::Object)
                .prop("condition", string())
                .prop("delay", string().format(Format::Duration))
                .prop("max_attempts", t(JType::Integer))
                .prop("window", string().format(Format::Duration))
                .closed(),
        )
        .prop("placement", placement.closed())
        .closed()
}

pub(crate) fn generic_resources() -> Schema {
    t(JType::Array).items(
        t(JType::Object)
            .prop(
                "discrete_resource_spec",
                t(JType::Object)
                    .prop("kind", string())
                    .prop("value", t(JType::Number))
                    .closed(),
            )
            .closed(),
    )
}
