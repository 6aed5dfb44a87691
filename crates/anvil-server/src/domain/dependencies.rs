//! Dependencies between prompt sets: a set lists other sets of its organisation with version
//! specs (`common/tone@^1.0`), its prompts render theirs as `{% render 'common/tone/formal' %}`,
//! and a version pins each spec to the exact label it resolved to. Cycles are refused when
//! the list is saved; a set graph that would need two versions of one set is refused when it
//! is pinned (like a lock file, a render sees one version of each set).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anvil_core::address::Address;
use anvil_core::partials::SetPartials;
use anvil_core::render::PromptEngine;
use anvil_core::snapshot::{PinnedDependency, Snapshot};
use anvil_core::version::{self, Label};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::{Error, Result, versions};
use crate::domain::entities::{project, prompt_set, version as version_entity};

pub const MAX_DEPENDENCIES: usize = 20;
/// Sets one render may reach through dependencies, its own included.
pub const MAX_SETS_IN_GRAPH: usize = 50;

/// A set by `project/set` slugs within an organisation (live ones only).
pub async fn find_set<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    project_slug: &str,
    set_slug: &str,
) -> Result<Option<(project::Model, prompt_set::Model)>> {
    let Some(p) = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(org_id))
        .filter(project::Column::Slug.eq(project_slug))
        .filter(project::Column::ArchivedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let s = prompt_set::Entity::find()
        .filter(prompt_set::Column::OrganisationId.eq(org_id))
        .filter(prompt_set::Column::ProjectId.eq(p.id.clone()))
        .filter(prompt_set::Column::Slug.eq(set_slug))
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .one(conn)
        .await?;
    Ok(s.map(|s| (p, s)))
}

/// The dependency addresses a set's working copy lists.
pub fn listed(set: &prompt_set::Model) -> Vec<String> {
    serde_json::from_value(set.dependencies.clone()).unwrap_or_default()
}

/// The version a spec picks among a set's versions and channels.
async fn resolve_spec<C: ConnectionTrait>(
    conn: &C,
    set: &prompt_set::Model,
    spec: &version::VersionSpec,
) -> std::result::Result<version_entity::Model, String> {
    versions::resolve_spec(conn, &set.id, spec)
        .await
        .map_err(|e| e.to_string())?
        .map(|(v, _)| v)
}

/// A parsed dependency address, or why it is not one.
fn parse(text: &str) -> std::result::Result<(Address, version::VersionSpec), String> {
    let a = Address::parse(text.trim()).map_err(|e| e.to_string())?;
    if a.organisation.is_some() {
        return Err("dependencies stay inside the organisation; drop the '@org/' part".into());
    }
    if a.prompt.is_some() {
        return Err("names a prompt; a dependency is a prompt set (project/set@spec)".into());
    }
    let Some(spec) = a.spec.clone() else {
        return Err("needs a version spec (like common/tone@^1.0)".into());
    };
    Ok((a, spec))
}

/// Checks a dependency list for `set` before it is saved: each entry an address of another
/// set of the organisation with a spec that resolves now, no set twice, no cycle.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    set: &prompt_set::Model,
    project_slug: &str,
    list: &[String],
) -> Result<Vec<String>> {
    if list.len() > MAX_DEPENDENCIES {
        return Err(Error::invalid(
            "dependencies",
            format!("at most {MAX_DEPENDENCIES} dependencies"),
        ));
    }
    let field = |i: usize| format!("dependencies[{i}]");
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let (a, spec) = parse(text).map_err(|e| Error::invalid(&field(i), e))?;
        let name = format!("{}/{}", a.project, a.prompt_set);
        if !seen.insert(name.clone()) {
            return Err(Error::invalid(&field(i), format!("lists {name} twice")));
        }
        let Some((_, target)) =
            find_set(conn, &set.organisation_id, &a.project, &a.prompt_set).await?
        else {
            return Err(Error::invalid(&field(i), format!("no prompt set {name}")));
        };
        if target.id == set.id {
            return Err(Error::invalid(&field(i), "a set cannot depend on itself"));
        }
        resolve_spec(conn, &target, &spec)
            .await
            .map_err(|e| Error::invalid(&field(i), format!("{name}: {e}")))?;
        if let Some(path) = path_back(conn, set, &target).await? {
            let mut names = vec![format!("{project_slug}/{}", set.slug)];
            names.extend(path);
            return Err(Error::invalid(
                &field(i),
                format!("would make a dependency cycle: {}", names.join(" -> ")),
            ));
        }
        out.push(text.trim().to_string());
    }
    Ok(out)
}

/// A path of set names from `from` back to `to` through working-copy dependency lists.
async fn path_back<C: ConnectionTrait>(
    conn: &C,
    to: &prompt_set::Model,
    from: &prompt_set::Model,
) -> Result<Option<Vec<String>>> {
    // Depth-first over (set, path so far); bounded by the graph size limit.
    let mut stack: Vec<(prompt_set::Model, Vec<String>)> = Vec::new();
    let project_of = |s: &prompt_set::Model| s.project_id.clone();
    let slug_path = |p: &str, s: &prompt_set::Model| format!("{p}/{}", s.slug);
    let start_project = project::Entity::find_by_id(project_of(from))
        .one(conn)
        .await?
        .map(|p| p.slug)
        .unwrap_or_default();
    stack.push((from.clone(), vec![slug_path(&start_project, from)]));
    let mut visited = HashSet::new();
    while let Some((s, path)) = stack.pop() {
        if !visited.insert(s.id.clone()) || visited.len() > MAX_SETS_IN_GRAPH {
            continue;
        }
        for text in listed(&s) {
            let Ok((a, _)) = parse(&text) else { continue };
            let Some((_, next)) =
                find_set(conn, &to.organisation_id, &a.project, &a.prompt_set).await?
            else {
                continue;
            };
            let mut p = path.clone();
            p.push(format!("{}/{}", a.project, a.prompt_set));
            if next.id == to.id {
                return Ok(Some(p));
            }
            stack.push((next, p));
        }
    }
    Ok(None)
}

/// Pins a working copy's dependencies: each spec resolved to an exact label now.
pub async fn pin<C: ConnectionTrait>(
    conn: &C,
    set: &prompt_set::Model,
) -> Result<Vec<PinnedDependency>> {
    let mut out = Vec::new();
    for (i, text) in listed(set).into_iter().enumerate() {
        let field = format!("dependencies[{i}]");
        let (a, spec) = parse(&text).map_err(|e| Error::invalid(&field, e))?;
        let name = format!("{}/{}", a.project, a.prompt_set);
        let Some((_, target)) =
            find_set(conn, &set.organisation_id, &a.project, &a.prompt_set).await?
        else {
            return Err(Error::invalid(&field, format!("no prompt set {name}")));
        };
        let v = resolve_spec(conn, &target, &spec)
            .await
            .map_err(|e| Error::invalid(&field, format!("{name}: {e}")))?;
        out.push(PinnedDependency {
            address: text,
            resolved: v.label,
        });
    }
    Ok(out)
}

/// Every template a snapshot's prompts may render: its own (as `top`, `project/set`) and
/// those of its pinned dependencies, transitively through their versions' own pins.
pub async fn partials<C: ConnectionTrait>(
    conn: &C,
    engine: &PromptEngine,
    org_id: &str,
    top: &str,
    snapshot: &Snapshot,
) -> Result<SetPartials> {
    let mut out = SetPartials::new(top);
    let parse = |set: &str, slug: &str, template: &str| {
        engine.parse(template).map(Arc::new).map_err(|e| {
            Error::invalid(
                &format!("prompts.{slug}.template"),
                format!("{set}/{slug}: {e}"),
            )
        })
    };
    for (slug, p) in &snapshot.prompts {
        out.insert(top, slug, parse(top, slug, &p.template)?);
    }
    // Which label each set is pinned at, to refuse two versions of one set.
    let mut pinned: HashMap<String, String> = HashMap::new();
    pinned.insert(top.to_string(), String::new());
    let mut queue: Vec<PinnedDependency> = snapshot.dependencies.clone();
    while let Some(dep) = queue.pop() {
        let (a, _) = parse_pinned(&dep)?;
        let name = format!("{}/{}", a.project, a.prompt_set);
        match pinned.get(&name) {
            Some(l) if l == &dep.resolved => continue,
            Some(l) if l.is_empty() => continue,
            Some(l) => {
                return Err(Error::invalid(
                    "dependencies",
                    format!(
                        "{name} is needed at both {l} and {}; pin one version of it",
                        dep.resolved
                    ),
                ));
            }
            None => {}
        }
        if pinned.len() >= MAX_SETS_IN_GRAPH {
            return Err(Error::invalid(
                "dependencies",
                format!("reach more than {MAX_SETS_IN_GRAPH} prompt sets"),
            ));
        }
        pinned.insert(name.clone(), dep.resolved.clone());
        let Some((_, set)) = find_set(conn, org_id, &a.project, &a.prompt_set).await? else {
            return Err(Error::invalid(
                "dependencies",
                format!("{name} is gone (archived or never existed)"),
            ));
        };
        let label = Label::parse(&dep.resolved).map_err(|e| Error::invalid("dependencies", e))?;
        let v = versions::find_by_label(conn, &set.id, &label)
            .await?
            .ok_or_else(|| {
                Error::invalid("dependencies", format!("{name} has no version {label}"))
            })?;
        let snap = versions::snapshot_of(&v)?;
        for (slug, p) in &snap.prompts {
            out.insert(&name, slug, parse(&name, slug, &p.template)?);
        }
        queue.extend(snap.dependencies);
    }
    Ok(out)
}

fn parse_pinned(dep: &PinnedDependency) -> Result<(Address, version::VersionSpec)> {
    parse(&dep.address).map_err(|e| Error::Internal(format!("stored dependency: {e}")))
}

/// The dependency list as stored.
pub fn to_json(list: &[String]) -> Value {
    serde_json::to_value(list).unwrap_or(Value::Array(vec![]))
}

/// The dependency list as stored, read back (a malformed row reads as no dependencies).
pub fn from_json(stored: &Value) -> Vec<String> {
    stored
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}
