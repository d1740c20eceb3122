//! Image tagging, digest pinning and platforms (STACK_DEPLOY_SPEC 5.5): client-side work the
//! Go client does before every service create/update and bollard does not.
//!
//! The choice per service is pure (`choose`); asking the registry (through the daemon's
//! `GET /distribution/{image}/json`) is `query`, done up front for every image that needs it,
//! in parallel and each bounded by a timeout. When no registry answers (an offline swarm), the
//! tag is kept and the CLI's warning is given.
//!
//! Registry credentials ([`RegistryAuth`]) go with every question, picked by the image's
//! domain. When credentials are known for an image's registry and it still refuses (wrong
//! credentials, no such repository or tag), the deploy is refused before anything changes
//! ([`Queried::refused`]): without credentials such an answer only means the daemon cannot ask.
//!
//! A redeploy of a version from history with its exact images pins services to the references
//! that version recorded ([`Pins`]); those are neither asked about nor changed.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{DistributionInspect, Platform, ServiceSpec};
use serde::Serialize;
use serde_json::Value;

use super::cluster::RunningService;
use crate::compose::convert::LABEL_IMAGE;
use crate::compose::{self, ComposeError, Config, ServicePlan, StackSpec};
use crate::docker::auth::{self, RegistryAuth};

/// `--resolve-image`: when to ask the registry for an image's digest and platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolveImage {
    /// Always (the CLI's default).
    #[default]
    Always,
    /// Only for new services and when the image in the file changed.
    Changed,
    /// Never; an unchanged image keeps the running (possibly pinned) reference.
    Never,
}

impl FromStr for ResolveImage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(ResolveImage::Always),
            "changed" => Ok(ResolveImage::Changed),
            "never" => Ok(ResolveImage::Never),
            other => Err(format!("invalid option {other} for flag --resolve-image")),
        }
    }
}

/// What the registry said about one image.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryImage {
    pub digest: String,
    pub platforms: Vec<Platform>,
}

/// Registry answers by (tagged) image; `None` when no registry answered.
pub type Registry = BTreeMap<String, Option<RegistryImage>>;

/// Exact image references by service name (`app_web` → `reg/app:1@sha256:…`).
pub type Pins = BTreeMap<String, String>;

/// What the registries said: the answers, and the images a registry refused although berth
/// had credentials for it (image → why, in a sentence).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queried {
    pub registry: Registry,
    pub refused: BTreeMap<String, String>,
}

/// The image (and platforms) a service is sent with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chosen {
    pub image: String,
    pub platforms: Option<Vec<Platform>>,
    pub warning: Option<String>,
}

enum Choice {
    Query,
    Tagged,
    Keep(String),
}

fn decide(
    p: &ServicePlan,
    current: Option<&RunningService>,
    mode: ResolveImage,
    pins: &Pins,
) -> Choice {
    if let Some(img) = pins.get(&p.name) {
        return Choice::Keep(img.clone());
    }
    let Some(cur) = current else {
        return match mode {
            ResolveImage::Never => Choice::Tagged,
            _ => Choice::Query,
        };
    };
    let label = cur
        .spec
        .pointer("/Labels")
        .and_then(|l| l.get(LABEL_IMAGE))
        .and_then(Value::as_str);
    let running = cur
        .spec
        .pointer("/TaskTemplate/ContainerSpec/Image")
        .and_then(Value::as_str)
        .map(str::to_string);
    let same = label == Some(p.image.as_str());
    match (mode, same, running) {
        (ResolveImage::Always, _, _) => Choice::Query,
        (_, true, Some(img)) => Choice::Keep(img),
        (ResolveImage::Changed, _, _) => Choice::Query,
        (ResolveImage::Never, _, _) => Choice::Tagged,
    }
}

/// The tagged images the registry must be asked about.
pub fn to_query(
    spec: &StackSpec,
    running: &[RunningService],
    mode: ResolveImage,
    pins: &Pins,
) -> BTreeSet<String> {
    spec.services
        .iter()
        .filter(|p| {
            let cur = running.iter().find(|r| r.name == p.name);
            matches!(decide(p, cur, mode, pins), Choice::Query)
        })
        .map(|p| compose::normalize_image(&p.image))
        .collect()
}

/// The CLI's warning for an image no registry answered for.
pub fn unresolved_warning(image: &str) -> String {
    format!(
        "image {image} could not be accessed on a registry to record\nits digest. Each node will access {image} independently,\npossibly leading to different nodes running different\nversions of the image."
    )
}

pub(crate) fn choose(
    p: &ServicePlan,
    current: Option<&RunningService>,
    mode: ResolveImage,
    registry: &Registry,
    pins: &Pins,
) -> Chosen {
    let tagged = compose::normalize_image(&p.image);
    let plain = |image: String| Chosen {
        image,
        platforms: None,
        warning: None,
    };
    match decide(p, current, mode, pins) {
        // the running platforms stay: dropping them would read as a change (tasks restart)
        Choice::Keep(img) => Chosen {
            platforms: current.and_then(running_platforms),
            ..plain(img)
        },
        Choice::Tagged => plain(tagged),
        Choice::Query => match registry.get(&tagged) {
            Some(Some(r)) => Chosen {
                image: if tagged.contains('@') {
                    tagged
                } else {
                    format!("{tagged}@{}", r.digest)
                },
                platforms: (!r.platforms.is_empty()).then(|| r.platforms.clone()),
                warning: None,
            },
            _ => Chosen {
                warning: Some(unresolved_warning(&tagged)),
                ..plain(tagged)
            },
        },
    }
}

/// The platforms a running service is placed by, if any.
fn running_platforms(cur: &RunningService) -> Option<Vec<Platform>> {
    let p = cur.spec.pointer("/TaskTemplate/Placement/Platforms")?;
    let list: Vec<Platform> = serde_json::from_value(p.clone()).ok()?;
    (!list.is_empty()).then_some(list)
}

/// Puts the chosen image (and platforms) into a spec.
pub(crate) fn apply(spec: &mut ServiceSpec, chosen: &Chosen) {
    let Some(tt) = spec.task_template.as_mut() else {
        return;
    };
    if let Some(cs) = tt.container_spec.as_mut() {
        cs.image = Some(chosen.image.clone());
    }
    if let Some(p) = &chosen.platforms {
        tt.placement.get_or_insert_with(Default::default).platforms = Some(p.clone());
    }
}

/// Digest and platforms from a distribution answer: entries with an `unknown` OS or
/// architecture skipped, `arm` architectures blanked (swarmkit issue 2294), duplicates dropped.
pub fn from_inspect(d: &DistributionInspect) -> Option<RegistryImage> {
    let digest = d.descriptor.digest.clone().filter(|s| !s.is_empty())?;
    let mut platforms: Vec<Platform> = Vec::new();
    for p in &d.platforms {
        let os = p.os.clone().unwrap_or_default();
        let mut arch = p.architecture.clone().unwrap_or_default();
        if os == "unknown" || arch == "unknown" {
            continue;
        }
        if arch.eq_ignore_ascii_case("arm") {
            arch.clear();
        }
        let pf = Platform {
            architecture: Some(arch),
            os: Some(os),
        };
        if !platforms.contains(&pf) {
            platforms.push(pf);
        }
    }
    Some(RegistryImage { digest, platforms })
}

/// How long one registry question may take.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Asks the registry (through the daemon) about every image, in parallel, with the
/// credentials of each image's registry.
pub(crate) async fn query(
    docker: &Docker,
    images: &BTreeSet<String>,
    auth: &RegistryAuth,
) -> Queried {
    let asks = images.iter().map(|img| async move {
        let creds = auth.for_image(img);
        let with_creds = creds.is_some();
        let answer =
            tokio::time::timeout(QUERY_TIMEOUT, docker.inspect_registry_image(img, creds)).await;
        let r = match answer {
            Ok(Ok(d)) => Ok(from_inspect(&d)),
            Ok(Err(e)) if with_creds => Err(auth::refusal(img, &e)),
            _ => Ok(None),
        };
        (img.clone(), r)
    });
    let mut q = Queried::default();
    for (img, r) in futures_util::future::join_all(asks).await {
        match r {
            Ok(answer) => {
                q.registry.insert(img, answer);
            }
            Err(why) => {
                q.refused.insert(img, why);
            }
        }
    }
    q
}

/// The refusals as located problems: one per service using a refused image.
pub(crate) fn refusals(
    spec: &StackSpec,
    cfg: &Config,
    refused: &BTreeMap<String, String>,
) -> Vec<ComposeError> {
    spec.services
        .iter()
        .filter_map(|p| {
            let why = refused.get(&compose::normalize_image(&p.image))?;
            let path = format!("services.{}.image", p.key);
            Some(
                ComposeError::new(why.clone())
                    .at(cfg.locations.find(&path))
                    .with_path(&path),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
