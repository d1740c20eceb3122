//! A real browser: Debian's chromium driven through chromedriver (WebDriver) with fantoccini.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub struct Browser {
    pub c: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver on a free port and a headless chromium session with a new profile.
    pub async fn start() -> Browser {
        let driver_bin =
            std::env::var("BERTH_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let chrome_bin =
            std::env::var("BERTH_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {driver_bin} (apt install chromium-driver): {e}")
            });
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chrome_bin,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--window-size=1360,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let c = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open a chromium session through chromedriver: {e}"));
        Browser {
            c,
            driver,
            _profile: profile,
        }
    }

    /// Signs in on berth at `base` as the test admin and waits for the dashboard.
    pub async fn sign_in(&self, base: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("input[name=username]", super::app::ADMIN).await;
        self.fill("input[name=password]", super::app::PASSWORD)
            .await;
        self.click("button[type=submit]").await;
        self.wait_text("Swarm overview", 10).await;
    }

    pub async fn goto(&self, url: &str) {
        self.c
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self
            .c
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        el.clear().await.ok();
        el.send_keys(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        let el = self
            .c
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Text of the first element matching `css`, waiting for it to exist. A live part swapped
    /// in between finding the element and reading it (a stale element) is found again.
    pub async fn text(&self, css: &str) -> String {
        let mut tries = 0;
        loop {
            let el = self
                .c
                .wait()
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("find {css}: {e}"));
            match el.text().await {
                Ok(t) => return t,
                Err(e) if tries < 20 => {
                    tries += 1;
                    eprintln!("text of {css}: {e}; finding it again");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
    }

    /// Waits until the page (body text) contains `needle`, up to `secs`.
    pub async fn wait_text(&self, needle: &str, secs: u64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let body = match self.c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if body.contains(needle) {
                return body;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("page did not show {needle:?} within {secs} s; it shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the page no longer contains `needle`.
    pub async fn wait_gone(&self, needle: &str, secs: u64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let body = match self.c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if !body.contains(needle) {
                return body;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("page still shows {needle:?} after {secs} s:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.c.current_url().await.unwrap().path().to_string()
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.c.screenshot().await.unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.c.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
