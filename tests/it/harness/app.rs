//! berth in-process: the production router called with `oneshot`, a cookie jar per client,
//! a fresh SQLite file per app; and the same app served on a real TCP port.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use berth::AppState;
use berth::config::ServeArgs;
use http_body_util::BodyExt;
use tempfile::TempDir;
use tower::ServiceExt;

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery staple";

/// An answer, with its body read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// Asserts the status and returns self, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body:\n{}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn expect_redirect(self, to: &str) -> Resp {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected a redirect to {to}; body:\n{}",
            self.body
        );
        assert_eq!(self.location(), to);
        self
    }

    #[track_caller]
    pub fn contains(&self, text: &str) -> &Resp {
        assert!(
            self.body.contains(text),
            "body does not contain {text:?}:\n{}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn lacks(&self, text: &str) -> &Resp {
        assert!(
            !self.body.contains(text),
            "body unexpectedly contains {text:?}:\n{}",
            self.body
        );
        self
    }
}

/// A browser-like client of one app: its own cookies, its own address.
pub struct Client {
    router: Router,
    state: AppState,
    jar: Mutex<BTreeMap<String, String>>,
    ip: SocketAddr,
}

impl Client {
    pub async fn request(&self, mut req: Request<Body>) -> Resp {
        // Pages read the live model, which follows Docker within a poll (~2 s). A test that
        // changed the swarm behind berth's back (the docker CLI) and reads a page at once wants
        // read-your-writes: a reachable model reloads before every read. (How fast the model
        // follows on its own is what tests/it/model and tests/it/live check.)
        if req.method() == Method::GET && self.state.model.snapshot().docker_reachable() {
            self.state
                .model
                .sync_now(std::time::Duration::from_secs(5))
                .await;
        }
        let cookies = {
            let jar = self.jar.lock().unwrap();
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !cookies.is_empty() && !req.headers().contains_key(header::COOKIE) {
            req.headers_mut()
                .insert(header::COOKIE, cookies.parse().unwrap());
        }
        req.extensions_mut().insert(ConnectInfo(self.ip));
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        for sc in headers.get_all(header::SET_COOKIE) {
            let sc = sc.to_str().unwrap();
            let pair = sc.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            let mut jar = self.jar.lock().unwrap();
            if v.is_empty() || sc.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_string(), v.to_string());
            }
        }
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).to_string(),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// GET as htmx does it.
    pub async fn get_htmx(&self, path: &str) -> Resp {
        self.request(
            Request::get(path)
                .header("hx-request", "true")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form POST with the session's CSRF token added (as the page's hidden field does).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, String)> =
            fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Some(t) = self.csrf().await {
            all.push(("csrf", t));
        }
        self.post_raw(
            path,
            &all.iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
            &[],
        )
        .await
    }

    /// A form POST exactly as given, with extra headers.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.request(b.body(Body::from(body)).unwrap()).await
    }

    /// The same browser (cookies, address) talking to another router built from the same state.
    pub fn with_router(&self, router: Router) -> Client {
        Client {
            router,
            state: self.state.clone(),
            jar: Mutex::new(self.jar.lock().unwrap().clone()),
            ip: self.ip,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_string(), value.to_string());
    }

    /// The CSRF token of this client's session, read where berth keeps it.
    pub async fn csrf(&self) -> Option<String> {
        let token = self.cookie("berth_session")?;
        let hash = berth::auth::tokens::hash_token(&token);
        sqlx::query_scalar("SELECT csrf_token FROM sessions WHERE id_hash = ?")
            .bind(hash)
            .fetch_optional(&self.state.db)
            .await
            .unwrap()
    }

    pub async fn login(&self, user: &str, password: &str) -> Resp {
        self.post_raw("/login", &[("username", user), ("password", password)], &[])
            .await
    }
}

/// berth with a fresh data directory, talking to `docker_host`.
pub struct TestApp {
    pub state: AppState,
    _dir: TempDir,
    client: Client,
    _hub: Option<Aborted>,
}

/// A background task of a test app, ended with it.
struct Aborted(tokio::task::JoinHandle<()>);

impl Drop for Aborted {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::ops::Deref for TestApp {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl TestApp {
    pub async fn new(docker_host: &str) -> TestApp {
        Self::with(docker_host, |_| {}).await
    }

    pub async fn with(docker_host: &str, tweak: impl FnOnce(&mut ServeArgs)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = ServeArgs::for_test(dir.path().join("data"), docker_host.to_string());
        tweak(&mut args);
        let with_agents = !args.agent_addrs.is_empty();
        let state = AppState::new(args).await.expect("app state");
        state.docker.refresh().await;
        // the live model the pages read, loaded (or known to be unreachable) before the test
        state.model.start(state.docker.clone());
        state.model.ready(std::time::Duration::from_secs(30)).await;
        // agents at fixed addresses (harness::agents): berth pulls them as `serve` would
        let hub = with_agents.then(|| {
            Aborted(tokio::spawn(
                state
                    .agents
                    .clone()
                    .run(state.docker.clone(), state.shutting_down()),
            ))
        });
        let client = Self::client_for(&state, 1);
        TestApp {
            state,
            _dir: dir,
            client,
            _hub: hub,
        }
    }

    fn client_for(state: &AppState, n: u8) -> Client {
        Client {
            router: berth::app(state.clone()),
            state: state.clone(),
            jar: Mutex::new(BTreeMap::new()),
            ip: SocketAddr::from(([192, 0, 2, n], 40000 + n as u16)),
        }
    }

    /// Another browser: its own cookies and address (192.0.2.n).
    pub fn client(&self, n: u8) -> Client {
        Self::client_for(&self.state, n)
    }

    /// Completes first-run setup with the code berth issued; the default client is signed in.
    pub async fn setup_admin(&self) {
        let code = self
            .state
            .setup
            .current()
            .expect("a setup code while no admin exists");
        self.post_raw(
            "/setup",
            &[
                ("setup_code", &code),
                ("username", ADMIN),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            &[],
        )
        .await
        .expect_redirect("/");
    }

    /// An app with an admin, signed in, talking to the `one` lab.
    pub async fn signed_in(docker_host: &str) -> TestApp {
        let app = TestApp::new(docker_host).await;
        app.setup_admin().await;
        app
    }

    /// Every audited action as (action, target, outcome), a collapsed row (×N) counted N times.
    pub async fn audit_actions(&self) -> Vec<(String, String, String)> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT action, COALESCE(target, ''), outcome, repeat_count FROM audit_log ORDER BY id",
        )
        .fetch_all(&self.state.db)
        .await
        .unwrap();
        rows.into_iter()
            .flat_map(|(a, t, o, n)| std::iter::repeat_n((a, t, o), n.max(1) as usize))
            .collect()
    }
}

/// The app served on 127.0.0.1 on a free port, until dropped.
pub struct TestServer {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(state: AppState) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            berth::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            url,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
