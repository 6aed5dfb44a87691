//! `GET /api/v1/events`: replay and live delivery without gaps or duplicates, filters, who
//! sees what, heartbeats, and the ends of a stream (revoked credential, shutdown).

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Registry, TestApp, spawn_app, spawn_app_with};

/// One message of an event stream.
#[derive(Debug)]
struct Message {
    id: i64,
    event: String,
    data: Value,
}

/// An open event stream, read line by line.
struct Stream {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>,
    >,
    buffer: String,
    comments: Vec<String>,
    /// The id of the last id-only message (where a fresh stream says it starts).
    announced: Option<i64>,
}

impl Stream {
    async fn open(request: reqwest::RequestBuilder) -> Stream {
        let res = request.send().await.expect("request");
        assert_eq!(res.status(), 200, "{:?}", res.text().await);
        Stream::of(res)
    }

    fn of(res: reqwest::Response) -> Stream {
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Stream {
            body: Box::pin(res.bytes_stream()),
            buffer: String::new(),
            comments: Vec::new(),
            announced: None,
        }
    }

    /// The next message within `wait`; `None` if none came. Panics if the stream ended.
    async fn next(&mut self, wait: Duration) -> Option<Message> {
        match tokio::time::timeout(wait, self.read()).await {
            Ok(Some(m)) => Some(m),
            Ok(None) => panic!("the stream ended"),
            Err(_) => None,
        }
    }

    /// Reads until a message; `None` when the stream ends.
    async fn read(&mut self) -> Option<Message> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        self.comments.push(c.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if let (Some(id), None, true) = (id, &event, data.is_empty()) {
                    self.announced = Some(id);
                }
                if let (Some(id), Some(event)) = (id, event) {
                    return Some(Message {
                        id,
                        event,
                        data: serde_json::from_str(&data).expect("data is JSON"),
                    });
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Every message until none comes for `quiet`.
    async fn drain(&mut self, quiet: Duration) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(m) = self.next(quiet).await {
            out.push(m);
        }
        out
    }

    /// Whether the stream ends within `wait` (messages before the end are dropped).
    async fn ends_within(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, async { while self.read().await.is_some() {} })
            .await
            .is_ok()
    }
}

const QUIET: Duration = Duration::from_millis(400);
const SOON: Duration = Duration::from_secs(3);

fn events_url(app: &TestApp, query: &str) -> String {
    app.url(&format!("/api/v1/events{query}"))
}

/// A stream of the registry's organisation as `client` (a signed-in browser).
async fn open_as(app: &TestApp, r: &Registry, client: &reqwest::Client, query: &str) -> Stream {
    Stream::open(
        client
            .get(events_url(app, query))
            .header("x-anvil-organisation", &r.org_id),
    )
    .await
}

async fn edit_welcome(app: &TestApp, r: &Registry, text: &str) {
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
async fn replay_then_live_then_resume_with_no_gap_and_no_duplicate() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let mut stream = open_as(&app, &r, &r.owner, "?since=0").await;
    let replayed = stream.drain(QUIET).await;
    assert!(
        replayed.iter().any(|m| m.event == "project.created"),
        "{replayed:?}"
    );
    let first = &replayed[0];
    assert_eq!(first.data["id"], first.id);
    assert_eq!(first.data["type"], first.event.as_str());
    assert_eq!(first.data["organisation_id"], r.org_id.as_str());
    assert!(first.data["occurred_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first.data["actor"]["type"], "user");
    assert!(first.data["payload"].is_object());

    // Live: an edit arrives once, after everything replayed.
    edit_welcome(&app, &r, "Hi {{ customer_name }}").await;
    let live = stream.next(SOON).await.expect("the edit arrives");
    assert_eq!(live.event, "prompt.updated");
    assert_eq!(live.data["payload"]["prompt_id"], r.welcome_id.as_str());
    drop(stream);

    // Missed while away, then resumed with Last-Event-ID: exactly the missed ones.
    for i in 0..3 {
        edit_welcome(&app, &r, &format!("Edit {i} {{{{ customer_name }}}}")).await;
    }
    let mut resumed = Stream::open(
        r.owner
            .get(events_url(&app, ""))
            .header("x-anvil-organisation", &r.org_id)
            .header("last-event-id", live.id.to_string()),
    )
    .await;
    let missed = resumed.drain(QUIET).await;
    assert_eq!(missed.len(), 3, "{missed:?}");
    let mut ids: Vec<i64> = replayed.iter().map(|m| m.id).collect();
    ids.push(live.id);
    ids.extend(missed.iter().map(|m| m.id));
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in order, once: {ids:?}"
    );
    let total = app
        .count(&format!("events WHERE organisation_id = '{}'", r.org_id))
        .await;
    assert_eq!(
        ids.len() as i64,
        total,
        "every event of the organisation, once"
    );
}

#[tokio::test]
async fn a_fresh_stream_says_where_it_starts_so_an_early_reconnect_loses_nothing() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let mut fresh = open_as(&app, &r, &r.owner, "").await;
    assert!(
        fresh.drain(QUIET).await.is_empty(),
        "no replay without since"
    );
    let start = fresh.announced.expect("an id-only message first");
    let newest = app
        .count(&format!("events WHERE organisation_id = '{}'", r.org_id))
        .await;
    assert!(
        start >= newest,
        "it starts at the newest event ({start}, {newest})"
    );
    drop(fresh);
    // Gone before any event reached it; what happened meanwhile replays from that id.
    edit_welcome(&app, &r, "One {{ customer_name }}").await;
    edit_welcome(&app, &r, "Two {{ customer_name }}").await;
    let mut back = Stream::open(
        r.owner
            .get(events_url(&app, ""))
            .header("x-anvil-organisation", &r.org_id)
            .header("last-event-id", start.to_string()),
    )
    .await;
    let missed = back.drain(QUIET).await;
    assert_eq!(
        missed.iter().map(|m| m.event.as_str()).collect::<Vec<_>>(),
        vec!["prompt.updated", "prompt.updated"]
    );
}

#[tokio::test]
async fn events_racing_the_replay_are_neither_lost_nor_doubled() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let writer = {
        let (app_url, client, org, id) = (
            app.url(""),
            r.member.clone(),
            r.org_id.clone(),
            r.welcome_id.clone(),
        );
        tokio::spawn(async move {
            for i in 0..20 {
                let res = client
                    .patch(format!("{app_url}/api/v1/prompts/{id}"))
                    .header("x-anvil-organisation", &org)
                    .json(&json!({"template": format!("Race {i} {{{{ customer_name }}}}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
            }
        })
    };
    let mut stream = open_as(&app, &r, &r.owner, "?since=0&types=prompt.updated").await;
    writer.await.unwrap();
    let got = stream.drain(Duration::from_secs(1)).await;
    let ids: Vec<i64> = got.iter().map(|m| m.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let edits = app
        .count(&format!(
            "events WHERE organisation_id = '{}' AND event_type = 'prompt.updated'",
            r.org_id
        ))
        .await;
    assert_eq!(ids.len() as i64, edits);
    assert!(edits >= 20);
}

#[tokio::test]
async fn types_and_project_filter_the_stream() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let mut channels = open_as(
        &app,
        &r,
        &r.owner,
        "?since=0&types=channel.*,version.created",
    )
    .await;
    let mut other_project = open_as(&app, &r, &r.owner, "?since=0&project=support").await;
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/versions", r.set_id),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert!(s == 200 || s == 201);
    let got: Vec<String> = channels
        .drain(QUIET)
        .await
        .into_iter()
        .map(|m| m.event)
        .collect();
    assert!(
        got.iter()
            .all(|t| t.starts_with("channel.") || t == "version.created"),
        "{got:?}"
    );
    assert!(got.contains(&"version.created".to_string()), "{got:?}");
    assert!(got.iter().any(|t| t.starts_with("channel.")), "{got:?}");
    let in_project = other_project.drain(QUIET).await;
    assert!(
        in_project
            .iter()
            .all(|m| m.data["project_id"] == r.project_id.as_str()),
        "{in_project:?}"
    );
    for bad in [
        "?types=*",
        "?since=-1",
        "?since=x",
        "?project=nope",
        "?colour=red",
    ] {
        let res = r
            .owner
            .get(events_url(&app, bad))
            .header("x-anvil-organisation", &r.org_id)
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 400 || res.status() == 404 || res.status() == 422,
            "{bad}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn members_see_content_owners_also_membership_and_tokens_their_project() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let mut member = open_as(&app, &r, &r.member, "?since=0").await;
    let mut owner = open_as(&app, &r, &r.owner, "?since=0").await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/projects/{}/access_tokens", r.project_id),
            Some(json!({"name": "app"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["access_token"]["token"].as_str().unwrap().to_string();
    let token_id = b["access_token"]["id"].as_str().unwrap().to_string();
    let mut as_token = Stream::open(
        reqwest::Client::new()
            .get(events_url(&app, "?since=0"))
            .bearer_auth(&token),
    )
    .await;
    // A token may name its own project by id or slug (as an SDK does), no other.
    for (project, status) in [
        (r.project_id.as_str(), 200),
        ("support", 200),
        ("elsewhere", 404),
    ] {
        let res = reqwest::Client::new()
            .get(events_url(&app, &format!("?project={project}&since=0")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{project}");
    }
    let member_types: Vec<String> = member
        .drain(QUIET)
        .await
        .into_iter()
        .map(|m| m.event)
        .collect();
    let owner_types: Vec<String> = owner
        .drain(QUIET)
        .await
        .into_iter()
        .map(|m| m.event)
        .collect();
    assert!(
        owner_types.iter().any(|t| t.starts_with("member.")),
        "{owner_types:?}"
    );
    assert!(
        !member_types.iter().any(|t| t.starts_with("member.")),
        "{member_types:?}"
    );
    assert!(member_types.iter().any(|t| t == "prompt.created"));
    // A token sees its project's versions and channels, nothing else.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/versions", r.set_id),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(s, 201);
    edit_welcome(&app, &r, "After the cut {{ customer_name }}").await;
    let token_types: Vec<String> = as_token
        .drain(QUIET)
        .await
        .into_iter()
        .map(|m| m.event)
        .collect();
    assert_eq!(token_types, vec!["version.created".to_string()]);
    // Revoking the token ends its stream.
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::DELETE,
            &format!("/api/v1/access_tokens/{token_id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert!(
        as_token.ends_within(SOON).await,
        "a revoked token's stream ends"
    );
}

#[tokio::test]
async fn a_revoked_keys_stream_ends_and_the_key_is_refused_after() {
    let app = spawn_app().await;
    let r = app.registry().await;
    let (s, b) = app
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/api_keys",
            Some(json!({"name": "sdk", "scopes": ["read"], "organisation_id": r.org_id})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let key = b["api_key"]["key"].as_str().unwrap().to_string();
    let key_id = b["api_key"]["id"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let mut stream = Stream::open(client.get(events_url(&app, "")).bearer_auth(&key)).await;
    edit_welcome(&app, &r, "Seen by the key {{ customer_name }}").await;
    assert_eq!(stream.next(SOON).await.unwrap().event, "prompt.updated");
    let (s, _) = app
        .call(
            &r,
            &r.owner,
            Method::DELETE,
            &format!("/api/v1/api_keys/{key_id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert!(stream.ends_within(SOON).await);
    let res = client
        .get(events_url(&app, ""))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn idle_streams_get_heartbeats_and_end_on_shutdown() {
    let mut app = spawn_app_with(|c| c.events_heartbeat_seconds = 1).await;
    let r = app.registry().await;
    let mut stream = open_as(&app, &r, &r.owner, "").await;
    assert!(stream.next(Duration::from_millis(2500)).await.is_none());
    assert!(
        stream.comments.iter().filter(|c| *c == "heartbeat").count() >= 2,
        "{:?}",
        stream.comments
    );
    let started = std::time::Instant::now();
    app.shut_down();
    assert!(
        stream.ends_within(SOON).await,
        "the stream ends on shutdown"
    );
    assert!(started.elapsed() < SOON);
}

/// Two forges on one PostgreSQL: what is written on A reaches B's caches and B's streams
/// through LISTEN/NOTIFY within a second, and a key revoked on A is refused by B.
#[tokio::test]
async fn a_second_instance_sees_changes_within_a_second() {
    let a = spawn_app().await;
    let Some(b) = a.another_instance().await else {
        return; // SQLite is single-instance.
    };
    let r = a.registry().await;
    let (s, body) = a
        .call(
            &r,
            &r.owner,
            Method::POST,
            "/api/v1/api_keys",
            Some(json!({"name": "sdk", "scopes": ["read"], "organisation_id": r.org_id})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let key = body["api_key"]["key"].as_str().unwrap().to_string();
    let key_id = body["api_key"]["id"].as_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let address = "/api/v1/resolve/support/emails@production/welcome";
    let on_b = |path: &str| client.get(b.url(path)).bearer_auth(&key);

    // B answers (and caches) the working copy before the change.
    let res = on_b("/api/v1/resolve/support/emails/welcome")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut stream = Stream::open(on_b("/api/v1/events")).await;

    edit_welcome(&a, &r, "Edited on A {{ customer_name }}").await;
    let cut = a
        .call(
            &r,
            &r.owner,
            Method::POST,
            &format!("/api/v1/prompt_sets/{}/versions", r.set_id),
            Some(json!({"label": "1.0.0"})),
        )
        .await;
    assert_eq!(cut.0, 201);
    let moved = a
        .call(
            &r,
            &r.owner,
            Method::PUT,
            &format!("/api/v1/prompt_sets/{}/channels/production", r.set_id),
            Some(json!({"version": "1.0.0"})),
        )
        .await;
    assert!(moved.0 == 200 || moved.0 == 201);
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    while seen.len() < 3 && started.elapsed() < Duration::from_secs(1) {
        if let Some(m) = stream.next(Duration::from_millis(100)).await {
            seen.push(m.event);
        }
    }
    assert_eq!(
        seen,
        vec!["prompt.updated", "version.created", "channel.moved"],
        "B's stream within a second"
    );
    let working = on_b("/api/v1/resolve/support/emails/welcome")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        working["prompt"]["template"]
            .as_str()
            .unwrap()
            .starts_with("Edited on A"),
        "{working}"
    );
    let res = on_b(address).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // A key revoked on A is refused by B within a second, not after its cache TTL.
    let (s, _) = a
        .call(
            &r,
            &r.owner,
            Method::DELETE,
            &format!("/api/v1/api_keys/{key_id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let started = std::time::Instant::now();
    loop {
        let status = on_b("/api/v1/resolve/support/emails/welcome")
            .send()
            .await
            .unwrap()
            .status();
        if status == 401 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B still accepts the revoked key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
