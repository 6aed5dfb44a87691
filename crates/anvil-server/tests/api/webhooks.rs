//! Webhooks: who manages them, which URLs they take, signed deliveries to a receiver on
//! loopback, retries after a failing receiver, the delivery log, secrets never in clear.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Registry, TestApp, spawn_app, spawn_app_with};

/// One request a receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

/// An HTTP receiver on 127.0.0.1 that answers the statuses of `script` in turn (then 200),
/// each with a `Location` pointing at a closed port.
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start(script: Vec<u16>) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(script.into_iter()));
        let (g, s) = (got.clone(), script.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let (g, s) = (g.clone(), s.clone());
                    async move {
                        g.lock().unwrap().push(Received {
                            headers,
                            body: body.to_vec(),
                        });
                        let status = s.lock().unwrap().next().unwrap_or(200);
                        // A redirect that a follower would chase to a closed port.
                        (
                            axum::http::StatusCode::from_u16(status).unwrap(),
                            [("location", "http://127.0.0.1:1/elsewhere")],
                        )
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://127.0.0.1:{}/hook", addr.port()),
            got,
        }
    }

    /// Waits until `n` requests came (or panics after `wait`).
    pub(crate) async fn wait_for(&self, n: usize, wait: Duration) -> Vec<Received> {
        let started = std::time::Instant::now();
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < wait,
                "{} of {n} deliveries came",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(crate) async fn loopback_allowed() -> TestApp {
    spawn_app_with(|c| c.webhook_allowed_hosts = vec!["127.0.0.1".into()]).await
}

async fn create(app: &TestApp, r: &Registry, url: &str, types: Value) -> (u16, Value) {
    app.call(
        r,
        &r.owner,
        Method::POST,
        "/api/v1/webhooks",
        Some(json!({"url": url, "event_types": types})),
    )
    .await
}

async fn edit(app: &TestApp, r: &Registry, text: &str) {
    let (s, b) = app
        .call(
            r,
            &r.member,
            Method::PATCH,
            &format!("/api/v1/prompts/{}", r.welcome_id),
            Some(json!({"template": text})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_logged() {
    let app = loopback_allowed().await;
    let r = app.registry().await;
    let receiver = Receiver::start(vec![500]).await;
    let (s, hook) = create(&app, &r, &receiver.url, json!(["prompt.*"])).await;
    assert_eq!(s, 201, "{hook}");
    let secret = hook["webhook"]["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let id = hook["webhook"]["id"].as_str().unwrap().to_string();
    let others = Receiver::start(vec![]).await;
    let (s, _) = create(&app, &r, &others.url, json!(["channel.*"])).await;
    assert_eq!(s, 201);

    edit(&app, &r, "Hi {{ customer_name }}").await;
    // The first attempt fails (500), the retry comes after the backoff.
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let last = &got[1];
    assert_eq!(last.body, got[0].body, "a retry sends the same event");
    let event: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(event["type"], "prompt.updated");
    assert_eq!(event["payload"]["prompt_id"], r.welcome_id.as_str());
    assert_eq!(last.headers["x-anvil-event"], "prompt.updated");
    // The receiver can verify the signature with the secret it was shown.
    let header = last.headers["x-anvil-signature"].to_str().unwrap();
    let (t, v1) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&last.body);
    assert_eq!(hex::encode(mac.finalize().into_bytes()), v1);
    let age = time::OffsetDateTime::now_utc().unix_timestamp() - t.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp: {age}");

    // Each attempt is in the log, newest first.
    let (s, log) = app
        .call(
            &r,
            &r.owner,
            Method::GET,
            &format!("/api/v1/webhooks/{id}/deliveries"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let log = log["deliveries"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["attempt"], 2);
    assert_eq!(log[0]["status_code"], 200);
    assert_eq!(log[1]["status_code"], 500);
    assert!(log[1]["error"].as_str().unwrap().contains("500"));
    // The channel webhook heard nothing of a prompt edit.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(others.got.lock().unwrap().is_empty());
    // The secret is not stored in clear, and is not listed.
    assert!(!app.dump("webhooks").await.contains(&secret));
    let (_, list) = app
        .call(&r, &r.owner, Method::GET, "/api/v1/webhooks", None)
        .await;
    assert!(list["webhooks"][0].get("secret").is_none(), "{list}");

    // Deleted: nothing more is delivered.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    edit(&app, &r, "Again {{ customer_name }}").await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(receiver.got.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_redirect_is_not_followed_but_logged_and_retried() {
    let app = loopback_allowed().await;
    let r = app.registry().await;
    let receiver = Receiver::start(vec![302]).await;
    let (s, hook) = create(&app, &r, &receiver.url, json!(["prompt.updated"])).await;
    assert_eq!(s, 201, "{hook}");
    let id = hook["webhook"]["id"].as_str().unwrap().to_string();
    edit(&app, &r, "Moved {{ customer_name }}").await;
    receiver.wait_for(2, Duration::from_secs(10)).await;
    let (_, log) = app
        .call(
            &r,
            &r.owner,
            Method::GET,
            &format!("/api/v1/webhooks/{id}/deliveries"),
            None,
        )
        .await;
    let log = log["deliveries"].as_array().unwrap();
    assert_eq!(log.last().unwrap()["status_code"], 302, "{log:?}");
    assert!(
        log.last().unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("302")
    );
    assert_eq!(log[0]["status_code"], 200);
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_urls_must_reach_outside() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, _) = app
        .call(
            &r,
            &r.member,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "https://example.com/hook", "event_types": ["channel.*"]})),
        )
        .await;
    assert_eq!(s, 403);
    for url in [
        "ftp://example.com/hook",
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "https://user:pass@example.com/hook",
        "not a url",
    ] {
        let (s, e) = create(&app, &r, url, json!(["channel.*"])).await;
        assert_eq!(s, 422, "{url}: {e}");
        assert_eq!(e["error"]["details"][0]["field"], "url", "{url}: {e}");
    }
    for types in [json!([]), json!(["*"]), json!(["nonsense"])] {
        let (s, e) = create(&app, &r, "http://93.184.216.34/hook", types.clone()).await;
        assert_eq!(s, 422, "{types}: {e}");
        assert_eq!(e["error"]["details"][0]["field"], "event_types");
    }
    assert_eq!(app.count("webhooks").await, 0);
    // Another organisation sees none of them. (Switched off: no test sends anything beyond
    // loopback.)
    let (s, hook) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "http://93.184.216.34/hook", "event_types": ["channel.*"], "active": false})),
        )
        .await;
    assert_eq!(s, 201, "{hook}");
    let id = hook["webhook"]["id"].as_str().unwrap();
    let eve = crate::helpers::browser();
    app.register(&eve, "eve@other.test").await;
    let res = app
        .get(&eve, &format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(res.status(), 404);
    let res = app.get(&eve, "/api/v1/webhooks").await;
    assert_eq!(res.json::<Value>().await.unwrap()["webhooks"], json!([]));
}
