//! Pages hide what a role cannot use (issue 18; the server refuses it anyway): a task's Console,
//! a service's image, env, ports, constraints and resources forms, a node's availability, role,
//! removal and labels forms, its images and volumes actions, and the objects pages' create,
//! remove and rotate — shown to operators, to a deployer only where their team owns the stack.

use berth::auth::roles::Role;

use super::{account, own};
use crate::harness::app::Client;
use crate::harness::{TestApp, eventually, lab, unique};
use crate::stacks::{cleanup, finished};

const COMPOSE: &str = "services:\n  app:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n";

/// What a service page shows only to those who may deploy its stack.
const SERVICE_FORMS: &[&str] = &[
    "name=\"image\"",
    "name=\"ports\"",
    "name=\"constraints\"",
    "name=\"limit_cpu\"",
    "data-testid=\"reveal-env\"",
];

/// What a node page and its storage part show only to operators.
const NODE_ACTIONS: &[&str] = &[
    "data-testid=\"availability-active\"",
    "data-testid=\"availability-drain\"",
    "Remove from the swarm",
    "Add or change label",
];
const STORAGE_ACTIONS: &[&str] = &[
    "data-testid=\"images-prune\"",
    "data-testid=\"volumes-prune\"",
];

/// The objects pages and what they show only to operators.
const OBJECTS: &[(&str, &str)] = &[
    ("/secrets", "data-testid=\"object-create\""),
    ("/configs", "data-testid=\"object-create\""),
    ("/networks", "data-testid=\"network-create\""),
    ("/volumes", "data-testid=\"volume-create\""),
];

const CONSOLE: &str = "data-testid=\"task-console\"";

async fn sees(who: &Client, path: &str, marks: &[&str], shown: bool) {
    let page = who.get(path).await.expect(200);
    for m in marks {
        if shown {
            page.contains(m);
        } else {
            page.lacks(m);
        }
    }
}

#[tokio::test]
async fn viewers_and_deployers_see_no_operator_buttons_and_an_operator_does() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let vic = account(&app, 51, "h11vic", Role::Viewer, &["h11team"]).await;
    let dan = account(&app, 52, "h11dan", Role::Deployer, &["h11team"]).await;
    let ola = account(&app, 53, "h11ola", Role::Operator, &[]).await;

    // a stack the admin made: no team's
    let stack = unique("h11p");
    app.post(
        "/stacks",
        &[("name", stack.as_str()), ("compose", COMPOSE), ("env", "")],
    )
    .await
    .expect(303);
    finished(&app, &stack, 1).await;
    let service = format!("{stack}_app");
    let svc = format!("/services/{service}");
    eventually(
        60,
        "the service's task runs (its Console shows)",
        || async { app.get(&svc).await.body.contains(CONSOLE).then_some(()) },
    )
    .await;
    let node = one
        .docker_cli(1, &["info", "--format", "{{.Swarm.NodeID}}"])
        .unwrap();
    let node = format!("/nodes/{}", node.trim());
    let storage = format!("{node}/storage");
    let parts = [
        svc.clone(),
        format!("{svc}/live"),
        format!("/stacks/{stack}"),
        format!("/stacks/{stack}/live"),
        node.clone(),
        format!("{node}/live"),
    ];

    for (who, shown) in [(&vic, false), (&dan, false), (&ola, true)] {
        for p in &parts {
            sees(who, p, &[CONSOLE], shown).await;
        }
        sees(who, &svc, SERVICE_FORMS, shown).await;
        sees(who, &node, NODE_ACTIONS, shown).await;
        sees(who, &storage, STORAGE_ACTIONS, shown).await;
        for (path, mark) in OBJECTS {
            sees(who, path, &[mark], shown).await;
        }
        // join commands let a machine into the swarm
        sees(who, "/nodes", &["data-testid=\"join-worker\""], shown).await;
        sees(who, "/services", &["New service"], shown).await;
    }

    // the stack given to the team: its deployer now sees its Console and forms, still not the
    // nodes' or objects' actions; the team's viewer still sees none of them
    own(&app, &stack, "h11team").await;
    for p in &parts[..4] {
        sees(&dan, p, &[CONSOLE], true).await;
        sees(&vic, p, &[CONSOLE], false).await;
    }
    sees(&dan, &svc, SERVICE_FORMS, true).await;
    sees(&vic, &svc, SERVICE_FORMS, false).await;
    sees(&dan, &node, NODE_ACTIONS, false).await;
    sees(&dan, &storage, STORAGE_ACTIONS, false).await;
    // the node page lists tasks of every stack: the deployer's own show their Console
    sees(&dan, &format!("{node}/live"), &[CONSOLE], true).await;
    cleanup(one, &stack).await;
}
