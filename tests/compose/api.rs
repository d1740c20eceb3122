//! The public API of `berth::compose`: locations on errors, file access through a
//! `FileSource`, ID resolution, and every load/convert message of STACK_DEPLOY_SPEC section 7.

use std::collections::BTreeMap;
use std::path::Path;

use berth::compose::{
    self, ComposeError, ComposeFile, LoadOptions, Loaded, MemoryFiles, StackSpec,
};

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load_with(
    text: &str,
    vars: &[(&str, &str)],
    files: &MemoryFiles,
) -> Result<Loaded, ComposeError> {
    let e = env(vars);
    let opts = LoadOptions::new(&e, Path::new("/srv/app"), files);
    compose::load(&[ComposeFile::new("docker-compose.yml", text)], &opts)
}

fn load(text: &str) -> Result<Loaded, ComposeError> {
    load_with(text, &[("HOME", "/home/u")], &MemoryFiles::default())
}

fn convert_with(text: &str, files: &MemoryFiles) -> Result<StackSpec, ComposeError> {
    let e = env(&[("HOME", "/home/u")]);
    let opts = LoadOptions::new(&e, Path::new("/srv/app"), files);
    let loaded = compose::load(&[ComposeFile::new("docker-compose.yml", text)], &opts)?;
    compose::convert("demo", &loaded.config, &opts)
}

fn convert(text: &str) -> Result<StackSpec, ComposeError> {
    convert_with(text, &MemoryFiles::default())
}

fn load_err(text: &str) -> String {
    match load(text) {
        Ok(_) => String::from("(loaded)"),
        Err(e) => e.message,
    }
}

fn convert_err(text: &str) -> String {
    match convert(text) {
        Ok(_) => String::from("(converted)"),
        Err(e) => e.message,
    }
}

const WEB: &str = "services:\n  web:\n    image: nginx\n";

#[test]
fn load_messages_of_the_spec() {
    let e = env(&[]);
    let files = MemoryFiles::default();
    let opts = LoadOptions::new(&e, Path::new("/srv"), &files);
    assert_eq!(
        compose::load(&[], &opts)
            .map_err(|e| e.message)
            .err()
            .as_deref(),
        Some("specify a Compose file (with --compose-file)")
    );
    let cases: &[(&str, &str)] = &[
        ("- a\n", "top-level object must be a mapping"),
        (
            "version: \"2.4\"\n",
            "unsupported Compose file version: 2.4",
        ),
        ("version: 3.8\nservices: {}\n", "version must be a string"),
        (
            "name: x\nservices: {}\n",
            "(root) Additional property name is not allowed",
        ),
        (
            "services:\n  web:\n    image: x\n    pull_policy: always\n",
            "services.web Additional property pull_policy is not allowed",
        ),
        (
            "services:\n  web:\n    image: 3\n",
            "services.web.image must be a string",
        ),
        (
            "services:\n  web:\n    image: x\n    ports: [\"x:80\"]\n",
            "services.web.ports.0 Does not match format 'ports'",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes_from: [db]\n",
            "compose file contains unsupported options:\n\nvolumes_from: To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.\n",
        ),
        (
            "services:\n  web:\n    image: \"$\"\n",
            "invalid interpolation format for services.web.image: \"$\"; you may need to escape any $ with another $",
        ),
        (
            "services:\n  web:\n    image: x\n    tty: ${HOME}\n",
            "error while interpolating services.web.tty: failed to cast to expected type: invalid boolean: /home/u",
        ),
        (
            "services:\n  web: {}\n",
            "invalid image reference for service web: no image specified",
        ),
        (
            "services:\n  web:\n    image: \"a b\"\n",
            "invalid image reference for service web: invalid reference format",
        ),
        (
            "services: {}\nvolumes:\n  v:\n    external: true\n    driver_opts: {a: b}\n",
            "conflicting parameters \"external\" and \"driver_opts\" specified for volume \"v\"",
        ),
        (
            "services: {}\nconfigs:\n  c:\n    name: a\n    external:\n      name: b\n",
            "config c: config.external.name and config.name conflict; only use config.name",
        ),
        (
            "services: {}\nsecrets:\n  s:\n    driver: d\n    file: f\n",
            "secret s: secret.driver and secret.file conflict; only use secret.driver",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes:\n      - type: bind\n        target: /x\n",
            "invalid mount config for type \"bind\": field Source must not be empty",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes: [\"/a:/b:ro:z\"]\n",
            "decoding failed due to the following error(s):\n\nerror decoding 'Volumes[0]': invalid spec: /a:/b:ro:z: too many colons",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(load_err(text), *want, "{text}");
    }
}

#[test]
fn version_mismatch_and_env_file_errors() {
    let e = env(&[]);
    let files = MemoryFiles::default();
    let opts = LoadOptions::new(&e, Path::new("/srv"), &files);
    let a = ComposeFile::new("a.yml", "version: \"3.8\"\nservices: {}\n");
    let b = ComposeFile::new("b.yml", "services: {}\n");
    let err = compose::load(&[a, b], &opts).err();
    assert_eq!(
        err.as_ref().map(|e| e.message.as_str()),
        Some("version mismatched between two composefiles : 3.8 and 3.13")
    );
    assert_eq!(err.and_then(|e| e.file).as_deref(), Some("b.yml"));

    let mut files = MemoryFiles::default();
    files.insert("/srv/app/bad.env", "OK=1\nNOT OK=2\n");
    let err = load_with(
        "services:\n  web:\n    image: x\n    env_file: bad.env\n",
        &[],
        &files,
    )
    .err();
    assert_eq!(
        err.map(|e| e.message),
        Some("invalid env file (/srv/app/bad.env): variable 'NOT OK' contains whitespaces".into())
    );
}

#[test]
fn warnings_of_the_spec() {
    let loaded = load(
        "version: \"3.8\"\nservices:\n  web:\n    image: x\n    restart: always\n    links: [db]\n    container_name: w\n    ports: [\"127.0.0.1:80:80\"]\n    volumes: [\"~/x:/x\"]\nnetworks:\n  n:\n    external:\n      name: real\n",
    );
    let w = loaded.map(|l| l.warnings).unwrap_or_default();
    assert_eq!(
        w,
        [
            "ignoring IP-address (127.0.0.1:80:80/tcp) service will listen on '0.0.0.0'",
            "network n: network.external.name is deprecated in favor of network.name",
            "Ignoring unsupported options: links, restart",
            "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.",
        ]
    );
    let no_home = load_with(
        "services:\n  web:\n    image: x\n    volumes: [\"~/x:/x\"]\n",
        &[],
        &MemoryFiles::default(),
    );
    assert_eq!(
        no_home.map(|l| l.warnings).unwrap_or_default(),
        ["cannot expand '~', because the environment lacks HOME"]
    );
}

#[test]
fn convert_messages_of_the_spec() {
    let cases: &[(&str, &str)] = &[
        (
            "services:\n  web:\n    image: x\n    networks: [n]\n",
            "service web: undefined network \"n\"",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes: [\"data:/v\"]\n",
            "service web: undefined volume \"data\"",
        ),
        (
            "services:\n  web:\n    image: x\n    secrets: [s]\n",
            "service web: undefined secret \"s\"",
        ),
        (
            "services:\n  web:\n    image: x\n    configs: [c]\n",
            "service web: undefined config \"c\"",
        ),
        (
            "services:\n  web:\n    image: x\n    configs:\n      - {source: c, target: /t}\n      - {source: d, target: /t}\nconfigs:\n  c: {external: true}\n  d: {external: true}\n",
            "service web: duplicate config target for d not allowed",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy: {mode: cron}\n",
            "service web: unknown mode: cron",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy: {mode: global-job, replicas: 1}\n",
            "service web: replicas can only be used with replicated or replicated-job mode",
        ),
        (
            "services:\n  web:\n    image: x\n    healthcheck: {test: x, disable: true}\n",
            "service web: test and disable can't be set at the same time",
        ),
        (
            "services:\n  web:\n    image: x\n    restart: \"on-failure:x\"\n",
            "service web: invalid restart policy format: maximum retry count must be an integer",
        ),
        (
            "services:\n  web:\n    image: x\n    restart: \":1\"\n",
            "service web: invalid restart policy format: no policy provided before colon",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy: {resources: {reservations: {cpus: \"x\"}}}\n",
            "service web: failed to parse x as a rational number",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy: {resources: {limits: {cpus: \"0.0000000005\"}}}\n",
            "service web: value is too precise",
        ),
        (
            "services:\n  web:\n    image: x\n    credential_spec: {file: a, registry: b}\n",
            "service web: invalid credential spec: cannot specify both \"File\" and \"Registry\"",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes:\n      - {type: tmpfs, target: /t, volume: {nocopy: true}}\n",
            "service web: volume options are incompatible with type tmpfs",
        ),
        (
            "services:\n  web:\n    image: x\n    volumes:\n      - {type: foo, target: /t}\n",
            "service web: volume type must be volume, bind, tmpfs, npipe, or cluster",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(convert_err(text), *want, "{text}");
    }
    assert_eq!(
        compose::validate_stack_name(" '\" ")
            .err()
            .map(|e| e.message),
        Some("invalid stack name: \" '\\\" \"".into())
    );
    assert_eq!(
        compose::validate_stack_name("web").ok().as_deref(),
        Some("web")
    );
}

#[test]
fn errors_point_at_file_line_column_and_path() {
    let err = load("services:\n  web:\n    image: x\n    deploy:\n      replicas: \"3\"\n").err();
    let err = err.expect("fails");
    assert_eq!(err.file.as_deref(), Some("docker-compose.yml"));
    assert_eq!((err.line, err.column), (Some(5), Some(17)));
    assert_eq!(err.path.as_deref(), Some("services.web.deploy.replicas"));
    assert_eq!(
        err.to_string(),
        "docker-compose.yml:5:17: services.web.deploy.replicas must be a integer"
    );
    // an additional property points at its key
    let err = load(&format!("{WEB}    platform: linux\n")).expect_err("fails");
    assert_eq!((err.line, err.column), (Some(4), Some(5)));
    assert_eq!(err.path.as_deref(), Some("services.web.platform"));
    // a missing required property points at its parent
    let err = load(&format!("{WEB}    volumes:\n      - target: /x\n")).expect_err("fails");
    assert_eq!((err.line, err.column), (Some(5), Some(9)));
    assert_eq!(err.path.as_deref(), Some("services.web.volumes.0.type"));
    // YAML syntax errors have a position too
    let err = load("services:\n  web: [\n").expect_err("fails");
    assert!(
        err.line.is_some() && err.message.starts_with("yaml: line"),
        "{err}"
    );
}

#[test]
fn in_memory_deploys_report_missing_files_where_they_are_named() {
    let err = convert(&format!("{WEB}    env_file: .env\n")).expect_err("fails");
    assert_eq!(err.message, "open /srv/app/.env: no such file or directory");
    assert_eq!((err.line, err.column), (Some(4), Some(15)));
    let err = convert(&format!("{WEB}secrets:\n  s:\n    file: ./s.txt\n")).expect_err("fails");
    assert_eq!(
        err.message,
        "open /srv/app/s.txt: no such file or directory"
    );
    assert_eq!(err.path.as_deref(), Some("secrets.s"));
    assert_eq!((err.line, err.column), (Some(5), Some(3)));
    // a secret without `file:` reads the working directory itself
    let mut files = MemoryFiles::default();
    files.insert("/srv/app/s.txt", "x");
    let err = convert_with(&format!("{WEB}secrets:\n  s: {{}}\n"), &files).expect_err("fails");
    assert_eq!(err.message, "read /srv/app: is a directory");
    // with the file present it converts
    let spec = convert_with(&format!("{WEB}secrets:\n  s:\n    file: ./s.txt\n"), &files);
    assert_eq!(
        spec.map(|s| s.secrets[0].spec.data.clone())
            .ok()
            .flatten()
            .as_deref(),
        Some("eA==")
    );
}

#[test]
fn ids_are_resolved_after_the_objects_exist() {
    let text = "services:\n  web:\n    image: x\n    secrets: [s]\n    configs: [c]\n    credential_spec: {config: c}\nsecrets:\n  s: {external: true}\nconfigs:\n  c: {name: cred, external: true}\n";
    let spec = convert(text).expect("converts");
    let mut plan = spec.services[0].clone();
    assert_eq!(plan.secret_names, ["s"]);
    assert_eq!(plan.config_names, ["cred"]);
    let missing = plan.clone().resolve_ids(&|_| None, &|_| None).err();
    assert_eq!(
        missing.map(|e| e.message),
        Some("service web: secret not found: s".into())
    );
    let missing = plan
        .clone()
        .resolve_ids(&|_| Some("sid".into()), &|_| None)
        .err();
    assert_eq!(
        missing.map(|e| e.message),
        Some("service web: config not found: cred".into())
    );
    plan.resolve_ids(&|n| Some(format!("id-{n}")), &|n| Some(format!("id-{n}")))
        .expect("resolves");
    let cs = plan
        .spec
        .task_template
        .and_then(|t| t.container_spec)
        .expect("container spec");
    assert_eq!(
        cs.secrets.expect("secrets")[0].secret_id.as_deref(),
        Some("id-s")
    );
    let configs = cs.configs.expect("configs");
    assert_eq!(configs.len(), 2, "file ref + credential-spec runtime ref");
    assert!(
        configs
            .iter()
            .all(|c| c.config_id.as_deref() == Some("id-cred"))
    );
    let cred = cs
        .privileges
        .and_then(|p| p.credential_spec)
        .expect("cred spec");
    assert_eq!(cred.config.as_deref(), Some("id-cred"));
}

#[test]
fn skip_interpolation_keeps_templates() {
    let e = env(&[("TAG", "1")]);
    let files = MemoryFiles::default();
    let opts = LoadOptions {
        skip_interpolation: true,
        ..LoadOptions::new(&e, Path::new("/srv"), &files)
    };
    let loaded = compose::load_config(
        &[ComposeFile::new(
            "a.yml",
            "services:\n  web:\n    image: nginx:${TAG}\n",
        )],
        &opts,
    )
    .expect("loads");
    assert_eq!(
        compose::config_yaml(&loaded.config),
        "version: \"3.13\"\nservices:\n  web:\n    image: nginx:${TAG}\n"
    );
}

#[test]
fn images_are_tagged_like_the_client() {
    assert_eq!(compose::normalize_image("nginx"), "nginx:latest");
    assert_eq!(
        compose::normalize_image("docker.io/library/nginx:1"),
        "nginx:1"
    );
    assert_eq!(
        compose::normalize_image("ghcr.io/a/b"),
        "ghcr.io/a/b:latest"
    );
    assert_eq!(compose::normalize_image("not a ref"), "not a ref");
}

#[test]
fn stack_spec_names_and_labels() {
    let spec = convert(
        "services:\n  web:\n    image: nginx\n    deploy: {labels: {a: b}}\n    labels: {c: d}\n    networks: [front]\nnetworks:\n  front: {name: shared}\nvolumes:\n  v: {}\n",
    )
    .expect("converts");
    assert_eq!(spec.networks.len(), 1);
    assert_eq!(spec.networks[0].name, "shared");
    let svc = &spec.services[0];
    assert_eq!(svc.name, "demo_web");
    assert_eq!(svc.image, "nginx");
    let labels = svc.spec.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("com.docker.stack.namespace").map(String::as_str),
        Some("demo")
    );
    assert_eq!(
        labels.get("com.docker.stack.image").map(String::as_str),
        Some("nginx")
    );
    assert_eq!(labels.get("a").map(String::as_str), Some("b"));
    let nets = svc
        .spec
        .task_template
        .as_ref()
        .and_then(|t| t.networks.clone())
        .unwrap_or_default();
    assert_eq!(nets[0].target.as_deref(), Some("shared"));
    assert_eq!(nets[0].aliases.as_deref(), Some(&["web".to_string()][..]));
}
