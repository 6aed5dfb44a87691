//! Writing: `anvil publish`, `export`, `import`.

use std::path::Path;

use anvil_sdk::api::{Body, Method};
use serde_json::{Value, json};

use super::read::query;
use super::{Failure, Outcome, Output, set_address, set_id, text};

/// `anvil publish SET [--label L] [--description D] [--channel C]`: cuts a version of the
/// working copy (the forge suggests the label when none is given) and moves a channel to it.
pub async fn publish(
    address: &str,
    label: Option<String>,
    description: Option<String>,
    channel: Option<String>,
    out: Output,
) -> Outcome {
    let (project, set) = set_address(address)?;
    let anvil = super::connect()?;
    let id = set_id(&anvil, &project, &set).await?;
    let mut body = serde_json::Map::new();
    if let Some(l) = label {
        body.insert("label".into(), Value::String(l));
    }
    if let Some(d) = description {
        body.insert("description".into(), Value::String(d));
    }
    let cut = anvil
        .api()
        .send(
            Method::POST,
            &format!("/prompt_sets/{id}/versions"),
            Some(Body::Json(Value::Object(body))),
        )
        .await?;
    let version = &cut["version"];
    let label = text(version, "label").to_string();
    let mut moved = Value::Null;
    if let Some(c) = &channel {
        moved = anvil
            .api()
            .send(
                Method::PUT,
                &format!("/prompt_sets/{id}/channels/{}", query(c)),
                Some(Body::Json(json!({"version": label}))),
            )
            .await
            .map_err(|e| {
                Failure::from(e).with_note(&format!(
                    "version {label} was published; the channel was not moved"
                ))
            })?;
    }
    if out.json {
        out.json(&json!({"version": version, "channel": moved["channel"]}));
        return Ok(());
    }
    println!(
        "published {address}@{label} ({})",
        text(version, "checksum")
    );
    if let Some(c) = channel {
        println!("{c} → {label}");
    }
    Ok(())
}

/// `anvil export ADDRESS -o FILE`: a project's bundle (`support`), or one set's
/// (`support/emails`, at its newest version, or `support/emails@1.2.0`).
pub async fn export(address: &str, file: &Path, out: Output) -> Outcome {
    let anvil = super::connect()?;
    let bar = out.progress(1, &format!("exporting {address}"));
    let bytes = match address.split_once('/') {
        None => {
            let id = super::project_id(&anvil, address).await?;
            anvil
                .api()
                .get_bytes(&format!("/projects/{id}/bundle"))
                .await?
        }
        Some(_) => {
            let (set_part, version) = match address.split_once('@') {
                Some((s, v)) => (s, Some(v)),
                None => (address, None),
            };
            let (project, set) = set_address(set_part)?;
            let id = set_id(&anvil, &project, &set).await?;
            let path = match version {
                Some(v) => format!("/prompt_sets/{id}/bundle?version={}", query(v)),
                None => format!("/prompt_sets/{id}/bundle"),
            };
            anvil.api().get_bytes(&path).await?
        }
    };
    bar.finish_and_clear();
    // Verify before writing: a file that would not import is not written.
    let bundle = anvil_core::bundle::Bundle::parse(&bytes)
        .map_err(|e| Failure::Server(format!("the forge's bundle does not verify: {e}")))?;
    let write = |to: &Path| {
        let tmp = to.with_extension("anvil-tmp");
        std::fs::write(&tmp, &bytes).and_then(|_| std::fs::rename(&tmp, to))
    };
    if file == Path::new("-") {
        use std::io::Write;
        std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| Failure::Server(e.to_string()))?;
        return Ok(());
    }
    write(file).map_err(|e| Failure::Usage(format!("cannot write {}: {e}", file.display())))?;
    if out.json {
        out.json(&json!({"file": file, "sets": bundle.prompt_sets.len(), "checksum": bundle.checksum, "bytes": bytes.len()}));
    } else {
        println!(
            "wrote {} ({} sets, {} bytes, {})",
            file.display(),
            bundle.prompt_sets.len(),
            bytes.len(),
            bundle.checksum
        );
    }
    Ok(())
}

/// `anvil import FILE [--dry-run] [--on-conflict fail|skip|rename] [--project P]`.
pub async fn import(
    file: &Path,
    dry_run: bool,
    on_conflict: &str,
    project: Option<String>,
    out: Output,
) -> Outcome {
    let bytes = std::fs::read(file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    // The same checks the forge makes first, so a damaged file fails here, clearly.
    let bundle = anvil_core::bundle::Bundle::parse(&bytes)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", file.display())))?;
    let anvil = super::connect()?;
    let mut path = format!(
        "/bundles/import?on_conflict={}&dry_run={dry_run}",
        query(on_conflict)
    );
    if let Some(p) = project {
        path.push_str(&format!("&project={}", query(&p)));
    }
    let bar = out.progress(
        bundle.prompt_sets.len() as u64,
        &format!("importing {}", file.display()),
    );
    let answer = anvil
        .api()
        .send(
            Method::POST,
            &path,
            Some(Body::Bytes(bytes, "application/json")),
        )
        .await;
    bar.finish_and_clear();
    let answer = match answer {
        Err(anvil_sdk::Error::Refused {
            status: 409,
            message,
            ..
        }) => {
            return Err(Failure::Invalid(format!(
                "{message}\n(nothing was imported: pass --on-conflict skip to keep what is there, or rename to import it beside)"
            )));
        }
        other => other?,
    };
    let report = &answer["report"];
    if out.json {
        out.json(report);
        return Ok(());
    }
    let list = |key: &str| -> Vec<Value> { report[key].as_array().cloned().unwrap_or_default() };
    let verb = if dry_run { "would import" } else { "imported" };
    for (key, what) in [
        ("created", verb),
        ("skipped", "skipped"),
        ("conflicts", "conflict"),
    ] {
        for i in list(key) {
            let note = i["note"]
                .as_str()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            println!("{what}: {}@{}{note}", text(&i, "set"), text(&i, "version"));
        }
    }
    if dry_run {
        println!("dry run: nothing was written");
    }
    Ok(())
}
