//! `docker stack config` output: the merged model marshalled like yaml.v3 marshals
//! `types.Config` (field order and `omitempty` of `cli/compose/types/types.go`, custom
//! marshalers: durations as Go strings, byte sizes as quoted numbers, `external` as a bool or
//! `{name}`, single ulimits as a number, inline `x-*` extras after the fields).

mod writer;

use std::collections::BTreeMap;

pub use writer::key_cmp;
use writer::{Y, render};

use super::gofmt::{duration_string, format_float, format_float32};
use super::types::*;
use super::yaml::{Kind, Node};

/// Renders the config like `docker stack config` (2-space indent).
pub fn config_yaml(cfg: &Config) -> String {
    render(&config(cfg))
}

struct M(Vec<(String, Y)>);

impl M {
    fn new() -> M {
        M(Vec::new())
    }
    fn put(&mut self, k: &str, v: Y) {
        self.0.push((k.to_string(), v));
    }
    fn s(&mut self, k: &str, v: &str) {
        if !v.is_empty() {
            self.put(k, Y::Str(v.to_string()));
        }
    }
    fn b(&mut self, k: &str, v: bool) {
        if v {
            self.put(k, Y::Plain("true".into()));
        }
    }
    fn int(&mut self, k: &str, v: i64) {
        if v != 0 {
            self.put(k, Y::Plain(v.to_string()));
        }
    }
    fn list(&mut self, k: &str, v: &[String]) {
        if !v.is_empty() {
            self.put(k, strs(v));
        }
    }
    fn smap(&mut self, k: &str, v: &BTreeMap<String, String>) {
        if !v.is_empty() {
            self.put(k, string_map(v));
        }
    }
    fn dur(&mut self, k: &str, v: Option<i64>) {
        if let Some(d) = v {
            self.put(k, Y::Str(duration_string(d)));
        }
    }
    fn sub(&mut self, k: &str, m: M) {
        if !m.0.is_empty() {
            self.put(k, Y::Map(m.0));
        }
    }
    fn extras(&mut self, extras: &BTreeMap<String, Node>) {
        let mut e: Vec<(String, Y)> = extras.iter().map(|(k, v)| (k.clone(), node(v))).collect();
        e.sort_by(|a, b| key_cmp(&a.0, &b.0));
        self.0.extend(e);
    }
    fn done(self) -> Y {
        Y::Map(self.0)
    }
}

fn strs(v: &[String]) -> Y {
    Y::Seq(v.iter().map(|s| Y::Str(s.clone())).collect())
}

fn string_map(v: &BTreeMap<String, String>) -> Y {
    Y::sorted_map(
        v.iter()
            .map(|(k, v)| (k.clone(), Y::Str(v.clone())))
            .collect(),
    )
}

fn bytes(v: i64) -> Y {
    Y::Str(v.to_string())
}

/// A raw YAML value (extras) as yaml.v3 would marshal the decoded Go value.
fn node(n: &Node) -> Y {
    match &n.kind {
        Kind::Null => Y::Plain("null".into()),
        Kind::Bool(b) => Y::Plain(b.to_string()),
        Kind::Int(i) => Y::Plain(i.to_string()),
        Kind::Uint(u) => Y::Plain(u.to_string()),
        Kind::Float(f) => Y::Plain(match format_float(*f).as_str() {
            "+Inf" => ".inf".into(),
            "-Inf" => "-.inf".into(),
            "NaN" => ".nan".into(),
            s => s.to_string(),
        }),
        Kind::Str(s) => Y::Str(s.clone()),
        Kind::Seq(items) => Y::Seq(items.iter().map(node).collect()),
        Kind::Map(entries) => Y::sorted_map(
            entries
                .iter()
                .map(|e| (e.key.clone(), node(&e.value)))
                .collect(),
        ),
    }
}

fn external(m: &mut M, e: &External) {
    if e.name.is_empty() {
        m.b("external", e.external);
    } else {
        let mut x = M::new();
        x.s("name", &e.name);
        m.put("external", x.done());
    }
}

fn config(cfg: &Config) -> Y {
    let mut m = M::new();
    m.put("version", Y::Str(cfg.version.clone()));
    m.put(
        "services",
        Y::sorted_map(
            cfg.services
                .iter()
                .map(|s| (s.name.clone(), service(s)))
                .collect(),
        ),
    );
    if !cfg.networks.is_empty() {
        m.put(
            "networks",
            Y::sorted_map(
                cfg.networks
                    .iter()
                    .map(|(k, n)| (k.clone(), network(n)))
                    .collect(),
            ),
        );
    }
    if !cfg.volumes.is_empty() {
        m.put(
            "volumes",
            Y::sorted_map(
                cfg.volumes
                    .iter()
                    .map(|(k, v)| (k.clone(), volume(v)))
                    .collect(),
            ),
        );
    }
    if !cfg.secrets.is_empty() {
        m.put(
            "secrets",
            Y::sorted_map(
                cfg.secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), file_object(v)))
                    .collect(),
            ),
        );
    }
    if !cfg.configs.is_empty() {
        m.put(
            "configs",
            Y::sorted_map(
                cfg.configs
                    .iter()
                    .map(|(k, v)| (k.clone(), file_object(v)))
                    .collect(),
            ),
        );
    }
    m.extras(&cfg.extras);
    m.done()
}

fn file_refs(v: &Option<Vec<FileReferenceConfig>>) -> Option<Y> {
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

fn update_config(u: &UpdateConfig) -> Y {
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

fn deploy(d: &DeployConfig) -> M {
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

fn service(s: &ServiceConfig) -> Y {
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

fn env_map(v: &BTreeMap<String, Option<String>>) -> Y {
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

fn service_volume(v: &ServiceVolumeConfig) -> Y {
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

fn network(n: &NetworkConfig) -> Y {
    let mut m = M::new();
    m.s("name", &n.name);
    m.s("driver", &n.driver);
    m.smap("driver_opts", &n.driver_opts);
    let mut ipam = M::new();
    ipam.s("driver", &n.ipam.driver);
    if !n.ipam.config.is_empty() {
        ipam.put(
            "config",
            Y::Seq(
                n.ipam
                    .config
                    .iter()
                    .map(|c| match c {
                        None => Y::Plain("null".into()),
                        Some(s) => {
                            let mut x = M::new();
                            x.s("subnet", s);
                            x.done()
                        }
                    })
                    .collect(),
            ),
        );
    }
    m.sub("ipam", ipam);
    external(&mut m, &n.external);
    m.b("internal", n.internal);
    m.b("attachable", n.attachable);
    m.smap("labels", &n.labels);
    m.extras(&n.extras);
    m.done()
}

fn volume(v: &VolumeConfig) -> Y {
    let mut m = M::new();
    m.s("name", &v.name);
    m.s("driver", &v.driver);
    if let Some(o) = &v.driver_opts {
        m.smap("driver_opts", o);
    }
    external(&mut m, &v.external);
    m.smap("labels", &v.labels);
    if let Some(spec) = &v.spec {
        m.put("x-cluster-spec", cluster_spec(spec));
    }
    m.extras(&v.extras);
    m.done()
}

fn cluster_spec(c: &ClusterVolumeSpec) -> Y {
    let mut m = M::new();
    m.s("group", &c.group);
    if let Some(a) = &c.access_mode {
        let mut x = M::new();
        x.s("scope", &a.scope);
        x.s("sharing", &a.sharing);
        if let Some(mv) = &a.mount_volume {
            let mut y = M::new();
            y.s("fs_type", &mv.fs_type);
            y.list("mount_flags", &mv.mount_flags);
            x.put("mount_volume", y.done());
        }
        if a.block_volume.is_some() {
            x.put("block_volume", Y::Map(Vec::new()));
        }
        m.put("access_mode", x.done());
    }
    if let Some(r) = &c.accessibility_requirements {
        let topo = |t: &[BTreeMap<String, String>]| {
            Y::Seq(
                t.iter()
                    .map(|seg| {
                        let mut x = M::new();
                        x.smap("segments", seg);
                        x.done()
                    })
                    .collect(),
            )
        };
        let mut x = M::new();
        if !r.requisite.is_empty() {
            x.put("requisite", topo(&r.requisite));
        }
        if !r.preferred.is_empty() {
            x.put("preferred", topo(&r.preferred));
        }
        m.put("accessibility_requirements", x.done());
    }
    if let Some(r) = &c.capacity_range {
        let mut x = M::new();
        if r.required_bytes != 0 {
            x.put("required_bytes", bytes(r.required_bytes));
        }
        if r.limit_bytes != 0 {
            x.put("limit_bytes", bytes(r.limit_bytes));
        }
        m.put("capacity_range", x.done());
    }
    if !c.secrets.is_empty() {
        m.put(
            "secrets",
            Y::Seq(
                c.secrets
                    .iter()
                    .map(|s| {
                        let mut x = M::new();
                        x.s("key", &s.key);
                        x.s("secret", &s.secret);
                        x.done()
                    })
                    .collect(),
            ),
        );
    }
    m.s("availability", &c.availability);
    m.done()
}

fn file_object(o: &FileObjectConfig) -> Y {
    let mut m = M::new();
    m.s("name", &o.name);
    m.s("file", &o.file);
    external(&mut m, &o.external);
    m.smap("labels", &o.labels);
    m.s("driver", &o.driver);
    m.smap("driver_opts", &o.driver_opts);
    m.s("template_driver", &o.template_driver);
    m.extras(&o.extras);
    m.done()
}
