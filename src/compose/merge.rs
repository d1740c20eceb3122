//! Multi-file merge, like docker/cli `cli/compose/loader/merge.go` (mergo with
//! `WithOverride`, `WithAppendSlice` and the CLI's transformers):
//!
//! * services with a new name are added; same name → field-wise merge:
//!   scalars are overridden by non-zero values (a zero cannot unset), pointers (`replicas`,
//!   durations, …) are overridden when set (an explicit 0 wins), maps are merged by key,
//!   `command`/`entrypoint` replaced when the override is non-empty, `ports` keyed by published
//!   port, `secrets`/`configs` by source and `volumes` by target (each re-sorted, but only when
//!   the base had that list), `networks` per network (aliases replaced, addresses when set),
//!   `ulimits` per name, `logging` merged when drivers agree (the override's options are lost
//!   when the base has none — a mergo quirk kept on purpose), every other list concatenated;
//! * top-level networks/volumes/secrets/configs are replaced per key; later `x-*` are ignored.

use std::collections::BTreeMap;

use super::types::*;
use super::yaml::{Kind, Node};

/// Merges `over` into `base` (`merge`).
pub fn merge(mut base: Config, over: Config) -> Config {
    for svc in over.services {
        match base.services.iter_mut().find(|s| s.name == svc.name) {
            Some(b) => merge_service(b, svc),
            None => base.services.push(svc),
        }
    }
    base.services.sort_by(|a, b| a.name.cmp(&b.name));
    base.volumes.extend(over.volumes);
    base.networks.extend(over.networks);
    base.secrets.extend(over.secrets);
    base.configs.extend(over.configs);
    base.locations.extend(over.locations);
    base
}

fn string(dst: &mut String, src: String) {
    if !src.is_empty() {
        *dst = src;
    }
}

fn boolean(dst: &mut bool, src: bool) {
    if src {
        *dst = true;
    }
}

fn append(dst: &mut Vec<String>, src: Vec<String>) {
    dst.extend(src);
}

fn map_str(dst: &mut BTreeMap<String, String>, src: BTreeMap<String, String>) {
    dst.extend(src);
}

/// `map[string]*string` under mergo: a non-empty override wins; an empty/nil override only
/// fills a missing or empty entry.
fn map_opt(dst: &mut BTreeMap<String, Option<String>>, src: BTreeMap<String, Option<String>>) {
    for (k, v) in src {
        let src_empty = v.as_deref().is_none_or(str::is_empty);
        match dst.get_mut(&k) {
            Some(d) => {
                let dst_empty = d.as_deref().is_none_or(str::is_empty);
                if !src_empty || dst_empty {
                    *d = v;
                }
            }
            None => {
                dst.insert(k, v);
            }
        }
    }
}

/// A `*T` pointer to a scalar: set when the override is set and non-zero (mergo dereferences).
fn opt_nonzero<T: PartialEq + Default>(dst: &mut Option<T>, src: Option<T>) {
    match (dst.as_mut(), src) {
        (_, None) => {}
        (None, Some(s)) => *dst = Some(s),
        (Some(d), Some(s)) => {
            if s != T::default() {
                *d = s;
            }
        }
    }
}

/// `mergeUint64`: an explicit value (even 0) wins.
fn opt_u64(dst: &mut Option<u64>, src: Option<u64>) {
    if src.is_some() {
        *dst = src;
    }
}

/// `mergeSlice`: re-key base and override by `key`, override wins, sort by key. Applies only
/// when the base list exists (mergo skips transformers for nil destinations and appends).
fn keyed<T, K: Ord + Clone>(dst: &mut Option<Vec<T>>, src: Option<Vec<T>>, key: impl Fn(&T) -> K) {
    match dst {
        None => {
            if let Some(s) = src {
                *dst = Some(s);
            }
        }
        Some(d) => {
            let mut m: BTreeMap<K, T> = BTreeMap::new();
            for x in std::mem::take(d) {
                m.insert(key(&x), x);
            }
            for x in src.unwrap_or_default() {
                m.insert(key(&x), x);
            }
            *d = m.into_values().collect();
        }
    }
}

fn merge_service(b: &mut ServiceConfig, o: ServiceConfig) {
    // build
    string(&mut b.build.context, o.build.context);
    string(&mut b.build.dockerfile, o.build.dockerfile);
    map_opt(&mut b.build.args, o.build.args);
    map_str(&mut b.build.labels, o.build.labels);
    append(&mut b.build.cache_from, o.build.cache_from);
    append(&mut b.build.extra_hosts, o.build.extra_hosts);
    string(&mut b.build.network, o.build.network);
    string(&mut b.build.target, o.build.target);

    append(&mut b.cap_add, o.cap_add);
    append(&mut b.cap_drop, o.cap_drop);
    string(&mut b.cgroupns_mode, o.cgroupns_mode);
    string(&mut b.cgroup_parent, o.cgroup_parent);
    shell_command(&mut b.command, o.command);
    keyed(&mut b.configs, o.configs, |c| c.source.clone());
    string(&mut b.container_name, o.container_name);
    string(&mut b.credential_spec.config, o.credential_spec.config);
    string(&mut b.credential_spec.file, o.credential_spec.file);
    string(&mut b.credential_spec.registry, o.credential_spec.registry);
    append(&mut b.depends_on, o.depends_on);
    merge_deploy(&mut b.deploy, o.deploy);
    append(&mut b.devices, o.devices);
    append(&mut b.dns, o.dns);
    append(&mut b.dns_search, o.dns_search);
    string(&mut b.domainname, o.domainname);
    shell_command(&mut b.entrypoint, o.entrypoint);
    map_opt(&mut b.environment, o.environment);
    append(&mut b.env_file, o.env_file);
    append(&mut b.expose, o.expose);
    append(&mut b.external_links, o.external_links);
    append(&mut b.extra_hosts, o.extra_hosts);
    string(&mut b.hostname, o.hostname);
    match (&mut b.healthcheck, o.healthcheck) {
        (_, None) => {}
        (None, Some(h)) => b.healthcheck = Some(h),
        (Some(d), Some(s)) => {
            append(&mut d.test, s.test);
            opt_nonzero(&mut d.timeout, s.timeout);
            opt_nonzero(&mut d.interval, s.interval);
            opt_u64(&mut d.retries, s.retries);
            opt_nonzero(&mut d.start_period, s.start_period);
            opt_nonzero(&mut d.start_interval, s.start_interval);
            boolean(&mut d.disable, s.disable);
        }
    }
    string(&mut b.image, o.image);
    match (&mut b.init, o.init) {
        (_, None) => {}
        (None, s) => b.init = s,
        (Some(d), Some(s)) => boolean(d, s),
    }
    string(&mut b.ipc, o.ipc);
    string(&mut b.isolation, o.isolation);
    map_str(&mut b.labels, o.labels);
    append(&mut b.links, o.links);
    match (&mut b.logging, o.logging) {
        (_, None) => {}
        (None, s) => b.logging = s,
        (Some(d), Some(s)) => {
            if d.driver == s.driver || d.driver.is_empty() || s.driver.is_empty() {
                if d.driver.is_empty() {
                    d.driver = s.driver;
                }
                if let (Some(dopts), Some(sopts)) = (d.options.as_mut(), s.options) {
                    dopts.extend(sopts);
                }
            } else {
                *d = s;
            }
        }
    }
    string(&mut b.mac_address, o.mac_address);
    string(&mut b.network_mode, o.network_mode);
    for (name, net) in o.networks {
        match b.networks.get_mut(&name) {
            None => {
                b.networks.insert(name, net);
            }
            Some(None) => {
                b.networks.insert(name, net);
            }
            Some(Some(d)) => {
                if let Some(s) = net {
                    d.aliases = s.aliases;
                    string(&mut d.ipv4_address, s.ipv4_address);
                    string(&mut d.ipv6_address, s.ipv6_address);
                }
            }
        }
    }
    string(&mut b.pid, o.pid);
    keyed(&mut b.ports, o.ports, |p| p.published);
    boolean(&mut b.privileged, o.privileged);
    boolean(&mut b.read_only, o.read_only);
    string(&mut b.restart, o.restart);
    keyed(&mut b.secrets, o.secrets, |s| s.source.clone());
    append(&mut b.security_opt, o.security_opt);
    string(&mut b.shm_size, o.shm_size);
    boolean(&mut b.stdin_open, o.stdin_open);
    opt_nonzero(&mut b.stop_grace_period, o.stop_grace_period);
    string(&mut b.stop_signal, o.stop_signal);
    map_str(&mut b.sysctls, o.sysctls);
    append(&mut b.tmpfs, o.tmpfs);
    boolean(&mut b.tty, o.tty);
    b.ulimits.extend(o.ulimits);
    string(&mut b.user, o.user);
    if o.oom_score_adj != 0 {
        b.oom_score_adj = o.oom_score_adj;
    }
    string(&mut b.userns_mode, o.userns_mode);
    keyed(&mut b.volumes, o.volumes, |v| v.target.clone());
    string(&mut b.working_dir, o.working_dir);
    for (k, v) in o.extras {
        match b.extras.get_mut(&k) {
            Some(d) => merge_any(d, v),
            None => {
                b.extras.insert(k, v);
            }
        }
    }
}

/// mergo on `map[string]any` values: maps merge recursively, lists are appended, anything
/// else is replaced by the override.
fn merge_any(dst: &mut Node, src: Node) {
    match (&mut dst.kind, src.kind) {
        (Kind::Map(d), Kind::Map(s)) => {
            // key → index in `d`: linear in both maps
            let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
            for (i, x) in d.iter().enumerate() {
                at.entry(x.key.clone()).or_insert(i);
            }
            for e in s {
                match at.get(&e.key).and_then(|&i| d.get_mut(i)) {
                    Some(x) => merge_any(&mut x.value, e.value),
                    None => {
                        at.entry(e.key.clone()).or_insert(d.len());
                        d.push(e);
                    }
                }
            }
        }
        (Kind::Seq(d), Kind::Seq(s)) => d.extend(s),
        (_, kind) => {
            *dst = Node::new(src.pos, kind);
        }
    }
}

/// `mergeShellCommand`: replaced when the override is non-empty.
fn shell_command(dst: &mut Option<Vec<String>>, src: Option<Vec<String>>) {
    match src {
        Some(s) if !s.is_empty() || dst.is_none() => *dst = Some(s),
        _ => {}
    }
}

fn merge_update(dst: &mut Option<UpdateConfig>, src: Option<UpdateConfig>) {
    match (dst.as_mut(), src) {
        (_, None) => {}
        (None, s) => *dst = s,
        (Some(d), Some(s)) => {
            opt_u64(&mut d.parallelism, s.parallelism);
            if s.delay != 0 {
                d.delay = s.delay;
            }
            string(&mut d.failure_action, s.failure_action);
            if s.monitor != 0 {
                d.monitor = s.monitor;
            }
            if s.max_failure_ratio != 0.0 {
                d.max_failure_ratio = s.max_failure_ratio;
            }
            string(&mut d.order, s.order);
        }
    }
}

fn merge_deploy(d: &mut DeployConfig, s: DeployConfig) {
    string(&mut d.mode, s.mode);
    opt_u64(&mut d.replicas, s.replicas);
    map_str(&mut d.labels, s.labels);
    merge_update(&mut d.update_config, s.update_config);
    merge_update(&mut d.rollback_config, s.rollback_config);
    match (d.resources.limits.as_mut(), s.resources.limits) {
        (_, None) => {}
        (None, l) => d.resources.limits = l,
        (Some(dl), Some(sl)) => {
            string(&mut dl.nano_cpus, sl.nano_cpus);
            if sl.memory_bytes != 0 {
                dl.memory_bytes = sl.memory_bytes;
            }
            if sl.pids != 0 {
                dl.pids = sl.pids;
            }
        }
    }
    match (d.resources.reservations.as_mut(), s.resources.reservations) {
        (_, None) => {}
        (None, r) => d.resources.reservations = r,
        (Some(dr), Some(sr)) => {
            string(&mut dr.nano_cpus, sr.nano_cpus);
            if sr.memory_bytes != 0 {
                dr.memory_bytes = sr.memory_bytes;
            }
            dr.generic_resources.extend(sr.generic_resources);
        }
    }
    match (d.restart_policy.as_mut(), s.restart_policy) {
        (_, None) => {}
        (None, r) => d.restart_policy = r,
        (Some(dr), Some(sr)) => {
            string(&mut dr.condition, sr.condition);
            opt_nonzero(&mut dr.delay, sr.delay);
            opt_u64(&mut dr.max_attempts, sr.max_attempts);
            opt_nonzero(&mut dr.window, sr.window);
        }
    }
    append(&mut d.placement.constraints, s.placement.constraints);
    append(&mut d.placement.preferences, s.placement.preferences);
    if s.placement.max_replicas != 0 {
        d.placement.max_replicas = s.placement.max_replicas;
    }
    string(&mut d.endpoint_mode, s.endpoint_mode);
}

#[cfg(test)]
mod tests;
