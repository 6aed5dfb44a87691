//! `anvil pull` and `anvil push`: prompt sets as a directory for Git. One folder per set,
//! named by its slug, holding `anvil.set.toml` (the set's project, slug, name, description,
//! dependencies, and per prompt its name, description, parameters, metadata and examples) and
//! one `<prompt>.liquid` file per template, byte for byte. TOML has no null: an absent key is
//! "not set", and a null inside metadata or examples stops the pull, naming the field.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anvil_sdk::api::{Body, Method};
use serde_json::{Map, Value, json};

use super::{Failure, Outcome, Output, id_of, text};

pub const SET_FILE: &str = "anvil.set.toml";

/// A set as the directory holds it.
#[derive(Debug, Clone, PartialEq)]
struct SetTree {
    project: String,
    slug: String,
    name: String,
    description: String,
    dependencies: Vec<String>,
    prompts: BTreeMap<String, PromptTree>,
}

#[derive(Debug, Clone, PartialEq)]
struct PromptTree {
    name: String,
    description: String,
    template: String,
    /// Each parameter as the API takes it, without null fields.
    parameters: Vec<Value>,
    metadata: Value,
    examples: Value,
}

/// JSON as TOML; `at` names the field for the error. With `drop_nulls`, null object fields
/// are left out (a parameter's `default: null` is no default).
fn to_toml(v: &Value, at: &str, drop_nulls: bool) -> Result<toml::Value, String> {
    Ok(match v {
        Value::Null => {
            return Err(format!(
                "{at} is null, which TOML cannot hold: change it on the forge (or remove it) and pull again"
            ));
        }
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| to_toml(x, &format!("{at}[{i}]"), drop_nulls))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut t = toml::Table::new();
            for (k, x) in o {
                if drop_nulls && x.is_null() {
                    continue;
                }
                t.insert(k.clone(), to_toml(x, &format!("{at}.{k}"), drop_nulls)?);
            }
            toml::Value::Table(t)
        }
    })
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A parameter without its null fields and the defaults the forge fills in, so that what the
/// forge answers and what a file says compare equal.
fn normal_parameter(p: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in p.as_object().into_iter().flatten() {
        let default =
            v.is_null() || (k == "description" && v == "") || (k == "required" && v == false);
        if !default {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

impl SetTree {
    fn to_toml(&self) -> Result<String, String> {
        let mut t = toml::Table::new();
        t.insert("project".into(), self.project.clone().into());
        t.insert("slug".into(), self.slug.clone().into());
        t.insert("name".into(), self.name.clone().into());
        if !self.description.is_empty() {
            t.insert("description".into(), self.description.clone().into());
        }
        if !self.dependencies.is_empty() {
            t.insert(
                "dependencies".into(),
                toml::Value::Array(self.dependencies.iter().cloned().map(Into::into).collect()),
            );
        }
        let mut prompts = toml::Table::new();
        for (slug, p) in &self.prompts {
            let at = format!("{}/{}/{slug}", self.project, self.slug);
            let mut pt = toml::Table::new();
            pt.insert("name".into(), p.name.clone().into());
            if !p.description.is_empty() {
                pt.insert("description".into(), p.description.clone().into());
            }
            if !p.parameters.is_empty() {
                pt.insert(
                    "parameters".into(),
                    to_toml(
                        &Value::Array(p.parameters.clone()),
                        &format!("{at} parameters"),
                        true,
                    )?,
                );
            }
            for (key, v) in [("metadata", &p.metadata), ("examples", &p.examples)] {
                if !is_empty(v) {
                    pt.insert(key.into(), to_toml(v, &format!("{at} {key}"), false)?);
                }
            }
            prompts.insert(slug.clone(), toml::Value::Table(pt));
        }
        t.insert("prompts".into(), toml::Value::Table(prompts));
        toml::to_string(&t).map_err(|e| e.to_string())
    }

    /// Writes the folder `dir/<slug>`: the TOML and the templates; `.liquid` files of prompts
    /// the set no longer has are removed, so the folder mirrors the set.
    fn write(&self, dir: &Path) -> Result<PathBuf, Failure> {
        let folder = dir.join(&self.slug);
        let io = |e: std::io::Error, p: &Path| {
            Failure::Usage(format!("cannot write {}: {e}", p.display()))
        };
        std::fs::create_dir_all(&folder).map_err(|e| io(e, &folder))?;
        let toml = self.to_toml().map_err(Failure::Invalid)?;
        let set_file = folder.join(SET_FILE);
        std::fs::write(&set_file, toml).map_err(|e| io(e, &set_file))?;
        for (slug, p) in &self.prompts {
            let f = folder.join(format!("{slug}.liquid"));
            std::fs::write(&f, &p.template).map_err(|e| io(e, &f))?;
        }
        for e in std::fs::read_dir(&folder)
            .map_err(|e| io(e, &folder))?
            .flatten()
        {
            let path = e.path();
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if path.extension().and_then(|x| x.to_str()) == Some("liquid")
                && !self.prompts.contains_key(stem)
            {
                std::fs::remove_file(&path).map_err(|e| io(e, &path))?;
            }
        }
        Ok(folder)
    }

    /// Reads a set folder, naming the file and field of every problem.
    fn read(folder: &Path) -> Result<SetTree, Failure> {
        let set_file = folder.join(SET_FILE);
        let bad = |m: String| Failure::Invalid(format!("{}: {m}", set_file.display()));
        let text = std::fs::read_to_string(&set_file)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", set_file.display())))?;
        let t: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let known = [
            "project",
            "slug",
            "name",
            "description",
            "dependencies",
            "prompts",
        ];
        if let Some(k) = t.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(bad(format!("unknown key '{k}'")));
        }
        let string = |table: &toml::Table, key: &str, required: bool| -> Result<String, Failure> {
            match table.get(key) {
                Some(toml::Value::String(s)) => Ok(s.clone()),
                None if !required => Ok(String::new()),
                None => Err(bad(format!("'{key}' is missing"))),
                Some(_) => Err(bad(format!("'{key}' must be a string"))),
            }
        };
        let dependencies = match t.get("dependencies") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|d| {
                    d.as_str()
                        .map(String::from)
                        .ok_or_else(|| bad("'dependencies' must be strings".into()))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(bad("'dependencies' must be an array of addresses".into())),
        };
        let mut prompts = BTreeMap::new();
        let empty = toml::Table::new();
        let table = match t.get("prompts") {
            None => &empty,
            Some(toml::Value::Table(p)) => p,
            Some(_) => return Err(bad("'prompts' must be a table".into())),
        };
        for (slug, v) in table {
            let toml::Value::Table(pt) = v else {
                return Err(bad(format!("prompts.{slug} must be a table")));
            };
            let pk = ["name", "description", "parameters", "metadata", "examples"];
            if let Some(k) = pt.keys().find(|k| !pk.contains(&k.as_str())) {
                return Err(bad(format!("prompts.{slug}: unknown key '{k}'")));
            }
            let json = |key: &str, empty: Value| -> Value {
                pt.get(key)
                    .and_then(|v| serde_json::to_value(v).ok())
                    .unwrap_or(empty)
            };
            let parameters = match json("parameters", json!([])) {
                Value::Array(a) => a,
                _ => return Err(bad(format!("prompts.{slug}.parameters must be an array"))),
            };
            let tpl = folder.join(format!("{slug}.liquid"));
            let template = std::fs::read_to_string(&tpl).map_err(|e| {
                Failure::Usage(format!(
                    "prompts.{slug} has no template: cannot read {} ({e})",
                    tpl.display()
                ))
            })?;
            prompts.insert(
                slug.clone(),
                PromptTree {
                    name: string(pt, "name", true)?,
                    description: string(pt, "description", false)?,
                    template,
                    parameters,
                    metadata: json("metadata", json!({})),
                    examples: json("examples", json!({})),
                },
            );
        }
        for e in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let path = e.path();
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if path.extension().and_then(|x| x.to_str()) == Some("liquid")
                && !prompts.contains_key(stem)
            {
                return Err(bad(format!(
                    "{} has no [prompts.{stem}] table (give it at least a name)",
                    path.display()
                )));
            }
        }
        Ok(SetTree {
            project: string(&t, "project", true)?,
            slug: string(&t, "slug", true)?,
            name: string(&t, "name", true)?,
            description: string(&t, "description", false)?,
            dependencies,
            prompts,
        })
    }
}

/// A prompt as the API answers it, as the directory holds it.
fn prompt_from_api(p: &Value) -> PromptTree {
    PromptTree {
        name: text(p, "name").to_string(),
        description: text(p, "description").to_string(),
        template: text(p, "template").to_string(),
        parameters: p["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(normal_parameter)
            .collect(),
        metadata: if p["metadata"].is_null() {
            json!({})
        } else {
            p["metadata"].clone()
        },
        examples: if p["examples"].is_null() {
            json!({})
        } else {
            p["examples"].clone()
        },
    }
}

/// The working copy of `project/set` on the forge: the set, its prompts with their ids.
async fn working_copy(
    anvil: &anvil_sdk::Client,
    project: &str,
    set: &str,
) -> Result<Option<(String, SetTree, BTreeMap<String, String>)>, Failure> {
    let found = anvil
        .api()
        .get(&format!("/prompt_sets/by_address/{project}/{set}"))
        .await;
    let s = match found {
        Err(anvil_sdk::Error::NotFound { .. }) => return Ok(None),
        other => other?["prompt_set"].clone(),
    };
    let id = id_of(&s)?;
    let list = anvil
        .api()
        .get_all(&format!("/prompt_sets/{id}/prompts"), "prompts")
        .await?;
    let mut prompts = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for p in &list {
        let slug = text(p, "slug").to_string();
        ids.insert(slug.clone(), id_of(p)?);
        prompts.insert(slug, prompt_from_api(p));
    }
    let tree = SetTree {
        project: project.to_string(),
        slug: text(&s, "slug").to_string(),
        name: text(&s, "name").to_string(),
        description: text(&s, "description").to_string(),
        dependencies: s["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(String::from))
            .collect(),
        prompts,
    };
    Ok(Some((id, tree, ids)))
}

/// `anvil pull ADDRESS DIR`: a project's sets (`support`), one set's working copy
/// (`support/emails`) or one of its versions (`support/emails@1.2.0`, any spec).
pub async fn pull(address: &str, dir: &Path, out: Output) -> Outcome {
    let anvil = super::connect()?;
    let mut trees = Vec::new();
    match address.split_once('/') {
        None => {
            let id = super::project_id(&anvil, address).await?;
            let sets = anvil
                .api()
                .get_all(&format!("/projects/{id}/prompt_sets"), "prompt_sets")
                .await?;
            let bar = out.progress(sets.len() as u64, &format!("pulling {address}"));
            for s in sets {
                if let Some((_, t, _)) = working_copy(&anvil, address, text(&s, "slug")).await? {
                    trees.push(t);
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
        }
        Some((project, rest)) if rest.contains('@') => {
            let set = anvil.get_set(address).await?;
            trees.push(SetTree {
                project: project.to_string(),
                slug: rest.split('@').next().unwrap_or(rest).to_string(),
                name: set.name.clone(),
                description: set.description.clone(),
                dependencies: set.dependencies.iter().map(|d| d.address.clone()).collect(),
                prompts: set
                    .prompts
                    .iter()
                    .map(|(slug, p)| {
                        let v = serde_json::to_value(p).unwrap_or_default();
                        (slug.clone(), prompt_from_api(&v))
                    })
                    .collect(),
            });
        }
        Some(_) => {
            let (project, set) = super::set_address(address)?;
            match working_copy(&anvil, &project, &set).await? {
                Some((_, t, _)) => trees.push(t),
                None => {
                    return Err(Failure::NotFound(format!(
                        "{address}: no such prompt set (`anvil get {project}` lists what exists)"
                    )));
                }
            }
        }
    }
    let mut written = Vec::new();
    for t in &trees {
        written.push(t.write(dir)?);
    }
    if out.json {
        out.json(&json!({"written": written}));
    } else {
        for (t, folder) in trees.iter().zip(&written) {
            println!(
                "pulled {}/{} ({} prompts) into {}",
                t.project,
                t.slug,
                t.prompts.len(),
                folder.display()
            );
        }
    }
    Ok(())
}

/// One change `push` makes.
#[derive(Debug)]
enum Step {
    CreateSet {
        project_id: String,
        body: Value,
    },
    UpdateSet {
        fields: Vec<&'static str>,
        body: Value,
    },
    CreatePrompt {
        slug: String,
        body: Value,
    },
    UpdatePrompt {
        slug: String,
        id: String,
        fields: Vec<&'static str>,
        body: Value,
    },
    DeletePrompt {
        slug: String,
        id: String,
    },
}

fn prompt_body(slug: &str, p: &PromptTree) -> Value {
    json!({
        "name": p.name, "slug": slug, "description": p.description, "template": p.template,
        "parameters": p.parameters, "metadata": p.metadata, "examples": p.examples,
    })
}

/// What `push` of one folder changes on the forge.
async fn plan(anvil: &anvil_sdk::Client, local: &SetTree) -> Result<(String, Vec<Step>), Failure> {
    let address = format!("{}/{}", local.project, local.slug);
    let mut steps = Vec::new();
    let Some((_, remote, ids)) = working_copy(anvil, &local.project, &local.slug).await? else {
        let p = anvil
            .api()
            .get(&format!("/projects/by_slug/{}", local.project))
            .await
            .map_err(|e| match e {
                anvil_sdk::Error::NotFound { .. } => Failure::NotFound(format!(
                    "{address}: project '{}' does not exist on this forge; create it first (push creates sets, not projects)",
                    local.project
                )),
                other => other.into(),
            })?;
        steps.push(Step::CreateSet {
            project_id: id_of(&p["project"])?,
            body: json!({"name": local.name, "slug": local.slug, "description": local.description, "dependencies": local.dependencies}),
        });
        for (slug, p) in &local.prompts {
            steps.push(Step::CreatePrompt {
                slug: slug.clone(),
                body: prompt_body(slug, p),
            });
        }
        return Ok((address, steps));
    };
    let mut fields = Vec::new();
    let mut body = Map::new();
    if local.name != remote.name {
        fields.push("name");
        body.insert("name".into(), json!(local.name));
    }
    if local.description != remote.description {
        fields.push("description");
        body.insert("description".into(), json!(local.description));
    }
    if local.dependencies != remote.dependencies {
        fields.push("dependencies");
        body.insert("dependencies".into(), json!(local.dependencies));
    }
    if !fields.is_empty() {
        steps.push(Step::UpdateSet {
            fields,
            body: Value::Object(body),
        });
    }
    for (slug, p) in &local.prompts {
        let Some(r) = remote.prompts.get(slug) else {
            steps.push(Step::CreatePrompt {
                slug: slug.clone(),
                body: prompt_body(slug, p),
            });
            continue;
        };
        let mut fields = Vec::new();
        let mut body = Map::new();
        let local_params: Vec<Value> = p.parameters.iter().map(normal_parameter).collect();
        let pairs: [(&'static str, Value, Value); 6] = [
            ("name", json!(p.name), json!(r.name)),
            ("description", json!(p.description), json!(r.description)),
            ("template", json!(p.template), json!(r.template)),
            ("parameters", json!(local_params), json!(r.parameters)),
            ("metadata", p.metadata.clone(), r.metadata.clone()),
            ("examples", p.examples.clone(), r.examples.clone()),
        ];
        for (field, ours, theirs) in pairs {
            if ours != theirs {
                fields.push(field);
                body.insert(field.into(), ours);
            }
        }
        if !fields.is_empty() {
            steps.push(Step::UpdatePrompt {
                slug: slug.clone(),
                id: ids.get(slug).cloned().unwrap_or_default(),
                fields,
                body: Value::Object(body),
            });
        }
    }
    for slug in remote.prompts.keys() {
        if !local.prompts.contains_key(slug) {
            steps.push(Step::DeletePrompt {
                slug: slug.clone(),
                id: ids.get(slug).cloned().unwrap_or_default(),
            });
        }
    }
    Ok((address, steps))
}

fn describe(step: &Step, out: Output) -> String {
    match step {
        Step::CreateSet { .. } => format!("{} create the set", out.paint("32", "+")),
        Step::UpdateSet { fields, .. } => {
            format!("{} set: {}", out.paint("33", "~"), fields.join(", "))
        }
        Step::CreatePrompt { slug, .. } => format!("{} prompt {slug}", out.paint("32", "+")),
        Step::UpdatePrompt { slug, fields, .. } => {
            format!(
                "{} prompt {slug}: {}",
                out.paint("33", "~"),
                fields.join(", ")
            )
        }
        Step::DeletePrompt { slug, .. } => {
            format!(
                "{} prompt {slug} (not in the directory)",
                out.paint("31", "-")
            )
        }
    }
}

/// The set folders under `dir`: `dir` itself when it holds `anvil.set.toml`, else each
/// folder in it that does.
fn set_folders(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    if dir.join(SET_FILE).exists() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut folders: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(SET_FILE).exists())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(Failure::Usage(format!(
            "{} holds no prompt set (no {SET_FILE}); `anvil pull` writes one",
            dir.display()
        )));
    }
    Ok(folders)
}

/// `anvil push DIR [--yes]`: makes the working copy of each set in DIR what the directory
/// says, after showing what will change. Never cuts a version (`anvil publish` does).
pub async fn push(dir: &Path, yes: bool, out: Output) -> Outcome {
    let anvil = super::connect()?;
    let mut plans = Vec::new();
    for folder in set_folders(dir)? {
        let local = SetTree::read(&folder)?;
        plans.push(plan(&anvil, &local).await?);
    }
    let total: usize = plans.iter().map(|(_, s)| s.len()).sum();
    if total == 0 {
        if out.json {
            out.json(&json!({"changed": []}));
        } else {
            println!(
                "nothing to push: the forge's working copies match {}",
                dir.display()
            );
        }
        return Ok(());
    }
    if !out.json {
        for (address, steps) in &plans {
            if !steps.is_empty() {
                println!("{}", out.bold(address));
                for s in steps {
                    println!("  {}", describe(s, out));
                }
            }
        }
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(
                "push changes the forge: pass --yes to confirm when not at a terminal".into(),
            ));
        }
        eprint!("push these {total} changes? [y/N] ");
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            eprintln!("nothing pushed");
            return Ok(());
        }
    }
    let bar = out.progress(total as u64, "pushing");
    let mut done = Vec::new();
    for (address, steps) in plans {
        let (project, slug) = super::set_address(&address)?;
        let mut set_id = super::set_id(&anvil, &project, &slug).await.ok();
        for step in steps {
            let api = anvil.api();
            let sid = set_id.clone().unwrap_or_default();
            let result = match &step {
                Step::CreateSet { project_id, body } => api
                    .send(
                        Method::POST,
                        &format!("/projects/{project_id}/prompt_sets"),
                        Some(Body::Json(body.clone())),
                    )
                    .await
                    .map(|v| set_id = v["prompt_set"]["id"].as_str().map(String::from)),
                Step::UpdateSet { body, .. } => api
                    .send(
                        Method::PATCH,
                        &format!("/prompt_sets/{sid}"),
                        Some(Body::Json(body.clone())),
                    )
                    .await
                    .map(drop),
                Step::CreatePrompt { body, .. } => api
                    .send(
                        Method::POST,
                        &format!("/prompt_sets/{sid}/prompts"),
                        Some(Body::Json(body.clone())),
                    )
                    .await
                    .map(drop),
                Step::UpdatePrompt { id, body, .. } => api
                    .send(
                        Method::PATCH,
                        &format!("/prompts/{id}"),
                        Some(Body::Json(body.clone())),
                    )
                    .await
                    .map(drop),
                Step::DeletePrompt { id, .. } => api
                    .send(Method::DELETE, &format!("/prompts/{id}"), None)
                    .await
                    .map(drop),
            };
            bar.inc(1);
            if let Err(e) = result {
                bar.finish_and_clear();
                let what = describe(
                    &step,
                    Output {
                        json: false,
                        color: false,
                    },
                );
                let note = format!(
                    "{address}: stopped at '{what}'; {} earlier changes were made (`anvil push` again after fixing it)",
                    done.len()
                );
                let f = Failure::from(e).with_note(&note);
                return Err(f);
            }
            done.push(json!({"set": address, "change": describe(&step, Output { json: false, color: false })}));
        }
    }
    bar.finish_and_clear();
    if out.json {
        out.json(&json!({"changed": done}));
    } else {
        println!(
            "pushed {} changes (the working copies; `anvil publish SET` cuts a version)",
            done.len()
        );
    }
    Ok(())
}
