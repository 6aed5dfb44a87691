//! Mail through SMTP, against a minimal SMTP server on a local port.

use std::sync::{Arc, Mutex};

use anvil_server::config::Secret;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::spawn_app_with;

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
