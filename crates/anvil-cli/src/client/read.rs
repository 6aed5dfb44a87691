//! Reading: `anvil get`, `render`, `versions`, `diff`.

use std::io::Write;
use std::path::PathBuf;

use anvil_core::params::ParamType;
use serde_json::{Map, Value, json};

use super::{Failure, Outcome, Output, set_address, set_id, text};

/// `anvil get ADDRESS`: a set (`project/set@spec`) or one prompt (`.../prompt`).
pub async fn get(address: &str, out: Output) -> Outcome {
    let anvil = super::connect()?;
    let names_prompt = anvil_core::address::Address::parse(address)
        .map_err(|e| Failure::Usage(format!("'{address}' is not an address: {e}")))?
        .prompt
        .is_some();
    if names_prompt {
        let p = anvil.get_prompt(address).await?;
        if out.json {
            out.json(&serde_json::to_value(&p).unwrap_or_default());
            return Ok(());
        }
        println!(
            "{} {} (version {}, {})",
            out.bold(&p.slug),
            p.content.name,
            p.resolved_version,
            p.checksum
        );
        if !p.content.description.is_empty() {
            println!("{}", p.content.description);
        }
        if !p.content.parameters.is_empty() {
            println!();
            parameters_table(&p.content.parameters, out);
        }
        println!("\n{}", p.content.template);
        return Ok(());
    }
    let set = anvil.get_set(address).await?;
    if out.json {
        out.json(&serde_json::to_value(&set).unwrap_or_default());
        return Ok(());
    }
    println!(
        "{}@{} {} ({})",
        out.bold(&set.address),
        set.resolved_version,
        set.name,
        set.checksum
    );
    if set.yanked {
        println!("{}", out.paint("31", "this version is yanked"));
    }
    for d in &set.dependencies {
        println!("depends on {} (pinned {})", d.address, d.resolved);
    }
    println!();
    let rows: Vec<Vec<String>> = set
        .prompts
        .iter()
        .map(|(slug, p)| {
            vec![
                slug.clone(),
                p.name.clone(),
                p.parameters
                    .iter()
                    .map(|x| x.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    out.table(&["PROMPT", "NAME", "PARAMETERS"], &rows);
    Ok(())
}

fn parameters_table(params: &[anvil_core::params::Parameter], out: Output) {
    let rows: Vec<Vec<String>> = params
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                serde_json::to_value(p.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                if p.required { "yes" } else { "no" }.to_string(),
                p.default
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                p.description.clone(),
            ]
        })
        .collect();
    out.table(
        &["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"],
        &rows,
    );
}

/// `--var name=value` read by the parameter's type (`--var count=3`, `--var tags='["a"]'`); a
/// variable the prompt does not declare is a string.
fn typed(value: &str, kind: Option<ParamType>, name: &str) -> Result<Value, Failure> {
    kind.unwrap_or(ParamType::String)
        .read_text(value)
        .map_err(|e| Failure::Usage(format!("--var {name}: {e}")))
}

/// `anvil render ADDRESS --var k=v --vars file.json`: standard output is exactly the text.
pub async fn render(
    address: &str,
    vars: &[String],
    vars_file: Option<PathBuf>,
    out: Output,
) -> Outcome {
    let anvil = super::connect()?;
    let mut variables = Map::new();
    if let Some(path) = vars_file {
        let bytes = std::fs::read(&path)
            .map_err(|e| Failure::Usage(format!("--vars {}: {e}", path.display())))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => variables.extend(m),
            Ok(_) => {
                return Err(Failure::Usage(format!(
                    "--vars {}: must hold a JSON object",
                    path.display()
                )));
            }
            Err(e) => {
                return Err(Failure::Usage(format!("--vars {}: {e}", path.display())));
            }
        }
    }
    if !vars.is_empty() {
        let prompt = anvil.get_prompt(address).await?;
        for v in vars {
            let (name, value) = v
                .split_once('=')
                .ok_or_else(|| Failure::Usage(format!("--var '{v}' must be name=value")))?;
            let kind = prompt
                .content
                .parameters
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.kind);
            variables.insert(name.to_string(), typed(value, kind, name)?);
        }
    }
    let r = anvil.render(address, Value::Object(variables)).await?;
    if out.json {
        out.json(&serde_json::to_value(&r).unwrap_or_default());
        return Ok(());
    }
    if r.is_fallback {
        eprintln!(
            "anvil: the forge could not be reached; rendered {} from the last answer held",
            r.resolved_version
        );
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(r.text.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| Failure::Server(format!("cannot write the text: {e}")))
}

/// `anvil versions SET`: its versions, newest first, and its channels.
pub async fn versions(address: &str, out: Output) -> Outcome {
    let (project, set) = set_address(address)?;
    let anvil = super::connect()?;
    let id = set_id(&anvil, &project, &set).await?;
    let versions = anvil
        .api()
        .get_all(&format!("/prompt_sets/{id}/versions"), "versions")
        .await?;
    let channels = anvil
        .api()
        .get_all(&format!("/prompt_sets/{id}/channels"), "channels")
        .await?;
    if out.json {
        out.json(&json!({"versions": versions, "channels": channels}));
        return Ok(());
    }
    if versions.is_empty() {
        println!("{address} has no versions yet: `anvil publish {address}` cuts the first");
    } else {
        let rows: Vec<Vec<String>> = versions
            .iter()
            .map(|v| {
                let on: Vec<&str> = channels
                    .iter()
                    .filter(|c| c["version"] == v["label"])
                    .map(|c| text(c, "name"))
                    .collect();
                vec![
                    text(v, "label").to_string(),
                    text(v, "created_at").to_string(),
                    if v["yanked"] == true { "yanked" } else { "" }.to_string(),
                    on.join(", "),
                    text(v, "description").to_string(),
                ]
            })
            .collect();
        out.table(
            &["VERSION", "CREATED", "YANKED", "CHANNELS", "DESCRIPTION"],
            &rows,
        );
    }
    Ok(())
}

/// `anvil diff SET A B`: what changed from A to B (labels, or `working`), per prompt.
pub async fn diff(address: &str, from: &str, to: &str, out: Output) -> Outcome {
    let (project, set) = set_address(address)?;
    let anvil = super::connect()?;
    let id = set_id(&anvil, &project, &set).await?;
    let d = anvil
        .api()
        .get(&format!(
            "/prompt_sets/{id}/diff?from={}&to={}",
            query(from),
            query(to)
        ))
        .await?;
    if out.json {
        out.json(&d);
        return Ok(());
    }
    let set_fields: Vec<&str> = d["fields_changed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str())
        .collect();
    let prompts = d["prompts"].as_array().cloned().unwrap_or_default();
    if set_fields.is_empty() && prompts.is_empty() {
        println!("{address}: {from} and {to} are the same");
        return Ok(());
    }
    println!("{}", out.bold(&format!("{address}: {from} → {to}")));
    if !set_fields.is_empty() {
        println!("set: {} changed", set_fields.join(", "));
    }
    for p in &prompts {
        let mark = match text(p, "change") {
            "added" => out.paint("32", "+"),
            "removed" => out.paint("31", "-"),
            _ => out.paint("33", "~"),
        };
        println!("\n{mark} {}", out.bold(text(p, "slug")));
        let params = &p["parameters"];
        for (key, sign, color) in [("added", "+", "32"), ("removed", "-", "31")] {
            for x in params[key].as_array().into_iter().flatten() {
                println!("  {} parameter {}", out.paint(color, sign), text(x, "name"));
            }
        }
        for x in params["changed"].as_array().into_iter().flatten() {
            println!("  {} parameter {}", out.paint("33", "~"), text(x, "name"));
        }
        for f in p["fields_changed"].as_array().into_iter().flatten() {
            println!("  {} changed", f.as_str().unwrap_or(""));
        }
        if p["metadata_changed"] == true {
            println!("  metadata changed");
        }
        print_runs(
            p["template_diff"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            out,
        );
    }
    Ok(())
}

/// Template line runs as a unified-style listing; long unchanged runs are shortened.
fn print_runs(runs: &[Value], out: Output) {
    if !runs.iter().any(|r| r["op"] != "equal") {
        return;
    }
    for r in runs {
        let lines: Vec<&str> = text(r, "text").lines().collect();
        match text(r, "op") {
            "insert" => lines
                .iter()
                .for_each(|l| println!("{}", out.paint("32", &format!("  + {l}")))),
            "delete" => lines
                .iter()
                .for_each(|l| println!("{}", out.paint("31", &format!("  - {l}")))),
            _ if lines.len() > 6 => {
                lines[..2].iter().for_each(|l| println!("    {l}"));
                println!("    … {} unchanged lines", lines.len() - 4);
                lines[lines.len() - 2..]
                    .iter()
                    .for_each(|l| println!("    {l}"));
            }
            _ => lines.iter().for_each(|l| println!("    {l}")),
        }
    }
}

/// A label or `working` as a query value (labels may hold `+`).
pub fn query(v: &str) -> String {
    v.replace('%', "%25")
        .replace('+', "%2B")
        .replace('&', "%26")
        .replace(' ', "%20")
}
