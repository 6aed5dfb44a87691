//! `anvil sync DIR` (a persisted cache for offline use) and `anvil watch PROJECT`.

use std::path::Path;

use serde_json::json;

use super::{Failure, Outcome, Output};

/// `anvil sync DIR [ADDRESS...]`: refreshes every spec the cache directory holds (and adds
/// the addresses given), in the format the SDKs read at start, so an application pointed at
/// DIR renders offline.
pub async fn sync(dir: &Path, addresses: &[String], out: Output) -> Outcome {
    let login = super::credentials::current()?;
    let anvil = anvil_sdk::Client::builder()
        .base_url(&login.url)
        .api_key(&login.api_key)
        .persistence_dir(dir)
        .mode(anvil_sdk::Mode::Frozen)
        .build()?;
    for p in anvil.problems() {
        eprintln!("anvil: ignored {p}");
    }
    let mut added = Vec::new();
    for a in addresses {
        let set = anvil.get_set(a).await?;
        added.push(json!({"address": a, "version": set.resolved_version}));
    }
    let changes = anvil.sync().await?;
    let problems = anvil.problems();
    if out.json {
        let changed: Vec<_> = changes
            .iter()
            .map(|c| json!({"address": c.address, "from": c.from, "to": c.to}))
            .collect();
        out.json(&json!({"added": added, "changed": changed, "problems": problems}));
    } else {
        for a in &added {
            println!(
                "cached {} at {}",
                a["address"].as_str().unwrap_or(""),
                a["version"].as_str().unwrap_or("")
            );
        }
        for c in &changes {
            println!("{}: {} → {}", c.address, c.from, c.to);
        }
        if changes.is_empty() && added.is_empty() {
            println!("{} is up to date", dir.display());
        }
    }
    if let Some(p) = problems.first() {
        return Err(Failure::Server(format!("could not write the cache: {p}")));
    }
    Ok(())
}

/// `anvil watch PROJECT`: prints the project's events as they happen, until interrupted.
pub async fn watch(project: &str, out: Output) -> Outcome {
    let anvil = super::connect()?;
    let mut live = anvil.subscribe(project).await?;
    // On standard error even with --json: a script learns the stream is open.
    eprintln!("watching {project} (Ctrl-C to stop)");
    loop {
        let event = tokio::select! {
            e = live.next() => e,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(e) = event else {
            return Err(Failure::Server(
                "the forge ended the stream: the key was revoked or lost its access (`anvil whoami`)"
                    .into(),
            ));
        };
        if out.json {
            out.json(&serde_json::to_value(&e).unwrap_or_default());
            continue;
        }
        let p = &e.payload;
        let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
        let detail = match e.kind.as_str() {
            k if k.starts_with("channel.") => format!(
                "{} {} → {}",
                s("channel"),
                p["from"].as_str().unwrap_or("none"),
                p["to"].as_str().unwrap_or("none")
            ),
            k if k.starts_with("version.") => format!("{} {}", s("label"), s("checksum")),
            _ => s("slug"),
        };
        println!("{} {} {}", e.occurred_at, out.bold(&e.kind), detail);
    }
}
