//! `spawn_app()`: the real forge on 127.0.0.1:0 with its own database, and HTTP clients.

use std::net::SocketAddr;
use std::path::PathBuf;

use anvil_server::config::{Config, Secret};
use anvil_server::db::scratch::ScratchDatabase;
use anvil_server::http::AppState;
use anvil_server::{Forge, domain};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    /// A client with its own cookie jar (a browser).
    pub client: reqwest::Client,
    data_dir: PathBuf,
    postgres: Option<ScratchDatabase>,
    /// The PostgreSQL URL this forge uses, for a second instance on the same database.
    database_url: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = std::env::temp_dir().join(format!("anvil-test-{}", domain::ids::new_id()));
    let postgres = ScratchDatabase::from_env()
        .await
        .expect("create a PostgreSQL test database");
    let mut config = Config {
        bind: "127.0.0.1:0".parse().expect("address"),
        data_dir: data_dir.clone(),
        database_url: postgres.as_ref().map(|p| Secret::new(p.url.clone())),
        shutdown_grace_seconds: 1,
        ..Config::default()
    };
    configure(&mut config);
    let database_url = postgres.as_ref().map(|p| p.url.clone());
    let mut app = start(config).await;
    app.postgres = postgres;
    app.database_url = database_url;
    app
}

async fn start(config: Config) -> TestApp {
    let data_dir = config.data_dir.clone();
    let forge = Forge::build(config).await.expect("forge starts");
    let addr = forge.local_addr().expect("bound");
    let state = forge.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(forge.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        state,
        client: browser(),
        data_dir,
        postgres: None,
        database_url: None,
        stop: Some(stop),
    }
}

impl TestApp {
    /// A second forge on this one's PostgreSQL database (another instance behind the same
    /// load balancer); `None` on SQLite, which is single-instance.
    pub async fn another_instance(&self) -> Option<TestApp> {
        let url = self.database_url.clone()?;
        let data_dir = std::env::temp_dir().join(format!("anvil-test-{}", domain::ids::new_id()));
        let config = Config {
            bind: "127.0.0.1:0".parse().expect("address"),
            data_dir,
            database_url: Some(Secret::new(url)),
            shutdown_grace_seconds: 1,
            ..Config::default()
        };
        Some(start(config).await)
    }

    /// Begins a graceful shutdown, as SIGTERM does.
    pub fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        let res = client.get(self.url(path)).send().await.expect("request");
        crate::contract::checked("GET", path, res).await
    }

    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        let res = client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        crate::contract::checked("POST", path, res).await
    }

    /// Registers `email` with a valid password in `client`'s cookie jar.
    pub async fn register(&self, client: &reqwest::Client, email: &str) -> Value {
        let res = self
            .post(
                client,
                "/api/v1/auth/register",
                json!({"email": email, "password": "correct horse battery", "name": "Test"}),
            )
            .await;
        assert_eq!(res.status(), 201, "registration of {email}");
        res.json().await.expect("json")
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.state.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        // Dropping the scratch database ends the pool's remaining connections.
        self.postgres.take();
    }
}

/// The `error` object of an API error response, after checking its status.
pub async fn api_error(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "status");
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("x-request-id header");
    let body: Value = res.json().await.expect("JSON error body");
    // Every error is in the documented format.
    let schema = json!({"$ref": "#/components/schemas/ErrorResponse"});
    if let Err(e) = crate::contract::check(&schema, &body, "body") {
        panic!("error body does not match the document: {e}\n{body}");
    }
    let error = body["error"].clone();
    assert_eq!(
        error["request_id"],
        Value::String(request_id),
        "error carries the request id"
    );
    error
}

impl TestApp {
    /// Waits until the job worker has run every queued job (mail goes out through it).
    pub async fn jobs_settled(&self) {
        for _ in 0..400 {
            if self
                .count("jobs WHERE status IN ('pending', 'running')")
                .await
                == 0
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("queued jobs did not run within 10 s");
    }

    /// The token mailed to `email` (the newest such message in the outbox), once the queue
    /// has run.
    pub async fn mailed_token(&self, email: &str) -> String {
        self.jobs_settled().await;
        let dir = anvil_server::domain::mail::outbox_dir(&self.state.config.data_dir);
        let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&dir)
            .expect("outbox exists")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                let modified = e.metadata().ok()?.modified().ok()?;
                text.contains(&format!("To: {email}\r\n"))
                    .then_some((modified, text))
            })
            .collect();
        found.sort();
        let text = &found.last().expect("a message to the address").1;
        text.split("Token: ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("token in the message")
            .to_string()
    }

    /// An organisation owned by a new user, with an admin and a member who accepted their
    /// invitations. Returns (owner, admin, member) clients and the organisation JSON.
    pub async fn team(&self) -> (reqwest::Client, reqwest::Client, reqwest::Client, Value) {
        let owner = browser();
        self.register(&owner, "owner@acme.test").await;
        let res = self
            .post(
                &owner,
                "/api/v1/organisations",
                json!({"organisation": {"name": "Acme"}}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let org = res.json::<Value>().await.expect("json")["organisation"].clone();
        let org_id = org["id"].as_str().expect("id").to_string();
        let mut members = Vec::new();
        for (email, role) in [("admin@acme.test", "admin"), ("member@acme.test", "member")] {
            let c = browser();
            self.register(&c, email).await;
            let res = owner
                .post(self.url("/api/v1/organisation/members"))
                .header("x-anvil-organisation", &org_id)
                .json(&json!({"email": email, "role": role}))
                .send()
                .await
                .expect("invite");
            assert_eq!(res.status(), 201, "invite {email}");
            let token = self.mailed_token(email).await;
            let res = self
                .post(&c, "/api/v1/invitations/accept", json!({"token": token}))
                .await;
            assert_eq!(res.status(), 200, "accept {email}");
            members.push(c);
        }
        let member = members.pop().expect("member");
        let admin = members.pop().expect("admin");
        (owner, admin, member, org)
    }

    /// A request in organisation `org_id`.
    pub async fn send_in(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        org_id: &str,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let name = method.as_str().to_string();
        let mut req = client
            .request(method, self.url(path))
            .header("x-anvil-organisation", org_id);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        crate::contract::checked(&name, path, res).await
    }
}

impl TestApp {
    /// How many messages went to `email`, once the queue has run.
    pub async fn mail_count(&self, email: &str) -> usize {
        self.jobs_settled().await;
        let dir = anvil_server::domain::mail::outbox_dir(&self.state.config.data_dir);
        std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .filter(|t| t.contains(&format!("To: {email}\r\n")))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// A team's registry: project `support`, set `emails` with prompts `welcome` (uses the
/// `footer` partial) and `footer`, both valid for a version.
pub struct Registry {
    pub owner: reqwest::Client,
    pub admin: reqwest::Client,
    pub member: reqwest::Client,
    pub org_id: String,
    pub project_id: String,
    pub set_id: String,
    pub welcome_id: String,
}

impl TestApp {
    pub async fn registry(&self) -> Registry {
        let (owner, admin, member, org) = self.team().await;
        let org_id = org["id"].as_str().expect("org id").to_string();
        let call = |c: &reqwest::Client, path: &str, body: Value| {
            let (c, path, org_id) = (c.clone(), path.to_string(), org_id.clone());
            async move {
                let res = self
                    .send_in(&c, reqwest::Method::POST, &org_id, &path, Some(body))
                    .await;
                assert_eq!(res.status(), 201, "POST {path}");
                res.json::<Value>().await.expect("json")
            }
        };
        let project = call(&owner, "/api/v1/projects", json!({"name": "Support"})).await;
        let project_id = project["project"]["id"].as_str().expect("id").to_string();
        let set = call(
            &owner,
            &format!("/api/v1/projects/{project_id}/prompt_sets"),
            json!({"name": "Emails"}),
        )
        .await;
        let set_id = set["prompt_set"]["id"].as_str().expect("id").to_string();
        let prompts = format!("/api/v1/prompt_sets/{set_id}/prompts");
        call(
            &member,
            &prompts,
            json!({"name": "Footer", "template": "-- {{ team | default: 'Support' }}",
                   "parameters": [{"name": "team", "type": "string"}]}),
        )
        .await;
        let welcome = call(
            &member,
            &prompts,
            json!({"name": "Welcome",
            "template": "Hello {{ customer_name }}!\n{% render 'footer', team: team %}",
            "parameters": [
                {"name": "customer_name", "type": "string", "required": true},
                {"name": "team", "type": "string"}
            ]}),
        )
        .await;
        let welcome_id = welcome["prompt"]["id"].as_str().expect("id").to_string();
        Registry {
            owner,
            admin,
            member,
            org_id,
            project_id,
            set_id,
            welcome_id,
        }
    }

    /// A request in the registry's organisation; returns the status and the JSON body (Null
    /// when there is none).
    pub async fn call(
        &self,
        r: &Registry,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        // send_in checks the response against the OpenAPI document.
        let res = self.send_in(client, method, &r.org_id, path, body).await;
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET path` as `client` in the registry's organisation.
    pub async fn read(&self, r: &Registry, client: &reqwest::Client, path: &str) -> (u16, Value) {
        self.call(r, client, reqwest::Method::GET, path, None).await
    }

    /// Cuts a version of the registry's set as `client`.
    pub async fn cut_version(
        &self,
        r: &Registry,
        client: &reqwest::Client,
        body: Value,
    ) -> (u16, Value) {
        let path = format!("/api/v1/prompt_sets/{}/versions", r.set_id);
        self.call(r, client, reqwest::Method::POST, &path, Some(body))
            .await
    }

    /// Edits the registry's `welcome` prompt as the member; the edit must succeed.
    pub async fn edit_welcome(&self, r: &Registry, body: Value) {
        let path = format!("/api/v1/prompts/{}", r.welcome_id);
        let (s, b) = self
            .call(r, &r.member, reqwest::Method::PATCH, &path, Some(body))
            .await;
        assert_eq!(s, 200, "{b}");
    }

    /// Every row of a table, every column as text: what someone with the database file sees.
    pub async fn dump(&self, table: &str) -> String {
        let backend = self.state.db.get_database_backend();
        let rows = self
            .state
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT * FROM {table}"),
            ))
            .await
            .expect("dump query");
        let mut out = String::new();
        for row in rows {
            for column in row.column_names() {
                let value = row
                    .try_get::<Option<String>>("", &column)
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                out.push_str(&format!("{column}={value} "));
            }
            out.push('\n');
        }
        out
    }

    /// The number of events of one type.
    pub async fn events_of(&self, event_type: &str) -> i64 {
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.state.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM events WHERE event_type = '{event_type}'"),
            ))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count")
    }
}
