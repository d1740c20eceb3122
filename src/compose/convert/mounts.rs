//! Service volumes → mounts (`cli/compose/convert/volume.go`), in file order.

use std::collections::HashMap;

use bollard::models::{
    Mount, MountBindOptions, MountImageOptions, MountTmpfsOptions, MountType, MountVolumeOptions,
    MountVolumeOptionsDriverConfig,
};

use crate::syntax::mounts::propagation;

use super::super::types::{Config, ServiceVolumeConfig};
use super::{scope, with_stack_label};

fn base(v: &ServiceVolumeConfig, typ: MountType) -> Mount {
    Mount {
        typ: Some(typ),
        target: (!v.target.is_empty()).then(|| v.target.clone()),
        source: (!v.source.is_empty()).then(|| v.source.clone()),
        read_only: v.read_only.then_some(true),
        consistency: (!v.consistency.is_empty()).then(|| v.consistency.clone()),
        ..Mount::default()
    }
}

fn bind_options(v: &ServiceVolumeConfig) -> Result<Option<MountBindOptions>, String> {
    v.bind
        .as_ref()
        .map(|b| {
            Ok(MountBindOptions {
                propagation: propagation(&b.propagation)?,
                ..MountBindOptions::default()
            })
        })
        .transpose()
}

/// `convertVolumeToMount`.
pub fn convert_mount(stack: &str, cfg: &Config, v: &ServiceVolumeConfig) -> Result<Mount, String> {
    let incompatible =
        |what: &str, t: &str| format!("{what} options are incompatible with type {t}");
    match v.typ.as_str() {
        "volume" | "" => {
            let mut m = base(v, MountType::VOLUME);
            // `createMountFromVolume` copies the compose type as is: an empty type (a variable
            // that expanded to nothing) is sent empty, and the daemon reads it as `bind`
            if v.typ.is_empty() {
                m.typ = None;
            }
            if v.image.is_some() {
                return Err(incompatible("images", "volume"));
            }
            if v.tmpfs.is_some() {
                return Err(incompatible("tmpfs", "volume"));
            }
            if v.bind.is_some() {
                return Err(incompatible("bind", "volume"));
            }
            if v.cluster.is_some() {
                return Err(incompatible("cluster", "volume"));
            }
            if v.source.is_empty() {
                return Ok(m);
            }
            let Some(stack_volume) = cfg.volumes.get(&v.source) else {
                return Err(format!("undefined volume \"{}\"", v.source));
            };
            m.source = Some(if stack_volume.name.is_empty() {
                scope(stack, &v.source)
            } else {
                stack_volume.name.clone()
            });
            let mut opts = MountVolumeOptions::default();
            if let Some(vo) = &v.volume {
                opts.no_copy = vo.nocopy.then_some(true);
                opts.subpath = (!vo.subpath.is_empty()).then(|| vo.subpath.clone());
            }
            if !stack_volume.external.external {
                opts.labels = Some(
                    with_stack_label(stack, &stack_volume.labels)
                        .into_iter()
                        .collect::<HashMap<_, _>>(),
                );
                if !stack_volume.driver.is_empty() || stack_volume.driver_opts.is_some() {
                    opts.driver_config = Some(MountVolumeOptionsDriverConfig {
                        name: (!stack_volume.driver.is_empty())
                            .then(|| stack_volume.driver.clone()),
                        options: stack_volume
                            .driver_opts
                            .as_ref()
                            .filter(|o| !o.is_empty())
                            .map(|o| o.clone().into_iter().collect()),
                    });
                }
            }
            m.volume_options = Some(opts);
            Ok(m)
        }
        "image" => {
            let mut m = base(v, MountType::IMAGE);
            if v.source.is_empty() {
                return Err("invalid image source, source cannot be empty".into());
            }
            if v.volume.is_some() {
                return Err(incompatible("volume", "image"));
            }
            if v.bind.is_some() {
                return Err(incompatible("bind", "image"));
            }
            if v.tmpfs.is_some() {
                return Err(incompatible("tmpfs", "image"));
            }
            if v.cluster.is_some() {
                return Err(incompatible("cluster", "image"));
            }
            if let Some(i) = &v.image {
                m.image_options = Some(MountImageOptions {
                    subpath: (!i.subpath.is_empty()).then(|| i.subpath.clone()),
                });
            }
            Ok(m)
        }
        "bind" => {
            let mut m = base(v, MountType::BIND);
            if v.source.is_empty() {
                return Err("invalid bind source, source cannot be empty".into());
            }
            if v.volume.is_some() {
                return Err(incompatible("volume", "bind"));
            }
            if v.image.is_some() {
                return Err(incompatible("image", "bind"));
            }
            if v.tmpfs.is_some() {
                return Err(incompatible("tmpfs", "bind"));
            }
            if v.cluster.is_some() {
                return Err(incompatible("cluster", "bind"));
            }
            m.bind_options = bind_options(v)?;
            Ok(m)
        }
        "tmpfs" => {
            let mut m = base(v, MountType::TMPFS);
            if !v.source.is_empty() {
                return Err("invalid tmpfs source, source must be empty".into());
            }
            if v.bind.is_some() {
                return Err(incompatible("bind", "tmpfs"));
            }
            if v.volume.is_some() {
                return Err(incompatible("volume", "tmpfs"));
            }
            if v.image.is_some() {
                return Err(incompatible("image", "tmpfs"));
            }
            if v.cluster.is_some() {
                return Err(incompatible("cluster", "tmpfs"));
            }
            if let Some(t) = &v.tmpfs {
                m.tmpfs_options = Some(MountTmpfsOptions {
                    size_bytes: (t.size != 0).then_some(t.size),
                    ..MountTmpfsOptions::default()
                });
            }
            Ok(m)
        }
        "npipe" => {
            let mut m = base(v, MountType::NPIPE);
            if v.source.is_empty() {
                return Err("invalid npipe source, source cannot be empty".into());
            }
            if v.volume.is_some() {
                return Err(incompatible("volume", "npipe"));
            }
            if v.image.is_some() {
                return Err(incompatible("image", "npipe"));
            }
            if v.tmpfs.is_some() {
                return Err(incompatible("tmpfs", "npipe"));
            }
            m.bind_options = bind_options(v)?;
            Ok(m)
        }
        "cluster" => {
            if v.source.is_empty() {
                return Err("invalid cluster source, source cannot be empty".into());
            }
            if v.tmpfs.is_some() {
                return Err(incompatible("tmpfs", "cluster"));
            }
            if v.bind.is_some() {
                return Err(incompatible("bind", "cluster"));
            }
            if v.volume.is_some() {
                return Err(incompatible("volume", "cluster"));
            }
            let mut m = base(v, MountType::CLUSTER);
            if !v.source.starts_with("group:") {
                let Some(stack_volume) = cfg.volumes.get(&v.source) else {
                    return Err(format!("undefined volume \"{}\"", v.source));
                };
                m.source = Some(if stack_volume.name.is_empty() {
                    scope(stack, &v.source)
                } else {
                    stack_volume.name.clone()
                });
            }
            Ok(m)
        }
        _ => Err("volume type must be volume, bind, tmpfs, npipe, or cluster".into()),
    }
}
