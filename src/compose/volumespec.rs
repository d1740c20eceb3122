//! Short volume syntax, like docker/cli `cli/compose/loader/volume.go` `ParseVolume`
//! (`internal/volumespec` in later versions).
//!
//! `target` | `source:target` | `source:target:opts`; a single letter followed by `:` is a
//! Windows drive and not split; options `ro`, `rw`, `nocopy` and bind propagations are
//! understood, others ignored. A source starting with `.`, `/`, `~`, `\\` or a drive letter
//! makes a bind mount, any other source a named volume.

use super::types::{ServiceVolumeBind, ServiceVolumeConfig, ServiceVolumeVolume};
use crate::syntax::mounts::PROPAGATIONS;

fn is_windows_drive(buffer: &[char], c: char) -> bool {
    c == ':' && buffer.len() == 1 && buffer[0].is_alphabetic()
}

/// Parses a short volume spec; errors are the CLI's (`invalid spec: <spec>: too many colons`).
pub fn parse_volume(spec: &str) -> Result<ServiceVolumeConfig, String> {
    let mut volume = ServiceVolumeConfig::default();
    match spec.len() {
        0 => return Err("invalid empty volume spec".into()),
        1 | 2 => {
            volume.target = spec.to_string();
            volume.typ = "volume".into();
            return Ok(volume);
        }
        _ => {}
    }
    let mut buffer: Vec<char> = Vec::new();
    let mut chars: Vec<Option<char>> = spec.chars().map(Some).collect();
    chars.push(None); // end of spec
    for c in chars {
        match c {
            Some(ch) if is_windows_drive(&buffer, ch) => buffer.push(ch),
            Some(':') | None => {
                if let Err(e) = populate_field(c, &buffer, &mut volume) {
                    populate_type(&mut volume);
                    return Err(format!("invalid spec: {spec}: {e}"));
                }
                buffer.clear();
            }
            Some(ch) => buffer.push(ch),
        }
    }
    populate_type(&mut volume);
    Ok(volume)
}

fn populate_field(
    c: Option<char>,
    buffer: &[char],
    volume: &mut ServiceVolumeConfig,
) -> Result<(), String> {
    let s: String = buffer.iter().collect();
    if buffer.is_empty() {
        return Err("empty section between colons".into());
    }
    if volume.source.is_empty() && c.is_none() {
        volume.target = s;
        return Ok(());
    }
    if volume.source.is_empty() {
        volume.source = s;
        return Ok(());
    }
    if volume.target.is_empty() {
        volume.target = s;
        return Ok(());
    }
    if c == Some(':') {
        return Err("too many colons".into());
    }
    for option in s.split(',') {
        match option {
            "ro" => volume.read_only = true,
            "rw" => volume.read_only = false,
            "nocopy" => {
                volume.volume = Some(ServiceVolumeVolume {
                    nocopy: true,
                    subpath: String::new(),
                })
            }
            o if PROPAGATIONS.contains(&o) => {
                volume.bind = Some(ServiceVolumeBind {
                    propagation: o.to_string(),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

fn populate_type(volume: &mut ServiceVolumeConfig) {
    volume.typ = if volume.source.is_empty() || !is_file_path(&volume.source) {
        "volume".into()
    } else {
        "bind".into()
    };
}

fn is_file_path(source: &str) -> bool {
    let mut chars = source.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if matches!(first, '.' | '/' | '~') {
        return true;
    }
    let Some(second) = chars.next() else {
        return false;
    };
    if source.starts_with("\\\\") {
        return true;
    }
    is_windows_drive(&[first], second)
}

#[cfg(test)]
mod tests;
