//! `anvil login` and `anvil whoami`: the forge's URL and an API key, stored in the user's
//! configuration directory (`anvil/credentials.toml`, mode 0600), or given by `ANVIL_URL` and
//! `ANVIL_API_KEY` (which take precedence, for CI).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Failure, Outcome, Output, text};

#[derive(Debug, Serialize, Deserialize)]
pub struct Login {
    pub url: String,
    pub api_key: String,
}

fn path() -> Result<PathBuf, Failure> {
    dirs::config_dir()
        .map(|d| d.join("anvil").join("credentials.toml"))
        .ok_or_else(|| {
            Failure::Usage(
                "no configuration directory (set HOME or XDG_CONFIG_HOME, or use ANVIL_URL and ANVIL_API_KEY)"
                    .into(),
            )
        })
}

/// The login to use: the environment's, else the stored one.
pub fn current() -> Result<Login, Failure> {
    let env_url = std::env::var("ANVIL_URL").ok().filter(|s| !s.is_empty());
    let env_key = std::env::var("ANVIL_API_KEY")
        .ok()
        .filter(|s| !s.is_empty());
    let stored = path().ok().and_then(|p| std::fs::read_to_string(p).ok());
    let stored: Option<Login> = match stored {
        Some(text) => Some(toml::from_str(&text).map_err(|e| {
            Failure::Usage(format!(
                "the stored login is damaged ({e}): run `anvil login` again"
            ))
        })?),
        None => None,
    };
    match (env_url, env_key, stored) {
        (Some(url), Some(api_key), _) => Ok(Login { url, api_key }),
        (url, key, Some(s)) => Ok(Login {
            url: url.unwrap_or(s.url),
            api_key: key.unwrap_or(s.api_key),
        }),
        _ => Err(Failure::Usage(
            "not logged in: run `anvil login URL`, or set ANVIL_URL and ANVIL_API_KEY".into(),
        )),
    }
}

fn store(login: &Login) -> Result<PathBuf, Failure> {
    let path = path()?;
    let fail = |e: std::io::Error| Failure::Server(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let body = toml::to_string(login).map_err(|e| Failure::Server(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(fail)?;
    // A file that existed keeps its mode on open: make sure it is the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    file.write_all(body.as_bytes()).map_err(fail)?;
    Ok(path)
}

/// `anvil login [URL]`: checks the key with `/me`, then stores both.
pub async fn login(url: Option<String>, out: Output) -> Outcome {
    let url = url
        .or_else(|| std::env::var("ANVIL_URL").ok())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Failure::Usage("give the forge's URL: anvil login https://forge.example.com".into())
        })?;
    let key = match std::env::var("ANVIL_API_KEY")
        .ok()
        .filter(|k| !k.is_empty())
    {
        Some(k) => k,
        None => {
            if std::io::stdin().is_terminal() {
                eprint!("API key (create one in the web UI or with POST /api/v1/api_keys): ");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::Usage(format!("cannot read the API key: {e}")))?;
            line.trim().to_string()
        }
    };
    if key.is_empty() {
        return Err(Failure::Usage(
            "no API key given (on standard input or in ANVIL_API_KEY)".into(),
        ));
    }
    let anvil = super::build(&url, &key)?;
    let me = anvil.api().get("/me").await?;
    let login = Login {
        url: url.trim_end_matches('/').to_string(),
        api_key: key,
    };
    let path = store(&login)?;
    if out.json {
        out.json(&json!({"url": login.url, "user": me["user"], "stored": path}));
    } else {
        println!(
            "Logged in to {} as {}; the key is stored in {}",
            login.url,
            text(&me["user"], "email"),
            path.display()
        );
    }
    Ok(())
}

/// `anvil whoami`: the account, the key and its organisation.
pub async fn whoami(out: Output) -> Outcome {
    let login = current()?;
    let anvil = super::build(&login.url, &login.api_key)?;
    let me = anvil.api().get("/me").await?;
    if out.json {
        out.json(&json!({"url": login.url, "me": me}));
        return Ok(());
    }
    let user = &me["user"];
    println!(
        "{} <{}> at {}",
        text(user, "name"),
        text(user, "email"),
        login.url
    );
    let key = &me["api_key"];
    let org_id = text(key, "organisation_id");
    if let Some(org) = me["organisations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["id"] == org_id)
    {
        let scopes: Vec<&str> = key["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .collect();
        println!(
            "organisation {} ({}), role {}; key scopes: {}",
            text(org, "name"),
            text(org, "slug"),
            text(org, "role"),
            scopes.join(", ")
        );
    }
    Ok(())
}
