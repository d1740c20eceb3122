//! Files the swarm must never see: every error is located in the file, and nothing of the
//! stack exists afterwards (no network, secret, config or service with its label).

use berth::stack::{self, StackError};

use super::support::*;
use crate::harness::{lab, unique};

/// A stack with something of every kind, so that "nothing created" means something.
const TAIL: &str = "  db:
    image: berth-test/busybox:1
    networks: [back]
    secrets: [token]
    configs: [settings]
networks:
  back:
NETWORKS
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.conf
";

const FILES: &[(&str, &str)] = &[("token.txt", "t"), ("settings.conf", "s")];

struct Case {
    what: &'static str,
    head: &'static str,
    /// More top-level networks.
    networks: &'static str,
    /// `file:line:column: message` expected (start of the text).
    error: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "broken YAML",
        head: "services:\n  web:\n    image: [berth-test/busybox:1\n",
        networks: "",
        error: "stack.yml:4:",
    },
    Case {
        what: "an unknown key",
        head: "services:\n  web:\n    image: berth-test/busybox:1\n    replica: 2\n",
        networks: "",
        error: "stack.yml:4:5: services.web Additional property replica is not allowed",
    },
    Case {
        what: "a wrong type",
        head: "services:\n  web:\n    image: berth-test/busybox:1\n    deploy:\n      replicas: many\n",
        networks: "",
        error: "stack.yml:5:17: services.web.deploy.replicas must be a integer",
    },
    Case {
        what: "a missing required variable",
        head: "services:\n  web:\n    image: berth-test/busybox:${TAG:?set TAG}\n",
        networks: "",
        error: "stack.yml:3:12: invalid interpolation format for services.web.image: \"required variable TAG is missing a value: set TAG\"",
    },
    Case {
        what: "an unknown external network",
        head: "services:\n  web:\n    image: berth-test/busybox:1\n    networks: [outside, back]\n",
        networks: "  outside:\n    external: true\n    name: berth-no-such-network\n",
        error: "stack.yml:12:3: network \"berth-no-such-network\" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed",
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_files_give_a_located_error_and_create_nothing() {
    let lab = lab("one");
    let host = lab.manager_host();
    let e = engine(lab).await;
    for case in CASES {
        let text = format!("{}{}", case.head, TAIL.replace("NETWORKS\n", case.networks));
        let name = unique("neg");
        let (o, _rx) = opts();
        let err = stack::deploy(&e, &name, text_source(&text, FILES, &[]), &o)
            .await
            .expect_err(case.what);
        let msg = err.to_string();
        assert!(
            msg.starts_with(case.error),
            "{}: expected {:?}, got {msg:?}",
            case.what,
            case.error
        );
        let located = msg
            .split(':')
            .take(3)
            .skip(1)
            .all(|n| n.trim().parse::<u32>().is_ok());
        assert!(located, "{}: no line and column in {msg:?}", case.what);
        if case.networks.is_empty() {
            assert!(matches!(err, StackError::Compose(_)), "{err:?}");
        } else {
            assert!(matches!(err, StackError::Rejected(_)), "{err:?}");
        }
        assert!(
            nothing_of(&host, &name),
            "{}: the swarm holds {:?}",
            case.what,
            labelled(&host, &name)
        );
    }
}
