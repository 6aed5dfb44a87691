//! The client commands against real forges (in this process, SQLite, free ports), run as a
//! user runs them: the built `anvil` binary with its exit codes, stdout and files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use super::{anvil, run_with_stdin, temp_dir};

/// A forge on a runtime thread of its own, with `support/emails@1.0.0` on production, and
/// an API key of its owner.
struct Forge {
    url: String,
    key: String,
    emails: String,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    _dir: TempDir,
    /// With `ANVIL_TEST_POSTGRES_URL`: the forge's own database, dropped with it.
    _postgres: Option<anvil_server::db::scratch::ScratchDatabase>,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Forge {
    fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.rt.block_on(async {
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
        })
    }

    fn start(with_set: bool) -> Forge {
        let dir = temp_dir("forge");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let postgres = rt
            .block_on(anvil_server::db::scratch::ScratchDatabase::from_env())
            .unwrap();
        let config = anvil_server::config::Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.clone(),
            database_url: postgres
                .as_ref()
                .map(|p| anvil_server::config::Secret::new(p.url.clone())),
            shutdown_grace_seconds: 1,
            ..anvil_server::config::Config::default()
        };
        let url = rt.block_on(async {
            let f = anvil_server::Forge::build(config).await.unwrap();
            let url = format!("http://{}", f.local_addr().unwrap());
            tokio::spawn(async move {
                let _ = f.run_until(std::future::pending::<()>()).await;
            });
            url
        });
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let mut forge = Forge {
            url,
            key: String::new(),
            emails: String::new(),
            rt,
            http,
            _dir: TempDir(dir),
            _postgres: postgres,
        };
        use reqwest::Method;
        forge.call(
            Method::POST,
            "/auth/register",
            json!({"email": "cli@example.com", "password": "correct horse battery"}),
        );
        let support = forge.call(Method::POST, "/projects", json!({"name": "Support"}))["project"]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        if with_set {
            let emails = forge.call(
                Method::POST,
                &format!("/projects/{support}/prompt_sets"),
                json!({"name": "Emails", "description": "Customer mail"}),
            )["prompt_set"]["id"]
                .as_str()
                .unwrap()
                .to_string();
            for p in [
                json!({"name": "Welcome", "template": "Hello {{ customer_name }}, you have {{ count }} new messages.",
                       "description": "First mail",
                       "parameters": [{"name": "customer_name", "type": "string", "required": true, "description": "Full name"},
                                      {"name": "count", "type": "integer", "default": 0}],
                       "metadata": {"model": "small", "temperature": 0.2}}),
                json!({"name": "Footer", "template": "-- {{ team | default: 'Support' }}\n",
                       "parameters": [{"name": "team", "type": "string"}]}),
            ] {
                forge.call(Method::POST, &format!("/prompt_sets/{emails}/prompts"), p);
            }
            forge.call(
                Method::POST,
                &format!("/prompt_sets/{emails}/versions"),
                json!({"label": "1.0.0"}),
            );
            forge.call(
                Method::PUT,
                &format!("/prompt_sets/{emails}/channels/production"),
                json!({"version": "1.0.0"}),
            );
            forge.emails = emails;
        }
        forge.key = forge.call(
            Method::POST,
            "/api_keys",
            json!({"name": "cli", "scopes": ["read", "write"]}),
        )["api_key"]["key"]
            .as_str()
            .unwrap()
            .to_string();
        forge
    }

    /// `anvil ARGS` as this forge's user (the environment's login).
    fn anvil(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = anvil();
        c.args(args)
            .env("ANVIL_URL", &self.url)
            .env("ANVIL_API_KEY", &self.key)
            .stdin(Stdio::null());
        c
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
    stdout(o)
}

#[track_caller]
fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Every file under `dir`, relative, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn login_stores_the_key_privately_and_whoami_reads_it() {
    let f = Forge::start(false);
    let home = temp_dir("home");
    let mut login = anvil();
    login
        .args(["login", &f.url])
        .env("XDG_CONFIG_HOME", &home)
        .env("HOME", &home);
    let o = run_with_stdin(login, &format!("{}\n", f.key));
    assert!(ok(&o).contains("cli@example.com"));
    let stored = home.join("anvil").join("credentials.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&stored).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is the user's alone");
    }
    let o = anvil()
        .args(["whoami"])
        .env("XDG_CONFIG_HOME", &home)
        .env("HOME", &home)
        .output()
        .unwrap();
    let who = ok(&o);
    assert!(
        who.contains("cli@example.com") && who.contains(&f.url),
        "{who}"
    );

    // A key the forge refuses is not stored.
    let other = temp_dir("home2");
    let mut bad = anvil();
    bad.args(["login", &f.url])
        .env("XDG_CONFIG_HOME", &other)
        .env("HOME", &other);
    let o = run_with_stdin(bad, "ank_live_wrong\n");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!other.join("anvil").join("credentials.toml").exists());
    // Nothing stored and no environment: a usage error that says what to do.
    let o = anvil()
        .args(["whoami"])
        .env("XDG_CONFIG_HOME", &other)
        .env("HOME", &other)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("anvil login"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(home);
    let _ = std::fs::remove_dir_all(other);
}

#[test]
fn render_prints_exactly_the_text_and_exit_codes_say_what_failed() {
    let f = Forge::start(true);
    let o = f.anvil(&[
        "render",
        "support/emails@production/welcome",
        "--var",
        "customer_name=Ada",
        "--var",
        "count=3",
    ]);
    assert_eq!(ok(&o), "Hello Ada, you have 3 new messages.");
    // --vars from a file; --var is read by the parameter's type, so 3 is an integer above
    // and "x" is refused here.
    let vars = temp_dir("vars").join("vars.json");
    std::fs::write(&vars, r#"{"customer_name": "Grace"}"#).unwrap();
    let o = f.anvil(&[
        "render",
        "support/emails/welcome",
        "--vars",
        vars.to_str().unwrap(),
    ]);
    assert_eq!(ok(&o), "Hello Grace, you have 0 new messages.");
    let o = f.anvil(&["render", "support/emails/welcome", "--var", "count=x"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = f.anvil(&["render", "support/emails/welcome"]);
    assert_eq!(code(&o), 4, "a missing required variable: {}", stderr(&o));
    assert!(stderr(&o).contains("customer_name"), "{}", stderr(&o));
    let o = f.anvil(&["render", "support/nope/welcome"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let o = f.anvil(&["render", "not an address"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = f.anvil(&["render", "--json", "support/emails@1.0.0/footer"]);
    let v: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(v["text"], "-- Support\n");
    assert_eq!(v["resolved_version"], "1.0.0");
    // A forge that is not there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let o = f
        .command(&["render", "support/emails/footer"])
        .env("ANVIL_URL", &nowhere)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains(&nowhere), "{}", stderr(&o));

    // get and versions, for people and for scripts.
    let o = f.anvil(&["get", "support/emails@production"]);
    let shown = ok(&o);
    assert!(
        shown.contains("welcome") && shown.contains("1.0.0"),
        "{shown}"
    );
    let o = f.anvil(&["get", "--json", "support/emails@production/welcome"]);
    let v: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(v["content"]["parameters"][0]["name"], "customer_name");
    let o = f.anvil(&["versions", "support/emails"]);
    let listed = ok(&o);
    assert!(
        listed.contains("1.0.0") && listed.contains("production"),
        "{listed}"
    );
    let o = f.anvil(&["versions", "support"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn pull_edit_push_pull_reproduces_the_files_and_publish_ships_them() {
    let f = Forge::start(true);
    let first = temp_dir("pull1");
    ok(&f.anvil(&["pull", "support/emails", first.to_str().unwrap()]));
    let set = first.join("emails");
    let toml = std::fs::read_to_string(set.join("anvil.set.toml")).unwrap();
    assert!(
        toml.contains("project = \"support\"") && toml.contains("temperature = 0.2"),
        "{toml}"
    );
    assert_eq!(
        std::fs::read_to_string(set.join("footer.liquid")).unwrap(),
        "-- {{ team | default: 'Support' }}\n"
    );
    // Edit a template and add a prompt.
    std::fs::write(
        set.join("welcome.liquid"),
        "Dear {{ customer_name }}: {{ count }} new.",
    )
    .unwrap();
    std::fs::write(set.join("bye.liquid"), "Bye {{ who }}").unwrap();
    std::fs::write(
        set.join("anvil.set.toml"),
        format!("{toml}\n[prompts.bye]\nname = \"Bye\"\n\n[[prompts.bye.parameters]]\nname = \"who\"\ntype = \"string\"\n"),
    )
    .unwrap();
    // Not at a terminal and no --yes: nothing is pushed.
    let o = f.anvil(&["push", first.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = f.anvil(&["push", "--yes", first.to_str().unwrap()]);
    let said = ok(&o);
    assert!(
        said.contains("welcome: template") && said.contains("+ prompt bye"),
        "{said}"
    );
    // A second push has nothing to do.
    assert!(ok(&f.anvil(&["push", "--yes", first.to_str().unwrap()])).contains("nothing to push"));
    let second = temp_dir("pull2");
    ok(&f.anvil(&["pull", "support/emails", second.to_str().unwrap()]));
    // The TOML is rewritten in the canonical form; compare what pull writes with itself.
    let third = temp_dir("pull3");
    ok(&f.anvil(&["pull", "support", third.to_str().unwrap()]));
    assert_eq!(files(&second), files(&third));
    let welcome = std::fs::read(second.join("emails").join("welcome.liquid")).unwrap();
    assert_eq!(welcome, b"Dear {{ customer_name }}: {{ count }} new.");
    for (name, bytes) in files(&first) {
        if name.ends_with(".liquid") {
            let back = std::fs::read(second.join(&name)).unwrap();
            assert_eq!(back, bytes, "{name} came back byte for byte");
        }
    }

    // The diff of the working copy against 1.0.0, then publish and move production.
    let o = f.anvil(&["diff", "support/emails", "1.0.0", "working"]);
    let d = ok(&o);
    assert!(
        d.contains("+ bye") && d.contains("Dear {{ customer_name }}"),
        "{d}"
    );
    let o = f.anvil(&[
        "publish",
        "support/emails",
        "--label",
        "1.1.0",
        "--channel",
        "production",
    ]);
    assert!(ok(&o).contains("production → 1.1.0"));
    let o = f.anvil(&[
        "render",
        "support/emails@production/bye",
        "--var",
        "who=Ada",
    ]);
    assert_eq!(ok(&o), "Bye Ada");

    // An invalid template in the directory: the forge's validation error, code 4.
    std::fs::write(set.join("bye.liquid"), "Bye {{ who ").unwrap();
    let o = f.anvil(&["push", "--yes", first.to_str().unwrap()]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));

    // The same directory pushed to a second forge (with the project) pulls identically.
    let other = Forge::start(false);
    ok(&other.anvil(&["push", "--yes", second.to_str().unwrap()]));
    let fourth = temp_dir("pull4");
    ok(&other.anvil(&["pull", "support/emails", fourth.to_str().unwrap()]));
    assert_eq!(files(&second), files(&fourth));
    for d in [first, second, third, fourth] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn export_import_sync_and_watch() {
    let f = Forge::start(true);
    let dir = temp_dir("bundles");
    let file = dir.join("support.bundle.json");
    let o = f.anvil(&["export", "support", "-o", file.to_str().unwrap()]);
    assert!(ok(&o).contains("1 sets"));
    let other = Forge::start(false);
    let o = other.anvil(&["import", "--dry-run", file.to_str().unwrap()]);
    assert!(ok(&o).contains("dry run"));
    let o = other.anvil(&["render", "support/emails@1.0.0/footer"]);
    assert_eq!(code(&o), 3, "a dry run writes nothing");
    ok(&other.anvil(&["import", file.to_str().unwrap()]));
    let o = other.anvil(&["render", "support/emails@production/footer"]);
    assert_eq!(ok(&o), "-- Support\n", "channels came with the bundle");
    // A damaged file is refused before it is sent.
    std::fs::write(&file, b"{\"format\": \"anvil.bundle/v9\"}").unwrap();
    let o = other.anvil(&["import", file.to_str().unwrap()]);
    assert_eq!(code(&o), 4, "{}", stderr(&o));

    // sync writes the cache directory the SDK reads at start, and reports what moved.
    let cache = dir.join("cache");
    let o = f.anvil(&["sync", cache.to_str().unwrap(), "support/emails@production"]);
    assert!(ok(&o).contains("1.0.0"));
    assert!(cache.join("index.json").exists());
    let mut watch = f
        .command(&["watch", "--json", "support"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The stream is open once watch says so on stderr.
    let mut err = std::io::BufReader::new(watch.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(line.contains("watching support"), "{line}");
    f.call(
        reqwest::Method::PATCH,
        &format!("/prompt_sets/{}", f.emails),
        json!({"description": "Changed"}),
    );
    f.call(
        reqwest::Method::POST,
        &format!("/prompt_sets/{}/versions", f.emails),
        json!({"label": "1.0.1"}),
    );
    f.call(
        reqwest::Method::PUT,
        &format!("/prompt_sets/{}/channels/production", f.emails),
        json!({"version": "1.0.1"}),
    );
    let mut out = std::io::BufReader::new(watch.stdout.take().unwrap());
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &Value| e["type"] == "channel.moved") {
        let mut l = String::new();
        assert!(std::io::BufRead::read_line(&mut out, &mut l).unwrap() > 0);
        seen.push(serde_json::from_str(&l).unwrap());
    }
    let _ = watch.kill();
    let _ = watch.wait();
    let moved = seen.last().unwrap();
    assert_eq!(moved["payload"]["to"], "1.0.1");
    let o = f.anvil(&["sync", cache.to_str().unwrap()]);
    assert!(ok(&o).contains("support/emails@production: 1.0.0 → 1.0.1"));
    let _ = std::fs::remove_dir_all(dir);
}
