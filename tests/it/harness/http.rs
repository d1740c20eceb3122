//! A minimal HTTP/1.1 client with a cookie jar, for berth running as a real process or container.

pub struct Http {
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
}

pub struct Answer {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl Http {
    pub fn new(base: &str) -> Http {
        Http {
            base: base.trim_end_matches('/').to_string(),
            cookies: Default::default(),
        }
    }

    /// A cookie this client holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }

    /// GET that reports a connection failure as `None` (for polling a service that starts).
    pub async fn try_get(&mut self, path: &str) -> Option<Answer> {
        tokio::time::timeout(
            std::time::Duration::from_secs(3),
            self.send_checked("GET", path, None, &[]),
        )
        .await
        .ok()
        .flatten()
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send("POST", path, Some(form), &[]).await
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let base = self.base.clone();
        self.send_checked(method, path, form, extra)
            .await
            .unwrap_or_else(|| panic!("{method} {base}{path}: no answer"))
    }

    async fn send_checked(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Option<Answer> {
        use http_body_util::BodyExt;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<bytes_compat::Bytes>>();
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            b = b.header("cookie", cookie);
        }
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        let body = match form {
            Some(f) => {
                b = b.header("content-type", "application/x-www-form-urlencoded");
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(f)
                    .finish()
            }
            None => String::new(),
        };
        let resp = client
            .request(
                b.body(http_body_util::Full::new(bytes_compat::Bytes::from(body)))
                    .unwrap(),
            )
            .await
            .ok()?;
        for sc in resp.headers().get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let (k, v) = sc.split(';').next().unwrap().split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body =
            String::from_utf8_lossy(&resp.into_body().collect().await.ok()?.to_bytes()).to_string();
        Some(Answer {
            status,
            location,
            body,
        })
    }

    pub fn csrf(body: &str) -> String {
        let m = "name=\"csrf\" value=\"";
        let i = body.find(m).expect("a form with a csrf field") + m.len();
        body[i..].split('"').next().unwrap().to_string()
    }
}

mod bytes_compat {
    pub use hyper::body::Bytes;
}
