//! The SDK against a real forge started by the test (SQLite, a free port): it renders what
//! the forge renders, keeps rendering from its cache when the forge is gone, falls back to a
//! bundle when the forge never answers, and names what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anvil_sdk::{Change, Client, Error, Mode, State};
use serde_json::{Value, json};

struct Forge {
    url: String,
    key: String,
    dir: std::path::PathBuf,
    /// Signed in as the owner.
    http: reqwest::Client,
    /// `support/emails` and its `welcome` prompt.
    emails: String,
    welcome: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<()>>,
    /// With `ANVIL_TEST_POSTGRES_URL`: the forge's own database, dropped with it.
    _postgres: Option<anvil_server::db::scratch::ScratchDatabase>,
}

impl Forge {
    /// A call to the API as the owner, which must succeed.
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let res = self
            .http
            .request(method, format!("{}/api/v1{path}", self.url))
            .header("origin", &self.url)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json::<Value>().await.unwrap_or(Value::Null)
    }

    /// Saves a new `welcome` template, cuts `label` and moves production to it.
    async fn ship_welcome(&self, template: &str, label: &str) {
        use reqwest::Method;
        self.call(
            Method::PATCH,
            &format!("/prompts/{}", self.welcome),
            json!({"template": template}),
        )
        .await;
        self.call(
            Method::POST,
            &format!("/prompt_sets/{}/versions", self.emails),
            json!({"label": label}),
        )
        .await;
        self.call(
            Method::PUT,
            &format!("/prompt_sets/{}/channels/production", self.emails),
            json!({"version": label}),
        )
        .await;
    }

    /// Stops the forge and starts it again on the same address and data (a deploy).
    async fn restart(&mut self) {
        self.shut_down().await;
        let bind = self.url.trim_start_matches("http://").parse().unwrap();
        let db = self._postgres.as_ref().map(|p| p.url.clone());
        let (_, stop, done) = run(bind, &self.dir, db.as_deref()).await;
        self.stop = Some(stop);
        self.done = Some(done);
    }

    async fn shut_down(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(d) = self.done.take() {
            let _ = d.await;
        }
    }
}

impl Drop for Forge {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The prompts of the fixture: the constructs prompts use most.
fn fixture() -> Vec<Value> {
    vec![
        json!({"name": "Welcome", "template": "Hello {{ customer_name | capitalize }}!\n{% render 'footer', team: team %}",
               "parameters": [{"name": "customer_name", "type": "string", "required": true},
                              {"name": "team", "type": "string"}]}),
        json!({"name": "Footer", "template": "-- {{ team | default: 'Support' }} {% render 'common/tone/sign' %}",
               "parameters": [{"name": "team", "type": "string"}]}),
        json!({"name": "Digest", "template": "{% if items.size > 0 %}{% for i in items %}{{ forloop.index }}. {{ i | upcase | truncate: 12 }}{% unless forloop.last %}, {% endunless %}{% endfor %}{% else %}nothing{% endif %} ({{ items | size }})",
               "parameters": [{"name": "items", "type": "array", "default": []}]}),
        json!({"name": "Tiers", "template": "{% case tier %}{% when 'gold' %}Gold{% when 'silver' %}Silver{% else %}Basic{% endcase %}: {{ price | times: 1.2 | round: 2 }} {{ tags | join: '/' | downcase }}",
               "parameters": [{"name": "tier", "type": "string"}, {"name": "price", "type": "number", "default": 10},
                              {"name": "tags", "type": "array", "default": ["A", "B"]}]}),
    ]
}

/// A forge with `common/tone@1.0.0` (prompt `sign`) and `support/emails@1.0.0` depending on
/// it, on channel `production`; and an API key.
async fn forge() -> Forge {
    let dir = std::env::temp_dir()
        .join(format!("anvil-sdk-test-{}", std::process::id()))
        .join(format!("{:x}", rand_suffix()));
    let postgres = anvil_server::db::scratch::ScratchDatabase::from_env()
        .await
        .unwrap();
    let (addr, stop, done) = run(
        "127.0.0.1:0".parse().unwrap(),
        &dir,
        postgres.as_ref().map(|p| p.url.as_str()),
    )
    .await;
    let url = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let call = |method: reqwest::Method, path: &str, body: Value| {
        let (http, url, path) = (http.clone(), url.clone(), path.to_string());
        async move {
            let res = http
                .request(method, format!("{url}/api/v1{path}"))
                .header("origin", &url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            res.json::<Value>().await.unwrap_or(Value::Null)
        }
    };
    use reqwest::Method;
    call(
        Method::POST,
        "/auth/register",
        json!({"email": "sdk@example.com", "password": "correct horse battery"}),
    )
    .await;
    let common = call(Method::POST, "/projects", json!({"name": "Common"})).await["project"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tone = call(
        Method::POST,
        &format!("/projects/{common}/prompt_sets"),
        json!({"name": "Tone"}),
    )
    .await["prompt_set"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        Method::POST,
        &format!("/prompt_sets/{tone}/prompts"),
        json!({"name": "Sign", "template": "(tone 1.0)"}),
    )
    .await;
    call(
        Method::POST,
        &format!("/prompt_sets/{tone}/versions"),
        json!({"label": "1.0.0"}),
    )
    .await;
    let support =
        call(Method::POST, "/projects", json!({"name": "Support"})).await["project"]["id"]
            .as_str()
            .unwrap()
            .to_string();
    let emails = call(
        Method::POST,
        &format!("/projects/{support}/prompt_sets"),
        json!({"name": "Emails", "dependencies": ["common/tone@^1.0"]}),
    )
    .await["prompt_set"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut welcome = String::new();
    for p in fixture() {
        let created = call(Method::POST, &format!("/prompt_sets/{emails}/prompts"), p).await;
        if created["prompt"]["slug"] == "welcome" {
            welcome = created["prompt"]["id"].as_str().unwrap().to_string();
        }
    }
    call(
        Method::POST,
        &format!("/prompt_sets/{emails}/versions"),
        json!({"label": "1.0.0"}),
    )
    .await;
    call(
        Method::PUT,
        &format!("/prompt_sets/{emails}/channels/production"),
        json!({"version": "1.0.0"}),
    )
    .await;
    let key = call(
        Method::POST,
        "/api_keys",
        json!({"name": "sdk", "scopes": ["read"]}),
    )
    .await["api_key"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    Forge {
        url,
        key,
        dir,
        http,
        emails,
        welcome,
        stop: Some(stop),
        done: Some(done),
        _postgres: postgres,
    }
}

/// Starts a forge on `bind` with the data directory (and database) given; its address, and
/// what stops it.
async fn run(
    bind: std::net::SocketAddr,
    dir: &std::path::Path,
    database_url: Option<&str>,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let config = anvil_server::config::Config {
        bind,
        data_dir: dir.to_path_buf(),
        database_url: database_url.map(|u| anvil_server::config::Secret::new(u.to_string())),
        shutdown_grace_seconds: 1,
        ..anvil_server::config::Config::default()
    };
    let f = anvil_server::Forge::build(config)
        .await
        .expect("forge starts");
    let addr = f.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        let _ = f
            .run_until(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (addr, stop, done)
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    h.finish()
}

fn client(f: &Forge) -> Client {
    Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .default_spec("production")
        .build()
        .unwrap()
}

async fn forge_render(f: &Forge, address: &str, vars: &Value) -> String {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/render/{address}", f.url))
        .bearer_auth(&f.key)
        .json(&json!({"variables": vars}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{address}");
    res.json::<Value>().await.unwrap()["rendered"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_prompt_renders_exactly_as_the_forge_renders_it() {
    let f = forge().await;
    let anvil = client(&f);
    let cases = [
        (
            "welcome",
            json!({"customer_name": "ada lovelace", "team": "Billing"}),
        ),
        ("welcome", json!({"customer_name": "ada"})),
        ("footer", json!({})),
        (
            "digest",
            json!({"items": ["apples", "a very long pear", "fig"]}),
        ),
        ("digest", json!({})),
        (
            "tiers",
            json!({"tier": "gold", "price": 19.99, "tags": ["X", "Y", "Z"]}),
        ),
        ("tiers", json!({"tier": "lead"})),
    ];
    for (prompt, vars) in cases {
        let address = format!("support/emails@1.0.0/{prompt}");
        let ours = anvil.render(&address, vars.clone()).await.unwrap();
        assert_eq!(
            ours.text,
            forge_render(&f, &address, &vars).await,
            "{address} {vars}"
        );
        assert_eq!(ours.resolved_version, "1.0.0");
        assert!(!ours.is_fallback);
    }
    // An address without a spec takes the client's default (production here).
    let r = anvil
        .render("support/emails/welcome", json!({"customer_name": "x"}))
        .await
        .unwrap();
    assert_eq!(r.resolved_version, "1.0.0");
    assert!(r.text.ends_with("(tone 1.0)"), "{}", r.text);
    let set = anvil.get_set("support/emails@^1").await.unwrap();
    assert_eq!(set.prompts.len(), 4);
    assert!(set.checksum.starts_with("sha256:"));
}

#[tokio::test]
async fn a_cached_prompt_renders_with_no_forge_and_a_stale_one_says_so() {
    let mut f = forge().await;
    let anvil = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .cache_ttl(Duration::ZERO)
        .retries(0)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let vars = json!({"customer_name": "ada"});
    let exact = anvil
        .render("support/emails@1.0.0/welcome", vars.clone())
        .await
        .unwrap();
    let by_channel = anvil
        .render("support/emails@production/welcome", vars.clone())
        .await
        .unwrap();
    f.shut_down().await;
    // An exact version never expires: served from memory, not a fallback.
    let again = anvil
        .render("support/emails@1.0.0/welcome", vars.clone())
        .await
        .unwrap();
    assert_eq!(again, exact);
    // A channel past its TTL is served at once while it is refreshed in the background; the
    // refresh cannot reach the forge, so the client says it is stale and from then on marks
    // the answer as a fallback.
    let mut state = anvil.watch_state();
    let first = anvil
        .render("support/emails@production/welcome", vars.clone())
        .await
        .unwrap();
    assert_eq!(first.text, by_channel.text);
    state.wait_for(|s| *s == State::Stale).await.unwrap();
    let stale = anvil
        .render("support/emails@production/welcome", vars.clone())
        .await
        .unwrap();
    assert_eq!(stale.text, by_channel.text);
    assert!(stale.is_fallback);
    // Never fetched and the forge is gone: the error says where it tried.
    let e = anvil
        .render("support/emails@^1.0/welcome", vars)
        .await
        .unwrap_err();
    match e {
        Error::Unreachable { url, .. } => assert_eq!(url, f.url),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_fallback_bundle_serves_when_the_forge_never_answers() {
    let f = forge().await;
    // The project's bundle, as `anvil export` would write it.
    let projects: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/projects", f.url))
        .bearer_auth(&f.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let support = projects["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "support")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bundle = reqwest::Client::new()
        .get(format!("{}/api/v1/projects/{support}/bundle", f.url))
        .bearer_auth(&f.key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let path = f.dir.join("prompts.bundle.json");
    std::fs::write(&path, &bundle).unwrap();
    let vars = json!({"customer_name": "ada", "team": "Ops"});
    let expected = forge_render(&f, "support/emails@production/welcome", &vars).await;

    // A forge that is not there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let offline = Client::builder()
        .base_url(&nowhere)
        .api_key(&f.key)
        .default_spec("production")
        .retries(1)
        .fallback_bundle(&path)
        .build()
        .unwrap();
    let r = offline
        .render("support/emails/welcome", vars.clone())
        .await
        .unwrap();
    assert_eq!(
        r.text, expected,
        "the bundle renders what the forge renders"
    );
    assert!(r.is_fallback);
    assert_eq!(r.resolved_version, "1.0.0");
    // A spec the bundle cannot meet is not served from it.
    let e = offline
        .render("support/emails@^2/welcome", vars.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");

    // A tampered bundle is refused when the client is built.
    let mut v: Value = serde_json::from_slice(&bundle).unwrap();
    v["prompt_sets"][0]["prompts"]["welcome"]["template"] = json!("Hacked");
    let tampered = f.dir.join("tampered.bundle.json");
    std::fs::write(&tampered, serde_json::to_vec(&v).unwrap()).unwrap();
    let e = Client::builder()
        .base_url(&nowhere)
        .fallback_bundle(&tampered)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
}

#[tokio::test]
async fn errors_name_the_address_and_the_cause() {
    let f = forge().await;
    let anvil = client(&f);
    let e = anvil
        .render("support/emails@1.0.0/nope", json!({}))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("support/emails@1.0.0/nope")
            && text.contains("digest, footer, tiers, welcome"),
        "{text}"
    );
    let e = anvil
        .render("support/emails@1.0.0/welcome", json!({"team": 5}))
        .await
        .unwrap_err();
    match &e {
        Error::InvalidVariables { problems, .. } => {
            let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
            assert!(fields.contains(&"variables.customer_name"), "{problems:?}");
        }
        other => panic!("{other:?}"),
    }
    let e = anvil
        .render("support/nope@1.0.0/x", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    let e = anvil.render("not an address", json!({})).await.unwrap_err();
    assert!(matches!(e, Error::InvalidAddress { .. }), "{e:?}");
    let bad_key = Client::builder()
        .base_url(&f.url)
        .api_key("ank_live_nope")
        .build()
        .unwrap();
    let e = bad_key
        .render("support/emails@1.0.0/welcome", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Refused { status: 401, .. }), "{e:?}");
}

#[tokio::test]
async fn a_restarted_application_renders_from_its_persisted_cache() {
    let mut f = forge().await;
    let dir = f.dir.join("sdk-cache");
    let vars = json!({"customer_name": "ada"});
    let first = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .persistence_dir(&dir)
        .build()
        .unwrap();
    let by_channel = first
        .render("support/emails@production/welcome", vars.clone())
        .await
        .unwrap();
    let exact = first
        .render("support/emails@1.0.0/footer", json!({}))
        .await
        .unwrap();
    assert!(first.problems().is_empty(), "{:?}", first.problems());
    drop(first);
    f.shut_down().await;

    // A new process: the forge is gone, the directory is all it has.
    let restarted = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .retries(0)
        .persistence_dir(&dir)
        .build()
        .unwrap();
    let r = restarted
        .render("support/emails@1.0.0/footer", json!({}))
        .await
        .unwrap();
    assert_eq!(r.text, exact.text);
    assert!(!r.is_fallback, "an exact version is the real thing");
    let r = restarted
        .render("support/emails@production/welcome", vars)
        .await
        .unwrap();
    assert_eq!(
        r.text, by_channel.text,
        "the dependency's partial came from disk too"
    );
    assert!(
        r.is_fallback,
        "a channel not confirmed by the forge is a fallback"
    );

    // Damaged files are reported and skipped, never a crash.
    let sets = dir.join("sets");
    let one = std::fs::read_dir(&sets)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&one, b"{ not json").unwrap();
    std::fs::write(dir.join("index.json"), b"[1, 2").unwrap();
    let damaged = Client::builder()
        .base_url(&f.url)
        .persistence_dir(&dir)
        .build()
        .unwrap();
    let problems = damaged.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("index.json")),
        "{problems:?}"
    );
}

/// The forge's count of `/resolve` answers with `status`, from its metrics.
async fn resolves_answered(f: &Forge, status: u16) -> u64 {
    let text = reqwest::get(format!("{}/metrics", f.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("anvil_http_requests_total")
                && l.contains("/resolve/")
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn an_expired_spec_is_refreshed_with_its_entity_tag() {
    let f = forge().await;
    let anvil = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .cache_ttl(Duration::ZERO)
        .build()
        .unwrap();
    let vars = json!({"customer_name": "ada"});
    let first = anvil
        .render("support/emails@production/welcome", vars.clone())
        .await
        .unwrap();
    let before = resolves_answered(&f, 304).await;
    for _ in 0..3 {
        assert_eq!(anvil.sync().await.unwrap(), vec![]);
        let again = anvil
            .render("support/emails@production/welcome", vars.clone())
            .await
            .unwrap();
        assert_eq!(again, first);
    }
    assert!(
        resolves_answered(&f, 304).await - before >= 3,
        "each refresh of an unchanged set is a 304"
    );
    assert_eq!(anvil.state(), State::Ready);
}

/// Waits for the next change the client reports (a guard against hanging, not a deadline the
/// behaviour is measured by).
async fn next_change(changes: &mut tokio::sync::broadcast::Receiver<Change>) -> Change {
    tokio::time::timeout(Duration::from_secs(30), changes.recv())
        .await
        .expect("a change is reported")
        .unwrap()
}

/// The subscription's events up to and including the first of `kind` (with a guard against
/// hanging).
async fn events_until(live: &mut anvil_sdk::Subscription, kind: &str) -> Vec<anvil_sdk::Event> {
    let mut seen = Vec::new();
    while seen
        .last()
        .is_none_or(|e: &anvil_sdk::Event| e.kind != kind)
    {
        let e = tokio::time::timeout(Duration::from_secs(30), live.next())
            .await
            .expect("the event arrives")
            .expect("the stream is open");
        seen.push(e);
    }
    seen
}

#[tokio::test]
async fn an_expired_channel_is_served_at_once_and_refreshed_in_the_background() {
    let f = forge().await;
    let anvil = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .cache_ttl(Duration::ZERO)
        .build()
        .unwrap();
    let vars = json!({"customer_name": "ada"});
    let address = "support/emails@production/welcome";
    assert_eq!(anvil.state(), State::NotReady);
    let old = anvil.render(address, vars.clone()).await.unwrap();
    assert_eq!(anvil.state(), State::Ready);
    f.ship_welcome("Hi {{ customer_name }}, v2", "1.1.0").await;
    let mut changes = anvil.changes();
    // The expired answer serves while the refresh runs.
    let served = anvil.render(address, vars.clone()).await.unwrap();
    assert_eq!(served.text, old.text);
    let change = next_change(&mut changes).await;
    assert_eq!(
        (
            change.address.as_str(),
            change.from.as_str(),
            change.to.as_str()
        ),
        ("support/emails@production", "1.0.0", "1.1.0")
    );
    let new = anvil.render(address, vars).await.unwrap();
    assert_eq!(new.text, "Hi ada, v2");
    assert_eq!(new.resolved_version, "1.1.0");
}

#[tokio::test]
async fn a_channel_move_reaches_a_subscribed_client_without_polling() {
    let f = forge().await;
    // A TTL of an hour: only the event stream can make the client ask again.
    let anvil = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    let vars = json!({"customer_name": "ada"});
    let address = "support/emails@production/welcome";
    anvil.render(address, vars.clone()).await.unwrap();
    let mut live = anvil.subscribe("support").await.unwrap();
    let mut changes = anvil.changes();
    f.ship_welcome("Hello again {{ customer_name }}", "1.1.0")
        .await;
    let change = next_change(&mut changes).await;
    assert_eq!(change.to, "1.1.0");
    let r = anvil.render(address, vars).await.unwrap();
    assert_eq!(r.text, "Hello again ada");
    assert!(!r.is_fallback);
    // The application sees the events too, typed.
    let seen = events_until(&mut live, "channel.moved").await;
    assert_eq!(seen.last().unwrap().payload["to"], "1.1.0");
    assert!(seen.iter().any(|e| e.kind == "version.created"), "{seen:?}");
    // A project that does not exist is refused, not retried forever.
    let e = anvil.subscribe("nope").await.err().unwrap();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn a_subscription_reconnects_after_the_forge_restarts_and_misses_nothing() {
    let mut f = forge().await;
    let anvil = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    let vars = json!({"customer_name": "ada"});
    let address = "support/emails@production/welcome";
    anvil.render(address, vars.clone()).await.unwrap();
    let mut live = anvil.subscribe("support").await.unwrap();
    let mut changes = anvil.changes();
    // The forge goes away (the stream ends) and comes back; the move happens right after,
    // before the subscription is back: it arrives by replay from the last event id.
    f.restart().await;
    f.ship_welcome("After the deploy {{ customer_name }}", "1.1.0")
        .await;
    let change = next_change(&mut changes).await;
    assert_eq!(change.to, "1.1.0");
    assert_eq!(
        anvil.render(address, vars).await.unwrap().text,
        "After the deploy ada"
    );
    let seen = events_until(&mut live, "channel.moved").await;
    assert!(seen.iter().any(|e| e.kind == "version.created"), "{seen:?}");
    let r = anvil.resolve("support/emails").await.unwrap();
    assert_eq!(r.address, "support/emails@stable");
}

#[tokio::test]
async fn a_frozen_client_changes_only_on_sync() {
    let f = forge().await;
    let anvil = Client::builder()
        .base_url(&f.url)
        .api_key(&f.key)
        .mode(Mode::Frozen)
        .cache_ttl(Duration::ZERO)
        .build()
        .unwrap();
    let vars = json!({"customer_name": "ada"});
    let address = "support/emails@production/welcome";
    let old = anvil.render(address, vars.clone()).await.unwrap();
    let mut live = anvil.subscribe("support").await.unwrap();
    f.ship_welcome("Frozen out {{ customer_name }}", "1.1.0")
        .await;
    // The event arrives, and the frozen client ignores it, as it ignores its expired TTL.
    events_until(&mut live, "channel.moved").await;
    let still = anvil.render(address, vars.clone()).await.unwrap();
    assert_eq!(still, old);
    let changed = anvil.sync().await.unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].to, "1.1.0");
    let new = anvil.render(address, vars).await.unwrap();
    assert_eq!(new.text, "Frozen out ada");
}

/// A forge stand-in on a raw socket that answers each request with what `answer` says for
/// its number (0, 1, ...), counting them: for faults the real forge does not make.
async fn fault_forge(
    answer: impl Fn(usize) -> (u16, String) + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (seen, answer) = (seen.clone(), answer.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let Ok(n) = sock.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                let (status, body) = answer(seen.fetch_add(1, Ordering::SeqCst));
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_tampered_answer_is_refused_and_faults_are_retried_only_when_worth_it() {
    use std::sync::atomic::Ordering;
    let f = forge().await;
    let real = reqwest::Client::new()
        .get(format!("{}/api/v1/resolve/support/emails@1.0.0", f.url))
        .bearer_auth(&f.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let tone = reqwest::Client::new()
        .get(format!("{}/api/v1/resolve/common/tone@1.0.0", f.url))
        .bearer_auth(&f.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let builder = |url: &str| {
        Client::builder()
            .base_url(url)
            .api_key("ank_live_x")
            .retries(2)
    };
    // A template changed on the way: the checksum no longer matches, nothing is served.
    let mut v: Value = serde_json::from_str(&real).unwrap();
    v["prompts"]["footer"]["template"] = json!("-- Mallory");
    let tampered = v.to_string();
    let (url, _) = fault_forge(move |_| (200, tampered.clone())).await;
    let e = builder(&url)
        .build()
        .unwrap()
        .render("support/emails@1.0.0/footer", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Checksum { .. }), "{e:?}");

    // Another set than the one asked for is refused too.
    let other = tone.clone();
    let (url, _) = fault_forge(move |_| (200, other.clone())).await;
    let e = builder(&url)
        .build()
        .unwrap()
        .get_set("support/emails@1.0.0")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("instead"), "{e}");

    // Two 503s, then the real answer: retried, and served.
    let body = tone.clone();
    let (url, count) = fault_forge(move |n| {
        if n < 2 {
            (503, "{}".into())
        } else {
            (200, body.clone())
        }
    })
    .await;
    let r = builder(&url)
        .build()
        .unwrap()
        .get_set("common/tone@1.0.0")
        .await
        .unwrap();
    assert_eq!(r.resolved_version, "1.0.0");
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // A 404 is an answer: asked once.
    let (url, count) = fault_forge(|_| {
        (
            404,
            json!({"error": {"code": "not_found", "message": "prompt set not found"}}).to_string(),
        )
    })
    .await;
    let e = builder(&url)
        .build()
        .unwrap()
        .get_set("support/gone@1.0.0")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // 503 every time: three attempts, then unreachable, naming the URL.
    let (url, count) = fault_forge(|_| (503, "{}".into())).await;
    let e = builder(&url)
        .build()
        .unwrap()
        .get_set("support/emails@1.0.0")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Unreachable { url: u, .. } if *u == url),
        "{e:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}
