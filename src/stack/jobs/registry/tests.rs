use super::*;

fn started(s: Submitted<&'static str>) -> Pending<&'static str> {
    match s {
        Submitted::Start(p) => p,
        _ => panic!("expected the request to start"),
    }
}

#[test]
fn late_followers_miss_nothing_and_only_the_first_end_counts() {
    let jobs = Registry::<()>::default();
    let a = match jobs.submit("shop", JobKind::Deploy, 1, ()) {
        Submitted::Start(p) => p.job,
        _ => panic!("the first job starts"),
    };
    a.push(Level::Info, "Creating network shop_default");
    let (past, end, mut rx) = a.follow();
    assert_eq!(past.len(), 1);
    assert!(end.is_none());
    a.push(Level::Ok, "Creating service shop_web");
    a.finish(Outcome::Ok, "1 service created");
    a.finish(Outcome::Failed, "ignored");
    assert_eq!(
        rx.try_recv().unwrap(),
        Update::Line(Line {
            seq: 1,
            level: Level::Ok,
            text: "Creating service shop_web".into()
        })
    );
    assert!(matches!(rx.try_recv().unwrap(), Update::End(e) if e.outcome == Outcome::Ok));
    assert!(rx.try_recv().is_err());
    assert_eq!(jobs.deploy_of("shop", 1).unwrap().id, a.id);
    assert_eq!(jobs.get(&a.id).unwrap().id, a.id);
}

#[test]
fn a_new_deploy_ends_the_wait_of_the_previous_one_and_starts_at_once() {
    let jobs = Registry::default();
    let v1 = started(jobs.submit("shop", JobKind::Deploy, 1, "v1")).job;
    let AfterApply::Wait(mut wait) = jobs.applied(&v1, true) else {
        panic!("nothing queued: v1 waits");
    };
    assert!(wait.try_recv().is_err(), "nobody superseded v1 yet");
    let v2 = started(jobs.submit("shop", JobKind::Deploy, 2, "v2"));
    assert_eq!(v2.work, "v2");
    assert_eq!(wait.try_recv().unwrap().by.version, 2);
    // a removal now queues behind v2 while it applies
    let Submitted::Queued {
        behind, dropped, ..
    } = jobs.submit("shop", JobKind::Remove, 0, "rm")
    else {
        panic!("v2 is applying: the removal queues");
    };
    assert_eq!(behind.version, 2);
    assert!(dropped.is_none());
}

#[test]
fn while_a_deploy_applies_the_newest_queued_request_wins() {
    let jobs = Registry::default();
    let v1 = started(jobs.submit("shop", JobKind::Deploy, 1, "v1")).job;
    assert!(matches!(
        jobs.submit("shop", JobKind::Deploy, 2, "v2"),
        Submitted::Queued { dropped: None, .. }
    ));
    let Submitted::Queued {
        dropped: Some(dropped),
        ..
    } = jobs.submit("shop", JobKind::Deploy, 3, "v3")
    else {
        panic!("v3 replaces v2 in the queue");
    };
    assert_eq!(dropped.job.version, 2);
    // another stack is not held up
    started(jobs.submit("blog", JobKind::Deploy, 1, "blog"));
    // v1 applied: v3 goes ahead and v1 does not wait
    let AfterApply::Next(next) = jobs.applied(&v1, true) else {
        panic!("v3 was queued");
    };
    assert_eq!((next.job.version, next.work), (3, "v3"));
    assert!(
        next.job.lines()[0]
            .text
            .starts_with("Queued: version 1 is applying")
    );
    assert_eq!(jobs.running_on("shop").unwrap().version, 3);
    let AfterApply::Wait(_) = jobs.applied(&next.job, true) else {
        panic!("v3 waits");
    };
}

#[test]
fn an_older_version_submitted_late_never_overrides_a_newer_one() {
    let jobs = Registry::default();
    let v5 = started(jobs.submit("shop", JobKind::Deploy, 5, "v5")).job;
    let Submitted::Outdated { pending, by } = jobs.submit("shop", JobKind::Deploy, 4, "v4") else {
        panic!("v4 is older than v5");
    };
    assert_eq!((pending.job.version, by.version), (4, 5));
    assert!(matches!(jobs.applied(&v5, false), AfterApply::Done));
}

#[test]
fn a_removal_holds_its_lane_until_it_is_done_and_then_the_lane_is_free() {
    let jobs = Registry::default();
    let rm = started(jobs.submit("shop", JobKind::Remove, 0, "rm")).job;
    assert!(matches!(
        jobs.submit("shop", JobKind::Deploy, 1, "v1"),
        Submitted::Queued { .. }
    ));
    let AfterApply::Next(next) = jobs.applied(&rm, false) else {
        panic!("v1 was queued behind the removal");
    };
    rm.finish(Outcome::Ok, "removed");
    jobs.finished(&rm);
    assert!(matches!(jobs.applied(&next.job, false), AfterApply::Done));
    next.job.finish(Outcome::Failed, "failed");
    jobs.finished(&next.job);
    assert!(jobs.running_on("shop").is_none());
    started(jobs.submit("shop", JobKind::Deploy, 2, "v2"));
}
