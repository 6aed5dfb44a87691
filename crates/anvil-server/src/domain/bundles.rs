//! Bundles out (`anvil.bundle/v1`, see `anvil_core::bundle`): a set at a spec with its pinned
//! dependencies, or every set of a project with its channels. Entries are built from the
//! versions as stored, so an entry's `version.checksum` is the version's checksum here.

use std::collections::{BTreeMap, HashSet};

use anvil_core::bundle::{Bundle, BundleChannel, BundleSet, BundleVersion, Source};
use anvil_core::version::{Label, VersionSpec};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use time::format_description::well_known::Rfc3339;

use super::delivery::Reader;
use super::dependencies::{MAX_SETS_IN_GRAPH, find_set};
use super::entities::{organisation, project, prompt_set, version};
use super::{Error, Result, now, versions};

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn parse_spec(raw: Option<&str>) -> Result<VersionSpec> {
    VersionSpec::parse(raw.unwrap_or("stable")).map_err(|e| Error::invalid("version", e))
}

/// The entry of `set` (of `project`) at version `v`.
fn entry(
    project: &project::Model,
    set: &prompt_set::Model,
    v: &version::Model,
) -> Result<BundleSet> {
    let snap = versions::snapshot_of(v)?;
    Ok(BundleSet {
        project: project.slug.clone(),
        slug: set.slug.clone(),
        name: snap.name,
        description: snap.description,
        version: BundleVersion {
            label: v.label.clone(),
            description: v.description.clone(),
            created_at: rfc3339(v.created_at),
            checksum: v.checksum.clone(),
        },
        dependencies: snap.dependencies,
        prompts: snap.prompts,
        channels: None,
    })
}

async fn organisation_slug<C: ConnectionTrait>(conn: &C, reader: &Reader) -> Result<String> {
    organisation::Entity::find_by_id(reader.organisation_id().to_string())
        .one(conn)
        .await?
        .map(|o| o.slug)
        .ok_or_else(|| Error::NotFound("organisation not found".into()))
}

async fn project_of<C: ConnectionTrait>(
    conn: &C,
    reader: &Reader,
    id: &str,
) -> Result<project::Model> {
    let p = project::Entity::find_by_id(id.to_string())
        .filter(project::Column::OrganisationId.eq(reader.organisation_id().to_string()))
        .filter(project::Column::ArchivedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(|| Error::NotFound("project not found".into()))?;
    match reader {
        Reader::Token(t) if t.project_id != p.id => {
            Err(Error::NotFound("project not found".into()))
        }
        _ => Ok(p),
    }
}

/// Adds the entries every entry of `out` depends on, at their pinned versions, transitively
/// (each set once: a set pinned at two versions cannot be in one bundle and was refused when
/// the version was cut).
async fn add_dependencies<C: ConnectionTrait>(
    conn: &C,
    organisation_id: &str,
    out: &mut Vec<BundleSet>,
) -> Result<()> {
    let mut have: HashSet<String> = out.iter().map(BundleSet::address).collect();
    let mut i = 0;
    while i < out.len() {
        let deps = out[i].dependencies.clone();
        i += 1;
        for dep in deps {
            let a = anvil_core::Address::parse(&dep.address)
                .map_err(|e| Error::Internal(format!("stored dependency: {e}")))?;
            let name = format!("{}/{}", a.project, a.prompt_set);
            if !have.insert(name.clone()) {
                continue;
            }
            if have.len() > MAX_SETS_IN_GRAPH {
                return Err(Error::Internal("dependency graph exceeds its bound".into()));
            }
            let Some((p, s)) = find_set(conn, organisation_id, &a.project, &a.prompt_set).await?
            else {
                return Err(Error::conflict(
                    "dependencies",
                    format!("{name} is pinned by the bundle but is gone (archived or purged)"),
                ));
            };
            let label = Label::parse(&dep.resolved)
                .map_err(|e| Error::Internal(format!("stored pin: {e}")))?;
            let v = versions::find_by_label(conn, &s.id, &label)
                .await?
                .ok_or_else(|| {
                    Error::conflict("dependencies", format!("{name} has no version {label}"))
                })?;
            out.push(entry(&p, &s, &v)?);
        }
    }
    Ok(())
}

/// One set at `spec` (default `stable`) with its pinned dependencies.
pub async fn of_set<C: ConnectionTrait>(
    conn: &C,
    reader: &Reader,
    instance: &str,
    set_id: &str,
    spec: Option<&str>,
) -> Result<Bundle> {
    let spec = parse_spec(spec)?;
    let set = reader.set(conn, set_id).await?;
    let project = project_of(conn, reader, &set.project_id).await?;
    let (v, _) = versions::resolve_spec(conn, &set.id, &spec)
        .await?
        .map_err(|why| Error::NotFound(format!("{}/{}@{spec}: {why}", project.slug, set.slug)))?;
    let mut sets = vec![entry(&project, &set, &v)?];
    add_dependencies(conn, &set.organisation_id, &mut sets).await?;
    Ok(Bundle::new(
        rfc3339(now()),
        Source {
            instance: instance.to_string(),
            organisation: organisation_slug(conn, reader).await?,
            project: project.slug,
        },
        sets,
    ))
}

/// Every live set of a project at `spec` (sets with no version it matches are left out),
/// with each set's channels and the sets of other projects they depend on.
pub async fn of_project<C: ConnectionTrait>(
    conn: &C,
    reader: &Reader,
    instance: &str,
    project_id: &str,
    spec: Option<&str>,
) -> Result<Bundle> {
    let spec = parse_spec(spec)?;
    let project = project_of(conn, reader, project_id).await?;
    let sets = prompt_set::Entity::find()
        .filter(prompt_set::Column::OrganisationId.eq(project.organisation_id.clone()))
        .filter(prompt_set::Column::ProjectId.eq(project.id.clone()))
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .order_by_asc(prompt_set::Column::Slug)
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for set in &sets {
        let Ok((v, _)) = versions::resolve_spec(conn, &set.id, &spec).await? else {
            continue;
        };
        let mut e = entry(&project, set, &v)?;
        let mut channels = BTreeMap::new();
        for c in super::channels::of_set(conn, &set.id).await? {
            channels.insert(
                c.channel.name.clone(),
                BundleChannel {
                    version: c.label.clone(),
                    protected: c.channel.protected,
                },
            );
        }
        e.channels = Some(channels);
        out.push(e);
    }
    add_dependencies(conn, &project.organisation_id, &mut out).await?;
    Ok(Bundle::new(
        rfc3339(now()),
        Source {
            instance: instance.to_string(),
            organisation: organisation_slug(conn, reader).await?,
            project: project.slug,
        },
        out,
    ))
}

/// An entity tag for a bundle's content: its entries and channels, not the export time.
pub fn etag(b: &Bundle) -> String {
    let mut v = serde_json::to_value(&b.prompt_sets).unwrap_or_default();
    if let Some(a) = v.as_array_mut() {
        for e in a {
            if let Some(o) = e.as_object_mut() {
                o.remove("prompts");
            }
        }
    }
    let sum = anvil_core::canonical::checksum(&v);
    let hex = sum.trim_start_matches("sha256:");
    format!("\"b-{}\"", hex.get(..32).unwrap_or(hex))
}
