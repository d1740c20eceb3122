//! Create and scale in a real browser (headless chromium), then watch the logs stream in.

use fantoccini::Locator;

use super::*;
use crate::harness::browser::Browser;
use crate::harness::{TestServer, unique};

#[tokio::test]
async fn a_browser_creates_4_replicas_on_port_80_scales_to_5_and_streams_the_logs() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcweb"));
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    b.sign_in(&server.url).await;

    // docker service create --replicas 4 -p 80:80 IMAGE …, in the form
    b.goto(&format!("{}/services", server.url)).await;
    b.click("a[href='/services/new']").await;
    b.wait_text("New service", 10).await;
    b.fill("input[name=name]", &name).await;
    b.fill("input[name=image]", IMAGE).await;
    b.fill("input[name=replicas]", "4").await;
    b.fill("input[name=command]", &format!("sh -c '{HELLO}'"))
        .await;
    b.click("input[name=init]").await;
    b.fill("textarea[name=ports]", "80:80").await;
    b.click("form.svc-create button[type=submit]").await;
    b.wait_text(&format!("Service {name} created."), 20).await;
    // the page follows the tasks as they start, without a reload
    eventually(60, "4 of 4 running on the page", || async {
        (text_of(&b, "[data-testid=running]").await == "4").then_some(())
    })
    .await;
    let s = spec(lab, &name);
    assert_eq!(s["Mode"]["Replicated"]["Replicas"], 4);
    assert_eq!(s["EndpointSpec"]["Ports"][0]["PublishedPort"], 80);
    assert_eq!(s["EndpointSpec"]["Ports"][0]["TargetPort"], 80);
    assert_eq!(s["EndpointSpec"]["Ports"][0]["PublishMode"], "ingress");
    if let Ok(path) = std::env::var("BERTH_TEST_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&path).join("service.png"))
            .await;
    }

    // scale to 5
    b.fill("form.svc-scale input[name=replicas]", "5").await;
    b.click("form.svc-scale button[type=submit]").await;
    b.wait_text(&format!("Scaling {name} to 5 replicas."), 20)
        .await;
    eventually(60, "5 of 5 running on the page", || async {
        (text_of(&b, "[data-testid=desired]").await == "5"
            && text_of(&b, "[data-testid=running]").await == "5")
            .then_some(())
    })
    .await;
    assert_eq!(spec(lab, &name)["Mode"]["Replicated"]["Replicas"], 5);

    // the list shows it
    b.goto(&format!("{}/services?q={name}", server.url)).await;
    b.wait_text("5/5", 20).await;

    // logs stream into the page (server-sent events): one hello per task
    b.goto(&format!(
        "{}/services/{}/logs",
        server.url,
        inspect(lab, &name)["ID"].as_str().unwrap()
    ))
    .await;
    let body = b.wait_text("hello", 30).await;
    assert!(
        body.contains(&format!("{name}.")),
        "lines name their task: {body}"
    );
    eventually(30, "5 hello lines", || async {
        let t = text_of(&b, "[data-log-lines]").await;
        (t.matches("hello").count() == 5).then_some(())
    })
    .await;
    assert!(b.text("[data-log-status]").await.starts_with("live"));
    // pause holds new lines; the page keeps working
    b.click("[data-log-pause]").await;
    assert!(b.text("[data-log-status]").await.starts_with("paused"));
    let txt = app.get(&format!("/services/{name}/logs.txt")).await;
    assert_eq!(txt.body.matches("hello").count(), 5, "{}", txt.body);
    b.close().await;
    server.stop().await;
}

/// The text of an element that live updates may replace at any moment ("" if gone).
async fn text_of(b: &Browser, css: &str) -> String {
    match b.c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}
