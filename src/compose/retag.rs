//! Changing the tag of an image in a compose file's text, for a deploy webhook's `image=`:
//! every service whose image (after `${VAR}` substitution) names the same repository gets the
//! new reference written in place of its `image:` value. The rest of the text — comments,
//! order, other services — stays as it was, so the stored version reads like its author's.

use std::collections::BTreeMap;

use super::interpolate::substitute_within;
use super::limits;
use super::yaml::{self, Kind};
use crate::syntax::reference::{self, Named};

/// What [`retag`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retagged {
    /// The compose text with the new image references.
    pub compose: String,
    /// The services whose image changed, in file order.
    pub services: Vec<String>,
}

/// Rewrites the `image:` of every service whose repository is `image`'s to `image`.
/// `image` must carry a tag or a digest (`repo:tag`, `repo@sha256:…`).
pub fn retag(
    compose: &str,
    env: &BTreeMap<String, String>,
    image: &str,
) -> Result<Retagged, String> {
    let wanted = parse_target(image)?;
    retag_one(compose, env, &wanted, image)?
        .ok_or_else(|| format!("no service of this stack runs an image of {image}"))
}

/// [`retag`] over a stack's compose files in merge order (the first file, then the ones merged
/// on top, as `docker stack deploy -c a -c b`): each file that names the repository is rewritten
/// (a tag set in an override is changed there too, so it cannot win over the new one), the
/// others stay as they are. An error when no file names it.
pub fn retag_files(
    files: &[&str],
    env: &BTreeMap<String, String>,
    image: &str,
) -> Result<Vec<Retagged>, String> {
    let wanted = parse_target(image)?;
    let mut out = Vec::with_capacity(files.len());
    let mut any = false;
    for (i, text) in files.iter().enumerate() {
        // an override file may set no service at all
        let edited = if i > 0 && text.trim().is_empty() {
            None
        } else {
            retag_one(text, env, &wanted, image)?
        };
        any |= edited.is_some();
        out.push(edited.unwrap_or_else(|| Retagged {
            compose: text.to_string(),
            services: Vec::new(),
        }));
    }
    if !any {
        return Err(format!("no service of this stack runs an image of {image}"));
    }
    Ok(out)
}

/// One file's rewrite; `None` when no service of it runs `wanted`'s repository.
fn retag_one(
    compose: &str,
    env: &BTreeMap<String, String>,
    wanted: &Named,
    image: &str,
) -> Result<Option<Retagged>, String> {
    let root = yaml::parse(compose)
        .map_err(|e| format!("the stored compose file cannot be read: {e}"))?
        .ok_or("the stored compose file is empty")?;
    let Some(services) = root.get("services").and_then(|s| s.as_map()) else {
        return Ok(None);
    };
    let lookup = |k: &str| env.get(k).cloned();
    // (line, column, service) of each image value to replace
    let mut edits: Vec<(u32, u32, String)> = Vec::new();
    for entry in services {
        let Some(node) = entry.value.get("image") else {
            continue;
        };
        let Kind::Str(raw) = &node.kind else { continue };
        let Ok(value) = substitute_within(raw, &lookup, limits::MAX_INTERPOLATED_VALUE) else {
            continue;
        };
        if reference::parse_normalized_named(&value).is_ok_and(|n| same_repository(&n, wanted)) {
            edits.push((node.pos.line, node.pos.column, entry.key.clone()));
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let mut lines: Vec<String> = compose.split('\n').map(str::to_string).collect();
    // right to left: an edit never moves the position of one still to make
    let mut order: Vec<&(u32, u32, String)> = edits.iter().collect();
    order.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    for (line, column, service) in order {
        let text = lines
            .get_mut(*line as usize - 1)
            .ok_or_else(|| format!("the image of service {service} could not be found"))?;
        *text = replace_scalar(text, *column as usize - 1, image)
            .ok_or_else(|| format!("the image of service {service} cannot be rewritten in place (an image on several lines?)"))?;
    }
    let out = lines.join("\n");
    verify(&out, env, &edits, image)?;
    Ok(Some(Retagged {
        compose: out,
        services: edits.into_iter().map(|(_, _, s)| s).collect(),
    }))
}

/// The reference a hook was given: a valid name with a tag or a digest.
fn parse_target(image: &str) -> Result<Named, String> {
    let named = reference::parse_normalized_named(image)
        .map_err(|e| format!("image={image:?} is not an image reference: {e}"))?;
    if named.tag.is_none() && named.digest.is_none() {
        return Err(format!(
            "image={image:?} names no tag: give one, e.g. {image}:1.2"
        ));
    }
    Ok(named)
}

fn same_repository(a: &Named, b: &Named) -> bool {
    a.domain == b.domain && a.path == b.path
}

/// `line` with the scalar starting at character `column` replaced by `with` (quoted as it
/// was). `None` when the scalar does not end on this line.
fn replace_scalar(line: &str, column: usize, with: &str) -> Option<String> {
    let start = line.char_indices().nth(column).map(|(i, _)| i)?;
    let rest = &line[start..];
    let end = match rest.chars().next()? {
        '"' => closing(rest, '"')?,
        '\'' => closing(rest, '\'')?,
        '|' | '>' => return None,
        _ => plain_end(rest),
    };
    let quoted = match rest.chars().next()? {
        q @ ('"' | '\'') => format!("{q}{with}{q}"),
        _ => with.to_string(),
    };
    Some(format!("{}{quoted}{}", &line[..start], &rest[end..]))
}

/// The byte just past the closing quote of a quoted scalar (`''` and `\"` do not close).
fn closing(s: &str, q: char) -> Option<usize> {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if q == '"' && c == '\\' {
            chars.next();
        } else if c == q {
            if q == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                chars.next();
                continue;
            }
            return Some(i + 1);
        }
    }
    None
}

/// Where a plain scalar ends: a comment (` #`), a flow indicator outside `${…}`, or the line's
/// end; trailing blanks are not part of it.
fn plain_end(s: &str) -> usize {
    let mut depth = 0usize;
    let mut prev = ' ';
    let mut end = s.len();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '$' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                depth += 1;
                chars.next();
                prev = '{';
                continue;
            }
            '}' if depth > 0 => depth -= 1,
            '#' if prev.is_whitespace() => {
                end = i;
                break;
            }
            ',' | '}' | ']' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
        prev = c;
    }
    s[..end].trim_end().len()
}

/// The rewritten file must read as intended: the edited services run `image`, the others
/// what they ran before.
fn verify(
    compose: &str,
    env: &BTreeMap<String, String>,
    edits: &[(u32, u32, String)],
    image: &str,
) -> Result<(), String> {
    let failed = || "the compose file could not be rewritten safely".to_string();
    let root = yaml::parse(compose)
        .map_err(|_| failed())?
        .ok_or_else(failed)?;
    let services = root
        .get("services")
        .and_then(|s| s.as_map())
        .ok_or_else(failed)?;
    let lookup = |k: &str| env.get(k).cloned();
    for entry in services {
        if edits.iter().any(|(_, _, s)| *s == entry.key) {
            let value = entry.value.get("image").and_then(|n| n.as_str());
            let value = value
                .and_then(|v| substitute_within(v, &lookup, limits::MAX_INTERPOLATED_VALUE).ok());
            if value.as_deref() != Some(image) {
                return Err(failed());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn services_running_the_repository_get_the_new_tag_and_nothing_else_changes() {
        let text = "\
# production
services:
  web:
    image: registry.example.com/shop/web:1.0 # pinned
    deploy: {replicas: 2}
  worker:
    image: \"registry.example.com/shop/web:1.0\"
  db:
    image: postgres:16
";
        let r = retag(text, &env(&[]), "registry.example.com/shop/web:1.1").unwrap();
        assert_eq!(r.services, ["web", "worker"]);
        assert_eq!(
            r.compose,
            text.replace("shop/web:1.0 # pinned", "shop/web:1.1 # pinned")
                .replace(
                    "\"registry.example.com/shop/web:1.0\"",
                    "\"registry.example.com/shop/web:1.1\""
                )
        );
    }

    #[test]
    fn official_images_match_in_any_spelling_and_variables_are_resolved() {
        let text = "services:\n  a:\n    image: busybox\n  b:\n    image: docker.io/library/busybox:${TAG}\n  c: {image: 'busybox:1', init: true}\n";
        let r = retag(text, &env(&[("TAG", "1")]), "busybox:2").unwrap();
        assert_eq!(r.services, ["a", "b", "c"]);
        assert_eq!(
            r.compose,
            "services:\n  a:\n    image: busybox:2\n  b:\n    image: busybox:2\n  c: {image: 'busybox:2', init: true}\n"
        );
    }

    #[test]
    fn every_file_of_a_stack_that_names_the_repository_is_rewritten_and_the_others_kept() {
        let base = "services:\n  web:\n    image: shop/web:1.0\n  db:\n    image: postgres:16\n";
        let tag_override =
            "services:\n  web:\n    image: shop/web:1.0-prod\n    deploy: {replicas: 3}\n";
        let no_image = "services:\n  db:\n    deploy: {replicas: 1}\n";
        let networks_only = "networks:\n  front: {}\n";
        let r = retag_files(
            &[base, tag_override, no_image, networks_only, ""],
            &env(&[]),
            "shop/web:1.1",
        )
        .unwrap();
        let texts: Vec<&str> = r.iter().map(|f| f.compose.as_str()).collect();
        assert_eq!(
            texts,
            [
                base.replace("shop/web:1.0", "shop/web:1.1").as_str(),
                tag_override
                    .replace("shop/web:1.0-prod", "shop/web:1.1")
                    .as_str(),
                no_image,
                networks_only,
                "",
            ]
        );
        assert_eq!(r[1].services, ["web"]);
        // only an override names it: still a change
        let only_override =
            retag_files(&[no_image, tag_override], &env(&[]), "shop/web:2").unwrap();
        assert_eq!(only_override[0].compose, no_image);
        assert!(only_override[1].compose.contains("image: shop/web:2"));
        assert!(
            retag_files(&[base, no_image], &env(&[]), "nginx:1")
                .unwrap_err()
                .contains("no service")
        );
        assert!(retag_files(&[base, "services: ["], &env(&[]), "shop/web:2").is_err());
    }

    #[test]
    fn a_reference_without_tag_or_a_repository_no_service_runs_is_refused() {
        let text = "services:\n  a:\n    image: busybox:1\n";
        assert!(
            retag(text, &env(&[]), "busybox")
                .unwrap_err()
                .contains("no tag")
        );
        assert!(
            retag(text, &env(&[]), "nginx:1")
                .unwrap_err()
                .contains("no service")
        );
        assert!(
            retag(text, &env(&[]), "Not A Ref:1")
                .unwrap_err()
                .contains("not an image reference")
        );
    }

    #[test]
    fn a_block_scalar_image_is_rewritten_on_its_content_line() {
        let text = "services:\n  a:\n    image: >-\n      busybox:1\n";
        let r = retag(text, &env(&[]), "busybox:2").unwrap();
        assert_eq!(
            r.compose,
            "services:\n  a:\n    image: >-\n      busybox:2\n"
        );
    }
}
