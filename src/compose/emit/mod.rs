//! `docker stack config` output: the merged model marshalled like yaml.v3 marshals
//! `types.Config` (field order and `omitempty` of `cli/compose/types/types.go`, custom
//! marshalers: durations as Go strings, byte sizes as quoted numbers, `external` as a bool or
//! `{name}`, single ulimits as a number, inline `x-*` extras after the fields).

mod service;
mod style;
mod writer;

use std::collections::BTreeMap;

pub use writer::key_cmp;
use writer::{Y, render};

use super::gofmt::{duration_string, format_float};
use super::types::*;
use super::yaml::{Kind, Node};

/// Renders the config like `docker stack config` (2-space indent).
pub fn config_yaml(cfg: &Config) -> String {
    render(&config(cfg))
}

pub(crate) struct M(Vec<(String, Y)>);

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

pub(crate) fn strs(v: &[String]) -> Y {
    Y::Seq(v.iter().map(|s| Y::Str(s.clone())).collect())
}

fn string_map(v: &BTreeMap<String, String>) -> Y {
    Y::sorted_map(
        v.iter()
            .map(|(k, v)| (k.clone(), Y::Str(v.clone())))
            .collect(),
    )
}

pub(crate) fn bytes(v: i64) -> Y {
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
        Kind::Time(t) => Y::Plain(t.rfc3339()),
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
                .map(|s| (s.name.clone(), service::service(s)))
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
