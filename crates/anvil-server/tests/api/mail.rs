//! Mail through SMTP, against a minimal SMTP server on a local port.

use std::sync::{Arc, Mutex};

use anvil_server::config::Secret;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{spawn_app, spawn_app_with};

/// Accepts SMTP sessions and keeps each message's DATA.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 test ESMTP\r\n").await.ok()?;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(buf) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(data.take().unwrap_or_default());
                            w.write_all(b"250 queued\r\n").await.ok()?;
                        } else {
                            buf.push_str(&line);
                            buf.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.ok()?;
                            return Some(());
                        }
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(reply).await.ok()?;
                }
                Some(())
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn with_smtp_configured_mail_goes_out_over_smtp() {
    let (port, received) = smtp_server().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        c.mail_from = "Anvil <forge@acme.test>".into();
    })
    .await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.jobs_settled().await;
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("To: ada@example.com"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("From: Anvil <forge@acme.test>"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("Token: "), "{}", messages[0]);
    let outbox = anvil_server::domain::mail::outbox_dir(&app.state.config.data_dir);
    assert!(!outbox.exists(), "no outbox when SMTP is configured");
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_dead_smtp_server_neither_fails_requests_nor_reveals_accounts() {
    let port = closed_port().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    let res = app
        .post(
            &app.client,
            "/api/v1/auth/register",
            json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), 201, "registration does not wait for mail");
    for email in ["ada@example.com", "nobody@example.com"] {
        for path in ["/api/v1/auth/magic_link", "/api/v1/auth/password_reset"] {
            let res = app.post(&app.client, path, json!({"email": email})).await;
            assert_eq!(res.status(), 202, "{path} for {email}");
            assert_eq!(
                res.text().await.unwrap(),
                r#"{"status":"accepted"}"#,
                "the same answer for every address"
            );
        }
    }
    // Every request queued one job, known address or not.
    assert_eq!(app.count("jobs").await, 5);
    // The worker tries, fails against the closed port, and schedules retries with the error.
    let mut waited = 0;
    while app
        .count("jobs WHERE status = 'running' OR attempts = 0")
        .await
        > 0
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 200, "the worker did not try the jobs");
    }
    assert_eq!(
        app.count("jobs WHERE status = 'pending' AND attempts >= 1")
            .await,
        3,
        "mail for the account is retried later (confirmation, link, reset)"
    );
    // Jobs for the unknown address ran and sent nothing: done, with no error.
    assert_eq!(app.count("jobs WHERE status = 'done'").await, 2);
    assert_eq!(
        app.count("one_time_tokens WHERE email = 'nobody@example.com'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_job_left_running_by_a_dead_instance_runs_again_when_its_lease_ends() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let job = json!({"kind": "mail", "message": {"to": "ada@example.com", "subject": "Left over", "body": "Token: left-over\n"}});
    let stmt = sea_orm::Statement::from_sql_and_values(
        app.state.db.get_database_backend(),
        match app.state.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "INSERT INTO jobs (id, kind, payload, status, attempts, run_at, locked_until, created_at, updated_at) VALUES ($1, 'mail', $2, 'running', 1, $3, $3, $3, $3)"
            }
            _ => {
                "INSERT INTO jobs (id, kind, payload, status, attempts, run_at, locked_until, created_at, updated_at) VALUES (?1, 'mail', ?2, 'running', 1, ?3, ?3, ?3, ?3)"
            }
        },
        [
            anvil_server::domain::ids::new_id().into(),
            job.into(),
            (time::OffsetDateTime::now_utc() - time::Duration::minutes(10)).into(),
        ],
    );
    app.state.db.execute_raw(stmt).await.unwrap();
    app.state.jobs.wake();
    assert_eq!(app.mailed_token("ada@example.com").await, "left-over");
    assert_eq!(
        app.count("jobs WHERE status = 'done' AND attempts = 2")
            .await,
        1
    );
}
