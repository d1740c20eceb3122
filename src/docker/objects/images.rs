//! A node's images: list (size, the containers using each, dangling or not), remove one
//! (refused while a container uses it, naming the containers), prune the dangling ones.
//! The berth agent runs these against its node's Docker; berth against the manager's own.

use std::collections::HashMap;

use bollard::Docker;
use bollard::query_parameters::{ListImagesOptions, PruneImagesOptions, RemoveImageOptions};
use serde::{Deserialize, Serialize};

use super::all_containers;
use crate::docker::DockerError;

/// Most images listed for one node.
pub const MAX_IMAGES: usize = 2000;

/// One image of a node, with the containers (running or not) created from it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ImageRow {
    /// `sha256:…`
    pub id: String,
    pub tags: Vec<String>,
    pub size: i64,
    /// Unix seconds
    pub created: i64,
    pub containers: Vec<String>,
    /// no tag names it
    pub dangling: bool,
}

impl ImageRow {
    pub fn in_use(&self) -> bool {
        !self.containers.is_empty()
    }

    /// The image's name for a page: its first tag, or its short id.
    pub fn label(&self) -> String {
        self.tags
            .first()
            .cloned()
            .unwrap_or_else(|| short(&self.id))
    }
}

/// `sha256:0123456789ab…` → `0123456789ab`.
pub fn short(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

/// What a prune freed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Pruned {
    pub removed: usize,
    pub reclaimed: i64,
}

/// An image id as berth takes it from a form: `sha256:` and 64 hex digits.
pub fn check_id(id: &str) -> Result<(), String> {
    let hex = id.strip_prefix("sha256:").unwrap_or("");
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err("An image is named by its id, sha256: and 64 hex digits.".into())
    }
}

fn first_name(names: &Option<Vec<String>>) -> String {
    names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_default()
}

/// The node's images (newest first), each with the containers created from it.
pub async fn list(docker: &Docker) -> Result<Vec<ImageRow>, DockerError> {
    let (images, containers) = tokio::try_join!(
        async {
            docker
                .list_images(Some(ListImagesOptions::default()))
                .await
                .map_err(DockerError::from)
        },
        all_containers(docker),
    )?;
    let mut used: HashMap<String, Vec<String>> = HashMap::new();
    for c in &containers {
        if let Some(img) = &c.image_id {
            used.entry(img.clone())
                .or_default()
                .push(first_name(&c.names));
        }
    }
    let mut rows: Vec<ImageRow> = images
        .into_iter()
        .take(MAX_IMAGES)
        .map(|i| {
            let tags: Vec<String> = i
                .repo_tags
                .into_iter()
                .filter(|t| t != "<none>:<none>")
                .collect();
            let mut containers = used.remove(&i.id).unwrap_or_default();
            containers.sort();
            ImageRow {
                dangling: tags.is_empty(),
                id: i.id,
                tags,
                size: i.size,
                created: i.created,
                containers,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    Ok(rows)
}

/// Why a removal did not happen, in words for a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Refused {
    /// containers use it (their names)
    InUse(Vec<String>),
    NotFound,
    Docker(String),
}

impl Refused {
    pub fn message(&self, what: &str) -> String {
        match self {
            Refused::InUse(c) => format!(
                "{what} is in use by {}: {}. Remove {} first.",
                if c.len() == 1 {
                    "one container"
                } else {
                    "these containers"
                },
                c.join(", "),
                if c.len() == 1 { "it" } else { "them" }
            ),
            Refused::NotFound => format!("{what} is not on this node."),
            Refused::Docker(m) => m.clone(),
        }
    }
}

/// Removes the image `id` with every tag naming it, unless a container (running or not) was
/// created from it. Docker itself refuses an image a container uses (no force), so a
/// container made between the look and the removal is still protected.
pub async fn remove(docker: &Docker, id: &str) -> Result<(), Refused> {
    check_id(id).map_err(Refused::Docker)?;
    let rows = list(docker)
        .await
        .map_err(|e| Refused::Docker(e.user_message()))?;
    let Some(row) = rows.iter().find(|r| r.id == id) else {
        return Err(Refused::NotFound);
    };
    if row.in_use() {
        return Err(Refused::InUse(row.containers.clone()));
    }
    let opts = || RemoveImageOptions {
        force: false,
        noprune: false,
        platforms: None,
    };
    // an image with several tags is removed tag by tag (Docker refuses its id otherwise)
    let refs: Vec<String> = if row.tags.len() > 1 {
        row.tags.clone()
    } else {
        vec![id.to_string()]
    };
    for r in refs {
        if let Err(e) = docker.remove_image(&r, Some(opts()), None).await {
            let e = DockerError::from(e);
            return Err(match e {
                DockerError::NotFound(_) => Refused::NotFound,
                e => Refused::Docker(e.user_message()),
            });
        }
    }
    Ok(())
}

/// Removes every dangling image (no tag, no container): Docker's own `image prune`.
pub async fn prune(docker: &Docker) -> Result<Pruned, DockerError> {
    let mut filters = HashMap::new();
    filters.insert("dangling".to_string(), vec!["true".to_string()]);
    let r = docker
        .prune_images(Some(PruneImagesOptions {
            filters: Some(filters),
        }))
        .await?;
    Ok(Pruned {
        removed: r
            .images_deleted
            .unwrap_or_default()
            .iter()
            .filter(|d| d.deleted.is_some())
            .count(),
        reclaimed: r.space_reclaimed.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_from_forms_are_full_sha256_ids() {
        let id = format!("sha256:{}", "ab".repeat(32));
        assert!(check_id(&id).is_ok());
        for bad in [
            "",
            "busybox",
            "sha256:abc",
            &format!("sha256:{}", "zz".repeat(32)),
            &"ab".repeat(32),
            "../../containers",
        ] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert_eq!(short(&id), "abababababab");
    }

    #[test]
    fn an_in_use_refusal_names_the_containers() {
        let r = Refused::InUse(vec!["web.1.x".into(), "web.2.y".into()]);
        assert_eq!(
            r.message("The image busybox:1"),
            "The image busybox:1 is in use by these containers: web.1.x, web.2.y. Remove them first."
        );
    }
}
