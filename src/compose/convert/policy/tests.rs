use super::*;

fn caps(add: &[&str], drop: &[&str]) -> (Vec<String>, Vec<String>) {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    effective_caps(&s(add), &s(drop))
}

#[test]
fn capabilities_are_normalised() {
    assert_eq!(
        caps(&["net_admin", " CAP_SYS_TIME "], &["chown"]),
        (
            vec!["CAP_NET_ADMIN".to_string(), "CAP_SYS_TIME".to_string()],
            vec!["CAP_CHOWN".to_string()]
        )
    );
    assert_eq!(
        caps(&["ALL", "NET_ADMIN"], &["NET_ADMIN", "RESET"]),
        (vec!["ALL".to_string()], vec!["CAP_NET_ADMIN".to_string()])
    );
    assert_eq!(
        caps(&["NET_ADMIN"], &["net_admin", "x"]),
        (vec!["CAP_NET_ADMIN".to_string()], vec!["CAP_X".to_string()])
    );
}

fn restart(r: &str) -> Result<Option<TaskSpecRestartPolicy>, String> {
    let svc = ServiceConfig {
        restart: r.into(),
        ..ServiceConfig::default()
    };
    restart_policy(&svc)
}

#[test]
fn restart_fallback() {
    assert_eq!(restart(""), Ok(None));
    assert_eq!(restart("no"), Ok(None));
    assert_eq!(
        restart("always").map(|p| p.and_then(|p| p.condition)),
        Ok(Some(TaskSpecRestartPolicyConditionEnum::ANY))
    );
    let p = restart("on-failure:3").ok().flatten().unwrap_or_default();
    assert_eq!(
        p.condition,
        Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
    );
    assert_eq!(p.max_attempts, Some(3));
    let p = restart("on-failure").ok().flatten().unwrap_or_default();
    assert_eq!(p.max_attempts, None);
    assert_eq!(
        restart(":3"),
        Err("invalid restart policy format: no policy provided before colon".into())
    );
    assert_eq!(
        restart("on-failure:x"),
        Err("invalid restart policy format: maximum retry count must be an integer".into())
    );
    assert_eq!(
        restart("on-failure:-1"),
        Err("invalid restart policy: maximum retry count cannot be negative".into())
    );
    assert_eq!(
        restart("sometimes"),
        Err("invalid restart policy: unknown policy 'sometimes' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')".into())
    );
}
