//! The `anvil` binary as an operator uses it.

// Test code may panic on broken expectations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn anvil() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_anvil"));
    // The test must not pick up a developer's configuration.
    for (k, _) in std::env::vars() {
        if k.starts_with("ANVIL_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "anvil-cli-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_with_stdin(mut cmd: Command, input: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn config_default_prints_a_commented_example() {
    let out = anvil().args(["config", "--default"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bind = \"127.0.0.1:4000\""));
    assert!(text.lines().any(|l| l.starts_with('#')));
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let out = anvil()
        .args(["config"])
        .env("ANVIL_BIND", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("ANVIL_BIND"), "{err}");
    let out = anvil()
        .args(["config"])
        .env("ANVIL_ENV", "production")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("public_url")
    );
}

#[test]
fn admin_creates_users_and_resets_passwords_then_serve_signs_them_in() {
    let dir = temp_dir("admin");
    let data = dir.to_str().unwrap();
    let out = anvil()
        .args(["migrate", "--data-dir", data])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut cmd = anvil();
    cmd.args([
        "admin",
        "create-user",
        "--email",
        "root@acme.test",
        "--owner-of",
        "acme",
        "--data-dir",
        data,
    ]);
    let out = run_with_stdin(cmd, "correct horse battery\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("owner of acme"));

    let mut cmd = anvil();
    cmd.args([
        "admin",
        "create-user",
        "--email",
        "weak@acme.test",
        "--data-dir",
        data,
    ]);
    let out = run_with_stdin(cmd, "short\n");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password"),
        "names the problem"
    );

    let mut cmd = anvil();
    cmd.args([
        "admin",
        "reset-password",
        "--email",
        "root@acme.test",
        "--data-dir",
        data,
    ]);
    let out = run_with_stdin(cmd, "a brand new passphrase\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Serve on a free port and sign in with the new password.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = anvil()
        .args([
            "serve",
            "--data-dir",
            data,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let res = client
            .post(format!("{base}/api/v1/auth/sign_in"))
            .json(&serde_json::json!({"email": "root@acme.test", "password": "a brand new passphrase"}))
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    });
    // SIGTERM: the forge shuts down gracefully and exits successfully.
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let status = server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(result, 200);
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[test]
fn flags_beat_environment_beats_the_file() {
    let dir = temp_dir("precedence");
    let file = dir.join("anvil.toml");
    std::fs::write(
        &file,
        "bind = \"127.0.0.1:1111\"\nlog_format = \"json\"\nregistration_enabled = false\n",
    )
    .unwrap();
    let out = anvil()
        .args(["--config", file.to_str().unwrap(), "config"])
        .env("ANVIL_BIND", "127.0.0.1:2222")
        .output()
        .unwrap();
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shown.contains("127.0.0.1:2222"), "env beats file: {shown}");
    assert!(
        shown.contains("registration_enabled: false"),
        "file beats defaults: {shown}"
    );
    assert!(shown.contains("Json"), "{shown}");
    std::fs::write(&file, "bnid = \"x\"\n").unwrap();
    let out = anvil()
        .args(["--config", file.to_str().unwrap(), "config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bnid"));
    let _ = std::fs::remove_dir_all(&dir);
}

mod client;
