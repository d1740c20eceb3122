use bollard::models::{OciDescriptor, OciPlatform};
use serde_json::json;

use super::*;

fn plan(image: &str) -> ServicePlan {
    ServicePlan {
        key: "web".into(),
        name: "app_web".into(),
        image: image.into(),
        spec: ServiceSpec::default(),
        secret_names: vec![],
        config_names: vec![],
    }
}

fn running(label: &str, image: &str) -> RunningService {
    RunningService {
        id: "id1".into(),
        version: 7,
        name: "app_web".into(),
        update_started: None,
        spec: json!({
            "Labels": {"com.docker.stack.image": label},
            "TaskTemplate": {"ContainerSpec": {"Image": image}}
        }),
    }
}

fn answered(image: &str) -> Registry {
    let mut r = Registry::new();
    r.insert(
        image.into(),
        Some(RegistryImage {
            digest: "sha256:abc".into(),
            platforms: vec![Platform {
                architecture: Some("amd64".into()),
                os: Some("linux".into()),
            }],
        }),
    );
    r
}

#[test]
fn the_mode_decides_who_is_asked() {
    let pinned = running("nginx", "nginx:latest@sha256:old");
    // create: ask unless never
    let c = choose(
        &plan("nginx"),
        None,
        ResolveImage::Never,
        &Registry::new(),
        &Pins::new(),
    );
    assert_eq!((c.image.as_str(), c.warning), ("nginx:latest", None));
    let c = choose(
        &plan("nginx"),
        None,
        ResolveImage::Changed,
        &answered("nginx:latest"),
        &Pins::new(),
    );
    assert_eq!(c.image, "nginx:latest@sha256:abc");
    assert_eq!(c.platforms.map(|p| p.len()), Some(1));
    // update, same image in the file: changed/never keep the running (pinned) reference
    for mode in [ResolveImage::Changed, ResolveImage::Never] {
        let c = choose(
            &plan("nginx"),
            Some(&pinned),
            mode,
            &Registry::new(),
            &Pins::new(),
        );
        assert_eq!(c.image, "nginx:latest@sha256:old");
        assert_eq!(c.warning, None);
    }
    // update, always: ask again
    let c = choose(
        &plan("nginx"),
        Some(&pinned),
        ResolveImage::Always,
        &answered("nginx:latest"),
        &Pins::new(),
    );
    assert_eq!(c.image, "nginx:latest@sha256:abc");
    // update, image changed in the file
    let c = choose(
        &plan("nginx:1.27"),
        Some(&pinned),
        ResolveImage::Never,
        &Registry::new(),
        &Pins::new(),
    );
    assert_eq!(c.image, "nginx:1.27");
    let c = choose(
        &plan("nginx:1.27"),
        Some(&pinned),
        ResolveImage::Changed,
        &Registry::new(),
        &Pins::new(),
    );
    assert_eq!(c.image, "nginx:1.27");
    assert!(
        c.warning.is_some(),
        "no registry answered: the tag is kept, with a warning"
    );
}

#[test]
fn without_a_registry_the_tag_is_kept_with_the_clis_warning() {
    let mut r = Registry::new();
    r.insert("berth-test/busybox:1".into(), None);
    let c = choose(
        &plan("berth-test/busybox:1"),
        None,
        ResolveImage::Always,
        &r,
        &Pins::new(),
    );
    assert_eq!(c.image, "berth-test/busybox:1");
    assert_eq!(c.platforms, None);
    assert_eq!(
        c.warning.as_deref(),
        Some(
            "image berth-test/busybox:1 could not be accessed on a registry to record\nits digest. Each node will access berth-test/busybox:1 independently,\npossibly leading to different nodes running different\nversions of the image."
        )
    );
}

#[test]
fn only_images_that_need_asking_are_queried() {
    let spec = StackSpec {
        namespace: "app".into(),
        networks: vec![],
        secrets: vec![],
        configs: vec![],
        services: vec![plan("nginx"), {
            let mut p = plan("redis:7");
            p.key = "cache".into();
            p.name = "app_cache".into();
            p
        }],
    };
    let run = vec![running("nginx", "nginx:latest@sha256:old")];
    let q: Vec<String> = to_query(&spec, &run, ResolveImage::Changed, &Pins::new())
        .into_iter()
        .collect();
    assert_eq!(q, vec!["redis:7".to_string()]);
    assert!(to_query(&spec, &run, ResolveImage::Never, &Pins::new()).is_empty());
    assert_eq!(
        to_query(&spec, &run, ResolveImage::Always, &Pins::new()).len(),
        2
    );
}

#[test]
fn platforms_are_cleaned_like_the_cli() {
    let p = |os: &str, arch: &str| OciPlatform {
        os: Some(os.into()),
        architecture: Some(arch.into()),
        ..Default::default()
    };
    let d = DistributionInspect {
        descriptor: OciDescriptor {
            digest: Some("sha256:d".into()),
            ..Default::default()
        },
        platforms: vec![
            p("linux", "amd64"),
            p("linux", "ARM"),
            p("linux", "arm"),
            p("unknown", "unknown"),
            p("linux", "amd64"),
        ],
    };
    let r = from_inspect(&d).unwrap();
    assert_eq!(r.digest, "sha256:d");
    let got: Vec<(String, String)> = r
        .platforms
        .iter()
        .map(|p| (p.os.clone().unwrap(), p.architecture.clone().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("linux".into(), "amd64".into()),
            ("linux".into(), "".into())
        ]
    );
}

#[test]
fn resolve_modes_parse_with_the_clis_error() {
    assert_eq!("changed".parse::<ResolveImage>(), Ok(ResolveImage::Changed));
    assert_eq!(
        "sometimes".parse::<ResolveImage>(),
        Err("invalid option sometimes for flag --resolve-image".into())
    );
}

#[test]
fn a_kept_or_pinned_image_keeps_the_running_platforms() {
    let mut cur = running("reg:5000/app:1", "reg:5000/app:1@sha256:old");
    cur.spec["TaskTemplate"]["Placement"] =
        json!({"Platforms": [{"Architecture": "amd64", "OS": "linux"}]});
    let amd64 = Some(vec![Platform {
        architecture: Some("amd64".into()),
        os: Some("linux".into()),
    }]);
    let c = choose(
        &plan("reg:5000/app:1"),
        Some(&cur),
        ResolveImage::Changed,
        &Registry::new(),
        &Pins::new(),
    );
    assert_eq!(c.image, "reg:5000/app:1@sha256:old");
    assert_eq!(c.platforms, amd64);
    let pins = Pins::from([(
        "app_web".to_string(),
        "reg:5000/app:1@sha256:v1".to_string(),
    )]);
    let c = choose(
        &plan("reg:5000/app:1"),
        Some(&cur),
        ResolveImage::Always,
        &answered("reg:5000/app:1"),
        &pins,
    );
    assert_eq!(
        c.image, "reg:5000/app:1@sha256:v1",
        "a pin is neither asked about nor changed"
    );
    assert_eq!(c.platforms, amd64);
    assert!(
        to_query(
            &StackSpec {
                namespace: "app".into(),
                networks: vec![],
                secrets: vec![],
                configs: vec![],
                services: vec![plan("reg:5000/app:1")],
            },
            &[cur],
            ResolveImage::Always,
            &pins
        )
        .is_empty()
    );
}
