//! The model heals: after its event stream is cut while Docker changes, and after the
//! manager's dockerd restarts.

use berth::model::Connection;

use super::*;
use crate::harness::proxy::SocketProxy;
use crate::harness::{eventually, lab, unique};

#[tokio::test]
async fn the_model_catches_up_after_its_event_stream_is_cut() {
    let one = lab("one");
    let prefix = unique("mdc");
    let _cleanup = Cleanup {
        lab: one,
        prefix: prefix.clone(),
    };
    let proxy = SocketProxy::start(&one.manager_host());
    let (_engine, model, monitor) = follow(&proxy.host()).await;
    let docker = one.docker(1);
    let (a, b, c) = (
        format!("{prefix}a"),
        format!("{prefix}b"),
        format!("{prefix}c"),
    );
    create(one, &a, 1, false);
    create(one, &b, 2, true);
    converges(&model, &docker, &prefix, 30, "before the cut").await;

    // the stream breaks and Docker cannot be reached; meanwhile the swarm changes
    proxy.refuse(true);
    proxy.cut();
    eventually(15, "the model notices it lost Docker", || async {
        matches!(model.snapshot().connection, Connection::Down { .. }).then_some(())
    })
    .await;
    one.docker_cli(1, &["service", "scale", "-d", &format!("{b}=3")])
        .expect("scale");
    one.docker_cli(1, &["service", "rm", &a]).expect("rm");
    create(one, &c, 1, false);

    proxy.refuse(false);
    eventually(40, "the model is live again", || async {
        model.snapshot().docker_reachable().then_some(())
    })
    .await;
    converges(&model, &docker, &prefix, 30, "after the cut").await;
    assert!(
        model.snapshot().service(&a).is_none(),
        "the removal was seen"
    );
    monitor.abort();
}

/// A service removed while the model re-lists its tasks (it had just moved, its tasks are still
/// pending): Docker answers that task list with a 404. That is the service gone, not Docker
/// lost: the model stays live (every viewer would otherwise fall back to calling Docker).
#[tokio::test]
async fn the_model_stays_live_when_a_service_it_watches_is_removed() {
    let one = lab("one");
    let prefix = unique("mdr");
    let _cleanup = Cleanup {
        lab: one,
        prefix: prefix.clone(),
    };
    let proxy = SocketProxy::start(&one.manager_host());
    let (_engine, model, monitor) = follow(&proxy.host()).await;
    let name = format!("{prefix}a");
    create(one, &name, 2, true);
    let id = one
        .docker_cli(1, &["service", "inspect", "--format", "{{.ID}}", &name])
        .expect("the service's id")
        .trim()
        .to_string();
    eventually(15, "the model holds the new service", || async {
        model.snapshot().service(&id).is_some().then_some(())
    })
    .await;
    // the removal's event is held back, so the model keeps re-listing the pending tasks
    // (every 500 ms) after Docker removed the service
    proxy.hold_events(true);
    one.docker_cli(1, &["service", "rm", &name]).expect("rm");
    let mut rx = model.subscribe();
    let until = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < until {
        let snap = model.snapshot();
        assert!(
            snap.docker_reachable(),
            "the model left Docker over a removed service: {:?}",
            snap.connection
        );
        let _ = tokio::time::timeout(Duration::from_millis(100), rx.changed()).await;
    }
    proxy.hold_events(false);
    eventually(15, "the model drops the removed service", || async {
        model.snapshot().service(&id).is_none().then_some(())
    })
    .await;
    assert!(model.snapshot().docker_reachable());
    monitor.abort();
}

#[tokio::test]
async fn the_model_resyncs_after_the_managers_dockerd_restarts() {
    let chaos = lab("chaos");
    let _guard = chaos.exclusive().await;
    let prefix = unique("mdr");
    let _cleanup = Cleanup {
        lab: chaos,
        prefix: prefix.clone(),
    };
    let (_engine, model, monitor) = follow(&chaos.manager_host()).await;
    let docker = chaos.docker(1);
    let (a, b) = (format!("{prefix}a"), format!("{prefix}b"));
    create(chaos, &a, 1, false);
    converges(&model, &docker, &prefix, 30, "before the restart").await;

    let stopped = chaos.stop_node(1);
    eventually(30, "the model notices Docker is gone", || async {
        matches!(model.snapshot().connection, Connection::Down { .. }).then_some(())
    })
    .await;
    stopped.start();
    eventually(90, "the model is live again", || async {
        model.snapshot().docker_reachable().then_some(())
    })
    .await;
    // changes after the restart arrive too
    create(chaos, &b, 2, true);
    chaos
        .docker_cli(1, &["service", "scale", "-d", &format!("{a}=2")])
        .expect("scale");
    converges(&model, &docker, &prefix, 60, "after the restart").await;
    monitor.abort();
}
