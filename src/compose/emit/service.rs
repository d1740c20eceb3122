//! A service as `docker stack config` prints it (`types.ServiceConfig` field order).

use std::collections::BTreeMap;

use super::super::gofmt::{duration_string, format_float32};
use super::super::types::*;
use super::writer::Y;
use super::{M, bytes};

pub(crate) fn file_refs(v: &Option<Vec<FileReferenceConfig>>) -> Option<Y> {
    let v = v.as_ref().filter(|v| !v.is_empty())?;
    Some(Y::Seq(
        v.iter()
            .map(|r| {
                let mut m = M::new();
                m.s("source", &r.source);
                m.s("target", &r.target);
                m.s("uid", &r.uid);
                m.s("gid", &r.gid);
                if let Some(mode) = r.mode {
                    m.put("mode", Y::Plain(mode.to_string()));
                }
                m.done()
            })
            .collect(),
    ))
}

pub(crate) fn update_config(u: &UpdateConfig) -> Y {
    let mut m = M::new();
    if let Some(p) = u.parallelism {
        m.put("parallelism", Y::Plain(p.to_string()));
    }
    if u.delay != 0 {
        m.put("delay", Y::Str(duration_string(u.delay)));
    }
    m.s("failure_action", &u.failure_action);
    if u.monitor != 0 {
        m.put("monitor", Y::Str(duration_string(u.monitor)));
    }
    if u.max_failure_ratio != 0.0 {
        m.put(
            "max_failure_ratio",
            Y::Plain(format_float32(u.max_failure_ratio)),
        );
    }
    m.s("order", &u.order);
    m.done()
}

pub(crate) fn deploy(d: &DeployConfig) -> M {
    let mut m = M::new();
    m.s("mode", &d.mode);
    if let Some(r) = d.replicas {
        m.put("replicas", Y::Plain(r.to_string()));
    }
    m.smap("labels", &d.labels);
    if let Some(u) = &d.update_config {
        m.put("update_config", update_config(u));
    }
    if let Some(u) = &d.rollback_config {
        m.put("rollback_config", update_config(u));
    }
    let mut res = M::new();
    if let Some(l) = &d.resources.limits {
        let mut x = M::new();
        x.s("cpus", &l.nano_cpus);
        if l.memory_bytes != 0 {
            x.put("memory", bytes(l.memory_bytes));
        }
        x.int("pids", l.pids);
        res.put("limits", x.done());
    }
    if let Some(r) = &d.resources.reservations {
        let mut x = M::new();
        x.s("cpus", &r.nano_cpus);
        if r.memory_bytes != 0 {
            x.put("memory", bytes(r.memory_bytes));
        }
        if !r.generic_resources.is_empty() {
            x.put(
                "generic_resources",
                Y::Seq(
                    r.generic_resources
                        .iter()
                        .map(|g| {
                            let mut gm = M::new();
                            if let Some(d) = &g.discrete_resource_spec {
                                let mut dm = M::new();
                                dm.put("kind", Y::Str(d.kind.clone()));
                                dm.put("value", Y::Plain(d.value.to_string()));
                                gm.put("discrete_resource_spec", dm.done());
                            }
                            gm.done()
                        })
                        .collect(),
                ),
            );
        }
        res.put("reservations", x.done());
    }
    m.sub("resources", res);
    if let Some(r) = &d.restart_policy {
        let mut x = M::new();
        x.s("condition", &r.condition);
        x.dur("delay", r.delay);
        if let Some(a) = r.max_attempts {
            x.put("max_attempts", Y::Plain(a.to_string()));
        }
        x.dur("window", r.window);
        m.put("restart_policy", x.done());
    }
    let mut p = M::new();
    p.list("constraints", &d.placement.constraints);
    if !d.placement.preferences.is_empty() {
        p.put(
            "preferences",
            Y::Seq(
                d.placement
                    .preferences
                    .iter()
                    .map(|s| {
                        let mut x = M::new();
                        x.s("spread", s);
                        x.done()
                    })
                    .collect(),
            ),
        );
    }
    if d.placement.max_replicas != 0 {
        p.put(
            "max_replicas_per_node",
            Y::Plain(d.placement.max_replicas.to_string()),
        );
    }
    m.sub("placement", p);
    m.s("endpoint_mode", &d.endpoint_mode);
    m
}

pub(crate) fn service(s: &ServiceConfig) -> Y {
    let mut m = M::new();
    let mut b = M::new();
    b.s("context", &s.build.context);
    b.s("dockerfile", &s.build.dockerfile);
    if !s.build.args.is_empty() {
        b.put("args", env_map(&s.build.args));
    }
    b.smap("labels", &s.build.labels);
    b.list("cache_from", &s.build.cache_from);
    b.list("extra_hosts", &s.build.extra_hosts);
    b.s("network", &s.build.network);
    b.s("target", &s.build.target);
    m.sub("build", b);
    m.list("cap_add", &s.cap_add);
    m.list("cap_drop", &s.cap_drop);
    m.s("cgroupns_mode", &s.cgroupns_mode);
    m.s("cgroup_parent", &s.cgroup_parent);
    if let Some(c) = &s.command {
        m.list("command", c);
    }
    if let Some(y) = file_refs(&s.configs) {
        m.put("configs", y);
    }
    m.s("container_name", &s.container_name);
    let mut cs = M::new();
    cs.s("config", &s.credential_spec.config);
    cs.s("file", &s.credential_spec.file);
    cs.s("registry", &s.credential_spec.registry);
    m.sub("credential_spec", cs);
    m.list("depends_on", &s.depends_on);
    m.sub("deploy", deploy(&s.deploy));
    m.list("devices", &s.devices);
    m.list("dns", &s.dns);
    m.list("dns_search", &s.dns_search);
    m.s("domainname", &s.domainname);
    if let Some(e) = &s.entrypoint {
        m.list("entrypoint", e);
    }
    if !s.environment.is_empty() {
        m.put("environment", env_map(&s.environment));
    }
    m.list("env_file", &s.env_file);
    m.list("expose", &s.expose);
    m.list("external_links", &s.external_links);
    m.list("extra_hosts", &s.extra_hosts);
    m.s("hostname", &s.hostname);
    if let Some(h) = &s.healthcheck {
        let mut x = M::new();
        x.list("test", &h.test);
        x.dur("timeout", h.timeout);
        x.dur("interval", h.interval);
        if let Some(r) = h.retries {
            x.put("retries", Y::Plain(r.to_string()));
        }
        x.dur("start_period", h.start_period);
        x.dur("start_interval", h.start_interval);
        x.b("disable", h.disable);
        m.put("healthcheck", x.done());
    }
    m.s("image", &s.image);
    if let Some(i) = s.init {
        m.put("init", Y::Plain(i.to_string()));
    }
    m.s("ipc", &s.ipc);
    m.s("isolation", &s.isolation);
    m.smap("labels", &s.labels);
    m.list("links", &s.links);
    if let Some(l) = &s.logging {
        let mut x = M::new();
        x.s("driver", &l.driver);
        if let Some(o) = &l.options {
            x.smap("options", o);
        }
        m.put("logging", x.done());
    }
    m.s("mac_address", &s.mac_address);
    m.s("network_mode", &s.network_mode);
    if !s.networks.is_empty() {
        m.put(
            "networks",
            Y::sorted_map(
                s.networks
                    .iter()
                    .map(|(k, v)| {
                        let y = match v {
                            None => Y::Plain("null".into()),
                            Some(n) => {
                                let mut x = M::new();
                                x.list("aliases", &n.aliases);
                                x.smap("driver_opts", &n.driver_opts);
                                x.s("ipv4_address", &n.ipv4_address);
                                x.s("ipv6_address", &n.ipv6_address);
                                x.done()
                            }
                        };
                        (k.clone(), y)
                    })
                    .collect(),
            ),
        );
    }
    m.s("pid", &s.pid);
    if let Some(ports) = s.ports.as_ref().filter(|p| !p.is_empty()) {
        m.put(
            "ports",
            Y::Seq(
                ports
                    .iter()
                    .map(|p| {
                        let mut x = M::new();
                        x.s("mode", &p.mode);
                        x.int("target", i64::from(p.target));
                        x.int("published", i64::from(p.published));
                        x.s("protocol", &p.protocol);
                        x.done()
                    })
                    .collect(),
            ),
        );
    }
    m.b("privileged", s.privileged);
    m.b("read_only", s.read_only);
    m.s("restart", &s.restart);
    if let Some(y) = file_refs(&s.secrets) {
        m.put("secrets", y);
    }
    m.list("security_opt", &s.security_opt);
    m.s("shm_size", &s.shm_size);
    m.b("stdin_open", s.stdin_open);
    m.dur("stop_grace_period", s.stop_grace_period);
    m.s("stop_signal", &s.stop_signal);
    m.smap("sysctls", &s.sysctls);
    m.list("tmpfs", &s.tmpfs);
    m.b("tty", s.tty);
    if !s.ulimits.is_empty() {
        m.put(
            "ulimits",
            Y::sorted_map(
                s.ulimits
                    .iter()
                    .map(|(k, u)| {
                        let y = if u.single != 0 {
                            Y::Plain(u.single.to_string())
                        } else {
                            let mut x = M::new();
                            x.int("soft", u.soft);
                            x.int("hard", u.hard);
                            x.done()
                        };
                        (k.clone(), y)
                    })
                    .collect(),
            ),
        );
    }
    m.s("user", &s.user);
    m.int("oomscoreadj", s.oom_score_adj);
    m.s("userns_mode", &s.userns_mode);
    if let Some(vols) = s.volumes.as_ref().filter(|v| !v.is_empty()) {
        m.put("volumes", Y::Seq(vols.iter().map(service_volume).collect()));
    }
    m.s("working_dir", &s.working_dir);
    m.extras(&s.extras);
    m.done()
}

pub(crate) fn env_map(v: &BTreeMap<String, Option<String>>) -> Y {
    Y::sorted_map(
        v.iter()
            .map(|(k, v)| {
                let y = match v {
                    None => Y::Plain("null".into()),
                    Some(s) => Y::Str(s.clone()),
                };
                (k.clone(), y)
            })
            .collect(),
    )
}

pub(crate) fn service_volume(v: &ServiceVolumeConfig) -> Y {
    let mut m = M::new();
    m.s("type", &v.typ);
    m.s("source", &v.source);
    m.s("target", &v.target);
    m.b("read_only", v.read_only);
    m.s("consistency", &v.consistency);
    if let Some(b) = &v.bind {
        let mut x = M::new();
        x.s("propagation", &b.propagation);
        m.put("bind", x.done());
    }
    if let Some(b) = &v.volume {
        let mut x = M::new();
        x.b("nocopy", b.nocopy);
        x.s("subpath", &b.subpath);
        m.put("volume", x.done());
    }
    if let Some(b) = &v.image {
        let mut x = M::new();
        x.s("subpath", &b.subpath);
        m.put("image", x.done());
    }
    if let Some(t) = &v.tmpfs {
        let mut x = M::new();
        x.int("size", t.size);
        m.put("tmpfs", x.done());
    }
    if v.cluster.is_some() {
        m.put("cluster", Y::Map(Vec::new()));
    }
    m.done()
}
