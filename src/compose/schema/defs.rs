//! The compose file schemas v3.0 … v3.13, hand-coded from docker/cli
//! `cli/compose/schema/data/config_schema_v3.*.json` as one builder with version gates
//! (STACK_DEPLOY_SPEC 2.3): 3.1 secrets; 3.2 long ports/volumes, `endpoint_mode`, `attachable`,
//! build `cache_from`; 3.3 configs, `credential_spec`, placement `preferences`, build `labels`;
//! 3.4 `update_config.order`, healthcheck `start_period` and duration formats, volume `name`,
//! top-level `x-*`, build `network`/`target`; 3.5 `name` on network/secret/config,
//! `generic_resources`, `isolation`, build `shm_size`; 3.6 long-volume `tmpfs.size`;
//! 3.7 `rollback_config`, `init`, `x-*` inside service/network/volume/secret/config;
//! 3.8 `max_replicas_per_node`, secret `driver`/`driver_opts`/`template_driver`, config
//! `template_driver`, `credential_spec.config`; 3.9 `limits.pids`, `cgroupns_mode`, build
//! `extra_hosts`; 3.10 volume `x-cluster-spec`; 3.11 `build` accepts extra keys;
//! 3.12 healthcheck `start_interval`; 3.13 `oom_score_adj`, service network `driver_opts`.

mod service;

use std::sync::OnceLock;

use super::{Format, JType, KeyPattern, Schema};

/// The schema versions the CLI embeds, in order.
pub const VERSIONS: [&str; 14] = [
    "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12",
    "3.13",
];

/// The schema for a version string such as `"3.8"`, or `None` if the CLI has no such schema.
pub fn schema(version: &str) -> Option<&'static Schema> {
    static CACHE: [OnceLock<Schema>; 14] = [const { OnceLock::new() }; 14];
    let minor = VERSIONS.iter().position(|v| *v == version)?;
    Some(CACHE[minor].get_or_init(|| build(minor as u32)))
}

fn t(ty: JType) -> Schema {
    Schema {
        types: vec![ty],
        ..Schema::default()
    }
}

fn ts(types: &[JType]) -> Schema {
    Schema {
        types: types.to_vec(),
        ..Schema::default()
    }
}

fn string() -> Schema {
    t(JType::String)
}

fn one_of(list: Vec<Schema>) -> Schema {
    Schema {
        one_of: list,
        ..Schema::default()
    }
}

impl Schema {
    fn prop(mut self, name: &'static str, s: Schema) -> Schema {
        self.properties.push((name, s));
        self
    }
    fn prop_if(self, cond: bool, name: &'static str, s: impl FnOnce() -> Schema) -> Schema {
        if cond { self.prop(name, s()) } else { self }
    }
    fn pat(mut self, p: KeyPattern, s: Schema) -> Schema {
        self.pattern_properties.push((p, s));
        self
    }
    fn x_ext(self, cond: bool) -> Schema {
        if cond {
            self.pat(KeyPattern::XPrefix, Schema::default())
        } else {
            self
        }
    }
    fn closed(mut self) -> Schema {
        self.closed = true;
        self
    }
    fn items(mut self, s: Schema) -> Schema {
        self.items = Some(Box::new(s));
        self
    }
    fn unique(mut self) -> Schema {
        self.unique_items = true;
        self
    }
    fn format(mut self, f: Format) -> Schema {
        self.format = Some(f);
        self
    }
    fn required(mut self, r: &[&'static str]) -> Schema {
        self.required = r.to_vec();
        self
    }
}

fn list_of_strings() -> Schema {
    t(JType::Array).items(string()).unique()
}

fn string_or_list() -> Schema {
    one_of(vec![string(), list_of_strings()])
}

fn list_or_dict() -> Schema {
    one_of(vec![
        t(JType::Object)
            .pat(
                KeyPattern::AnyChar,
                ts(&[JType::String, JType::Number, JType::Null]),
            )
            .closed(),
        t(JType::Array).items(string()).unique(),
    ])
}

fn string_or_list_cmd() -> Schema {
    one_of(vec![string(), t(JType::Array).items(string())])
}

fn driver_opts() -> Schema {
    t(JType::Object).pat(
        KeyPattern::NonEmptyLine,
        ts(&[JType::String, JType::Number]),
    )
}

fn duration(v: u32, since: u32) -> Schema {
    if v >= since {
        string().format(Format::Duration)
    } else {
        string()
    }
}

fn external() -> Schema {
    ts(&[JType::Boolean, JType::Object]).prop("name", string())
}

fn build(v: u32) -> Schema {
    let mut top = t(JType::Object)
        .prop("version", string())
        .prop(
            "services",
            t(JType::Object)
                .pat(KeyPattern::Name, service::service(v))
                .closed(),
        )
        .prop(
            "networks",
            t(JType::Object).pat(KeyPattern::Name, network(v)),
        )
        .prop(
            "volumes",
            t(JType::Object).pat(KeyPattern::Name, volume(v)).closed(),
        );
    if v >= 1 {
        top = top.prop(
            "secrets",
            t(JType::Object).pat(KeyPattern::Name, secret(v)).closed(),
        );
    }
    if v >= 3 {
        top = top.prop(
            "configs",
            t(JType::Object).pat(KeyPattern::Name, config(v)).closed(),
        );
    }
    top.x_ext(v >= 4).closed()
}

fn network(v: u32) -> Schema {
    ts(&[JType::Object, JType::Null])
        .prop_if(v >= 5, "name", string)
        .prop("driver", string())
        .prop("driver_opts", driver_opts())
        .prop(
            "ipam",
            t(JType::Object)
                .prop("driver", string())
                .prop(
                    "config",
                    t(JType::Array).items(t(JType::Object).prop("subnet", string()).closed()),
                )
                .closed(),
        )
        .prop("external", external().closed())
        .prop("internal", t(JType::Boolean))
        .prop_if(v >= 2, "attachable", || t(JType::Boolean))
        .prop("labels", list_or_dict())
        .x_ext(v >= 7)
        .closed()
}

fn volume(v: u32) -> Schema {
    let topology = || t(JType::Array).items(t(JType::Object).prop("segments", list_or_dict()));
    ts(&[JType::Object, JType::Null])
        .prop_if(v >= 4, "name", string)
        .prop("driver", string())
        .prop("driver_opts", driver_opts())
        .prop("external", external().closed())
        .prop("labels", list_or_dict())
        .prop_if(v >= 10, "x-cluster-spec", || {
            t(JType::Object)
                .prop("group", string())
                .prop(
                    "access_mode",
                    t(JType::Object)
                        .prop("scope", string())
                        .prop("sharing", string())
                        .prop("block_volume", t(JType::Object))
                        .prop(
                            "mount_volume",
                            t(JType::Object)
                                .prop("fs_type", string())
                                .prop("mount_flags", t(JType::Array).items(string())),
                        ),
                )
                .prop(
                    "accessibility_requirements",
                    t(JType::Object)
                        .prop("requisite", topology())
                        .prop("preferred", topology()),
                )
                .prop(
                    "capacity_range",
                    t(JType::Object)
                        .prop("required_bytes", string())
                        .prop("limit_bytes", string()),
                )
                .prop("availability", string())
        })
        .x_ext(v >= 7)
        .closed()
}

fn secret(v: u32) -> Schema {
    t(JType::Object)
        .prop_if(v >= 5, "name", string)
        .prop("file", string())
        .prop("external", external())
        .prop("labels", list_or_dict())
        .prop_if(v >= 8, "driver", string)
        .prop_if(v >= 8, "driver_opts", driver_opts)
        .prop_if(v >= 8, "template_driver", string)
        .x_ext(v >= 7)
        .closed()
}

fn config(v: u32) -> Schema {
    t(JType::Object)
        .prop_if(v >= 5, "name", string)
        .prop("file", string())
        .prop("external", external())
        .prop("labels", list_or_dict())
        .prop_if(v >= 8, "template_driver", string)
        .x_ext(v >= 7)
        .closed()
}
