//! `--mount`: volume, bind and tmpfs mounts in the CLI's CSV syntax.

use std::collections::HashMap;

use bollard::models::{
    Mount, MountBindOptions, MountTmpfsOptions, MountType, MountVolumeOptions,
    MountVolumeOptionsDriverConfig,
};

use super::{csv_fields, parse_bytes, parse_label};
use crate::syntax::mounts;

/// `--mount type=volume,source=data,target=/data,readonly` and friends (volume, bind, tmpfs).
pub fn parse_mount(line: &str) -> Result<Mount, String> {
    let line = line.trim();
    let mut m = Mount {
        typ: Some(MountType::VOLUME),
        ..Default::default()
    };
    let mut volume: Option<MountVolumeOptions> = None;
    let mut bind: Option<MountBindOptions> = None;
    let mut tmpfs: Option<MountTmpfsOptions> = None;
    let mut kind_options: Vec<(&'static str, String)> = Vec::new();
    for field in csv_fields(line)? {
        let (k, v) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_lowercase(), Some(v.to_string())),
            None => (field.trim().to_lowercase(), None),
        };
        let need =
            |v: Option<String>| v.ok_or_else(|| format!("{line:?}: {k} needs a value ({k}=…)"));
        match k.as_str() {
            "type" => {
                m.typ = Some(match need(v)?.trim() {
                    "volume" => MountType::VOLUME,
                    "bind" => MountType::BIND,
                    "tmpfs" => MountType::TMPFS,
                    "npipe" => MountType::NPIPE,
                    other => {
                        return Err(format!(
                            "{line:?}: the mount type is volume, bind or tmpfs, not {other:?}"
                        ));
                    }
                })
            }
            "source" | "src" => m.source = Some(need(v)?),
            "target" | "destination" | "dst" => m.target = Some(need(v)?),
            "readonly" | "ro" => m.read_only = Some(parse_bool(v.as_deref(), line, &k)?),
            "consistency" => m.consistency = Some(need(v)?),
            "bind-propagation" => {
                let raw = need(v)?;
                let p = match mounts::propagation(raw.trim()) {
                    Ok(Some(p)) => p,
                    _ => {
                        return Err(format!(
                            "{line:?}: unknown bind propagation {:?} (use {})",
                            raw.trim(),
                            mounts::PROPAGATIONS.join(", ")
                        ));
                    }
                };
                bind.get_or_insert_with(Default::default).propagation = Some(p);
                kind_options.push(("bind", k.clone()));
            }
            "bind-nonrecursive" => {
                bind.get_or_insert_with(Default::default).non_recursive =
                    Some(parse_bool(v.as_deref(), line, &k)?);
                kind_options.push(("bind", k.clone()));
            }
            "volume-nocopy" => {
                volume.get_or_insert_with(Default::default).no_copy =
                    Some(parse_bool(v.as_deref(), line, &k)?);
                kind_options.push(("volume", k.clone()));
            }
            "volume-driver" => {
                let vo = volume.get_or_insert_with(Default::default);
                vo.driver_config
                    .get_or_insert_with(MountVolumeOptionsDriverConfig::default)
                    .name = Some(need(v)?);
                kind_options.push(("volume", k.clone()));
            }
            "volume-label" => {
                let (lk, lv) = parse_label(&need(v)?)?;
                volume
                    .get_or_insert_with(Default::default)
                    .labels
                    .get_or_insert_with(HashMap::new)
                    .insert(lk, lv);
                kind_options.push(("volume", k.clone()));
            }
            "volume-opt" => {
                let raw = need(v)?;
                let (ok, ov) = raw
                    .split_once('=')
                    .ok_or_else(|| format!("{line:?}: volume-opt is volume-opt=KEY=VALUE"))?;
                let vo = volume.get_or_insert_with(Default::default);
                vo.driver_config
                    .get_or_insert_with(MountVolumeOptionsDriverConfig::default)
                    .options
                    .get_or_insert_with(HashMap::new)
                    .insert(ok.to_string(), ov.to_string());
                kind_options.push(("volume", k.clone()));
            }
            "tmpfs-size" => {
                tmpfs.get_or_insert_with(Default::default).size_bytes =
                    Some(parse_bytes(&need(v)?)?);
                kind_options.push(("tmpfs", k.clone()));
            }
            "tmpfs-mode" => {
                let raw = need(v)?;
                let mode = i64::from_str_radix(raw.trim(), 8)
                    .map_err(|_| format!("{line:?}: tmpfs-mode is an octal mode like 1777"))?;
                tmpfs.get_or_insert_with(Default::default).mode = Some(mode);
                kind_options.push(("tmpfs", k.clone()));
            }
            other => {
                return Err(format!(
                    "{line:?}: unknown mount option {other:?} (use type, source, target, readonly, \
                     bind-propagation, volume-driver, volume-label, volume-opt, volume-nocopy, \
                     tmpfs-size, tmpfs-mode)"
                ));
            }
        }
    }
    let kind = match m.typ {
        Some(MountType::BIND) => "bind",
        Some(MountType::TMPFS) => "tmpfs",
        Some(MountType::NPIPE) => "npipe",
        _ => "volume",
    };
    if let Some((k, opt)) = kind_options.iter().find(|(k, _)| *k != kind) {
        return Err(format!(
            "{line:?}: {opt} is a {k} option and cannot be used with a {kind} mount"
        ));
    }
    let target = m.target.clone().unwrap_or_default();
    if target.is_empty() {
        return Err(format!(
            "{line:?} has no target (target=/path/in/container)"
        ));
    }
    if !target.starts_with('/') {
        return Err(format!(
            "{line:?}: the target {target:?} must be an absolute path"
        ));
    }
    match kind {
        "bind" => match m.source.as_deref() {
            Some(s) if s.starts_with('/') => {}
            Some(s) => {
                return Err(format!(
                    "{line:?}: a bind mount's source {s:?} must be an absolute path on the node"
                ));
            }
            None => {
                return Err(format!(
                    "{line:?}: a bind mount needs a source=/path/on/node"
                ));
            }
        },
        "tmpfs" if m.source.is_some() => {
            return Err(format!("{line:?}: a tmpfs mount has no source"));
        }
        _ => {}
    }
    m.volume_options = volume;
    m.bind_options = bind;
    m.tmpfs_options = tmpfs;
    Ok(m)
}

pub fn parse_mounts(lines: &[String]) -> Result<Vec<Mount>, String> {
    let mounts: Vec<Mount> = lines
        .iter()
        .map(|l| parse_mount(l))
        .collect::<Result<_, _>>()?;
    for (i, m) in mounts.iter().enumerate() {
        if mounts[..i].iter().any(|o| o.target == m.target) {
            return Err(format!(
                "two mounts use the target {}",
                m.target.as_deref().unwrap_or_default()
            ));
        }
    }
    Ok(mounts)
}

fn parse_bool(v: Option<&str>, line: &str, key: &str) -> Result<bool, String> {
    match v.map(|s| s.trim().to_lowercase()).as_deref() {
        None | Some("true") | Some("1") | Some("yes") => Ok(true),
        Some("false") | Some("0") | Some("no") => Ok(false),
        Some(other) => Err(format!("{line:?}: {key} is true or false, not {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::MountBindOptionsPropagationEnum;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mounts_follow_the_cli_syntax() {
        let m = parse_mount("type=volume,source=data,target=/data,readonly").unwrap();
        assert_eq!(m.typ, Some(MountType::VOLUME));
        assert_eq!(m.source.as_deref(), Some("data"));
        assert_eq!(m.read_only, Some(true));
        assert!(m.volume_options.is_none());
        let b = parse_mount("type=bind,src=/srv,dst=/srv,bind-propagation=rslave").unwrap();
        assert_eq!(
            b.bind_options.unwrap().propagation,
            Some(MountBindOptionsPropagationEnum::RSLAVE)
        );
        let v = parse_mount(
            "source=x,target=/x,volume-driver=local,\"volume-opt=o=addr=1.2.3.4,rw\",volume-label=a=b",
        )
        .unwrap();
        let vo = v.volume_options.unwrap();
        let dc = vo.driver_config.unwrap();
        assert_eq!(dc.name.as_deref(), Some("local"));
        assert_eq!(dc.options.unwrap()["o"], "addr=1.2.3.4,rw");
        assert_eq!(vo.labels.unwrap()["a"], "b");
        let t = parse_mount("type=tmpfs,target=/tmp,tmpfs-size=64M,tmpfs-mode=1777").unwrap();
        let to = t.tmpfs_options.unwrap();
        assert_eq!((to.size_bytes, to.mode), (Some(64 << 20), Some(0o1777)));
    }

    #[test]
    fn bad_mounts_are_refused_with_a_reason() {
        assert!(
            parse_mount("source=data")
                .unwrap_err()
                .contains("no target")
        );
        assert!(
            parse_mount("type=bind,target=/x")
                .unwrap_err()
                .contains("needs a source")
        );
        assert!(
            parse_mount("type=bind,source=rel,target=/x")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            parse_mount("type=nfs,target=/x")
                .unwrap_err()
                .contains("mount type")
        );
        assert!(
            parse_mount("target=/x,colour=red")
                .unwrap_err()
                .contains("unknown mount option")
        );
        assert!(parse_mount("target=x").unwrap_err().contains("absolute"));
        assert!(
            parse_mount("type=bind,source=/a,target=/b,volume-nocopy")
                .unwrap_err()
                .contains("volume option")
        );
        assert!(
            parse_mount("target=/x,\"source=a")
                .unwrap_err()
                .contains("unclosed quote")
        );
        assert!(parse_mounts(&v(&["target=/x", "source=a,target=/x"])).is_err());
        assert!(
            parse_mount("type=bind,source=/a,target=/b,bind-propagation=sideways")
                .unwrap_err()
                .contains("unknown bind propagation")
        );
    }
}
