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

/// The spec a bundle is exported at: `stable` when absent or empty.
fn parse_spec(raw: Option<&str>) -> Result<VersionSpec> {
    let raw = raw
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("stable");
    VersionSpec::parse(raw).map_err(|e| Error::invalid("version", e))
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

/// What to do when a version label exists on the forge with other content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Refuse the import: 409 with the report, nothing written.
    #[default]
    Fail,
    /// Keep what the forge has.
    Skip,
    /// Import the set as a new set with the first free `-N` slug suffix.
    Rename,
}

impl OnConflict {
    pub fn parse(raw: &str) -> Result<OnConflict> {
        match raw {
            "fail" => Ok(OnConflict::Fail),
            "skip" => Ok(OnConflict::Skip),
            "rename" => Ok(OnConflict::Rename),
            _ => Err(Error::invalid(
                "on_conflict",
                "must be fail, skip or rename",
            )),
        }
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The project (id or slug) the bundle's own project goes into; default: the project
    /// whose slug is the bundle's `source.project`, created if missing.
    pub project: Option<String>,
    pub dry_run: bool,
    pub on_conflict: OnConflict,
    /// Apply the entries' channels (project bundles).
    pub channels: bool,
}

/// One line of an import report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportItem {
    /// `project/set` as it is on this forge.
    pub set: String,
    /// A version label, or `channel <name>` for a channel.
    pub version: String,
    /// Why it was skipped, or what it conflicts with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What an import did (or, for a dry run or a refused import, would do).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub created: Vec<ImportItem>,
    pub skipped: Vec<ImportItem>,
    pub conflicts: Vec<ImportItem>,
    /// Whether it was written: false for a dry run and for a refused import.
    pub written: bool,
}

fn item(set: &str, version: &str, note: Option<String>) -> ImportItem {
    ImportItem {
        set: set.to_string(),
        version: version.to_string(),
        note,
    }
}

/// Everything a bundle must satisfy before anything is written: names, slugs, labels,
/// templates that parse, parameters that are valid, channel names. Every problem at once,
/// each naming where it is.
fn validate(bundle: &Bundle, engine: &anvil_core::render::PromptEngine) -> Result<()> {
    use super::FieldError;
    use super::naming::{display_name, text};
    let mut errors: Vec<FieldError> = Vec::new();
    let mut seen = HashSet::new();
    for (i, s) in bundle.prompt_sets.iter().enumerate() {
        let at = |field: &str| format!("prompt_sets[{i}].{field}");
        for (field, slug) in [("project", &s.project), ("slug", &s.slug)] {
            if let Err(e) = anvil_core::slug::check(slug) {
                errors.push(FieldError::new(&at(field), e));
            }
        }
        if !seen.insert(s.address()) {
            errors.push(FieldError::new(
                &at("slug"),
                format!("{} is in the bundle twice", s.address()),
            ));
        }
        for e in [
            display_name(&at("name"), &s.name, 100).err(),
            text(&at("description"), &s.description, 2000).err(),
            text(
                &at("version.description"),
                &s.version.description,
                versions::MAX_DESCRIPTION_LEN,
            )
            .err(),
        ]
        .into_iter()
        .flatten()
        {
            errors.push(e);
        }
        if let Err(e) = Label::parse(&s.version.label) {
            errors.push(FieldError::new(&at("version.label"), e));
        }
        if time::OffsetDateTime::parse(&s.version.created_at, &Rfc3339).is_err() {
            errors.push(FieldError::new(
                &at("version.created_at"),
                "must be an RFC 3339 time",
            ));
        }
        if s.prompts.is_empty() {
            errors.push(FieldError::new(
                &at("prompts"),
                "a version has at least one prompt",
            ));
        }
        for (slug, p) in &s.prompts {
            let at = |field: &str| format!("prompt_sets[{i}].prompts.{slug}.{field}");
            if let Err(e) = anvil_core::slug::check(slug) {
                errors.push(FieldError::new(
                    &format!("prompt_sets[{i}].prompts.{slug}"),
                    e,
                ));
            }
            if let Err(e) = display_name(&at("name"), &p.name, 100) {
                errors.push(e);
            }
            if let Err(e) = engine.parse(&p.template) {
                errors.push(FieldError::new(&at("template"), e.to_string()));
            }
            if let Err(issues) = anvil_core::params::validate_schema(&p.parameters) {
                for issue in issues {
                    errors.push(FieldError::new(&at(&issue.field), issue.message));
                }
            }
        }
        for (j, d) in s.dependencies.iter().enumerate() {
            if anvil_core::Address::parse(&d.address).is_err() || Label::parse(&d.resolved).is_err()
            {
                errors.push(FieldError::new(
                    &at(&format!("dependencies[{j}]")),
                    "must be an address with a spec and the exact label it resolved to",
                ));
            }
        }
        for (name, c) in s.channels.iter().flatten() {
            if let Err(e) = anvil_core::version::check_channel_name(name) {
                errors.push(FieldError::new(&at(&format!("channels.{name}")), e));
            }
            if Label::parse(&c.version).is_err() {
                errors.push(FieldError::new(
                    &at(&format!("channels.{name}.version")),
                    "must be a version label",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// A live project of the organisation by id or slug.
async fn live_project<C: ConnectionTrait>(
    conn: &C,
    organisation_id: &str,
    id_or_slug: &str,
) -> Result<Option<project::Model>> {
    Ok(project::Entity::find()
        .filter(project::Column::OrganisationId.eq(organisation_id))
        .filter(project::Column::ArchivedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(project::Column::Id.eq(id_or_slug))
                .add(project::Column::Slug.eq(id_or_slug)),
        )
        .one(conn)
        .await?)
}

/// Imports `bytes` (an `anvil.bundle/v1` document) into the caller's organisation: checks
/// it whole first, then writes it in one transaction. A dry run, or a refused import (a
/// conflict under `on_conflict = fail`), writes nothing and says what would happen.
pub async fn import(
    db: &sea_orm::DatabaseConnection,
    engine: &anvil_core::render::PromptEngine,
    ctx: &super::access::OrgContext,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport> {
    use anvil_core::bundle::BundleError;
    ctx.require(super::access::Action::ImportBundles)?;
    let bundle = Bundle::parse(bytes).map_err(|e| match &e {
        BundleError::Format(_) => Error::invalid("format", e.to_string()),
        BundleError::Checksum { .. } => Error::invalid("checksum", e.to_string()),
        BundleError::SetChecksum { .. } => Error::invalid("prompt_sets", e.to_string()),
        BundleError::Malformed(_) => Error::invalid("body", e.to_string()),
    })?;
    validate(&bundle, engine)?;
    if let Some(p) = &options.project
        && live_project(db, &ctx.organisation.id, p).await?.is_none()
    {
        return Err(Error::NotFound(format!("project '{p}' not found")));
    }
    let rehearse = options.dry_run || options.on_conflict == OnConflict::Fail;
    if rehearse {
        let txn = super::write::begin(db).await?;
        let report = apply(&txn, ctx, &bundle, options).await;
        if let Err(e) = txn.rollback().await {
            tracing::warn!(error = %e, "rolling back an import rehearsal failed");
        }
        let report = report?;
        if options.dry_run || !report.conflicts.is_empty() {
            return Ok(report);
        }
    }
    let (ctx, bundle, options) = (ctx.clone(), bundle.clone(), options.clone());
    let mut report = super::write(db, move |txn| {
        Box::pin(async move { apply(txn, &ctx, &bundle, &options).await })
    })
    .await?;
    report.written = true;
    Ok(report)
}

/// The import's writes, in `txn`.
async fn apply(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &super::access::OrgContext,
    bundle: &Bundle,
    options: &ImportOptions,
) -> Result<ImportReport> {
    use super::{channels, projects, prompt_sets, prompts};
    super::events::serialise(txn).await?;
    let org = &ctx.organisation.id;
    let actor = ctx.actor.audit();
    let mut report = ImportReport::default();
    let mut projects_by_slug: BTreeMap<String, project::Model> = BTreeMap::new();
    if let Some(p) = &options.project {
        let target = live_project(txn, org, p)
            .await?
            .ok_or_else(|| Error::NotFound(format!("project '{p}' not found")))?;
        projects_by_slug.insert(bundle.source.project.clone(), target);
    }
    // Where each entry landed, for dependencies and channels.
    let mut landed: Vec<Option<prompt_set::Model>> = Vec::new();
    for entry in &bundle.prompt_sets {
        let project = match projects_by_slug.get(&entry.project) {
            Some(p) => p.clone(),
            None => {
                let p = match live_project(txn, org, &entry.project).await? {
                    Some(p) => p,
                    None => {
                        let slug = projects::ensure_unique(
                            txn,
                            org,
                            None,
                            Some(&entry.project),
                            Some(&entry.project),
                            false,
                        )
                        .await?
                        .unwrap_or_else(|| entry.project.clone());
                        projects::insert(
                            txn,
                            &actor,
                            org,
                            entry.project.clone(),
                            slug,
                            String::new(),
                        )
                        .await?
                    }
                };
                projects_by_slug.insert(entry.project.clone(), p.clone());
                p
            }
        };
        let label = Label::parse(&entry.version.label).map_err(|e| Error::invalid("label", e))?;
        let address = format!("{}/{}", project.slug, entry.slug);
        let existing = prompt_set::Entity::find()
            .filter(prompt_set::Column::ProjectId.eq(project.id.clone()))
            .filter(prompt_set::Column::Slug.eq(entry.slug.clone()))
            .filter(prompt_set::Column::ArchivedAt.is_null())
            .one(txn)
            .await?;
        let (set, rename) = match existing {
            None => (None, false),
            Some(set) => match versions::find_by_label(txn, &set.id, &label).await? {
                Some(v) if v.checksum == entry.version.checksum => {
                    report
                        .skipped
                        .push(item(&address, &v.label, Some("already here".into())));
                    landed.push(Some(set));
                    continue;
                }
                Some(_) => match options.on_conflict {
                    OnConflict::Fail | OnConflict::Skip => {
                        let note =
                            Some(format!("{address}@{label} exists here with other content"));
                        if options.on_conflict == OnConflict::Fail {
                            report
                                .conflicts
                                .push(item(&address, &label.as_string(), note));
                        } else {
                            report
                                .skipped
                                .push(item(&address, &label.as_string(), note));
                        }
                        landed.push(Some(set));
                        continue;
                    }
                    OnConflict::Rename => (None, true),
                },
                None => (Some(set), false),
            },
        };
        let snapshot = entry.snapshot();
        let set = match set {
            Some(set) => set,
            None => {
                let slug = prompt_sets::ensure_unique(
                    txn,
                    &project.id,
                    None,
                    (!rename).then_some(entry.name.as_str()),
                    Some(&entry.slug),
                    rename,
                )
                .await?
                .unwrap_or_else(|| entry.slug.clone());
                let deps: Vec<String> = entry
                    .dependencies
                    .iter()
                    .map(|d| d.address.clone())
                    .collect();
                // Live names are unique in a project too: a renamed set says where it came from.
                let name = if rename {
                    format!("{} ({slug})", entry.name)
                } else {
                    entry.name.clone()
                };
                let set = prompt_sets::insert(
                    txn,
                    &actor,
                    &project,
                    name,
                    slug,
                    entry.description.clone(),
                    super::dependencies::to_json(&deps),
                )
                .await?;
                // The working copy of a new set starts as the imported version.
                for (slug, p) in &snapshot.prompts {
                    prompts::insert(txn, &actor, &set, slug.clone(), p.clone()).await?;
                }
                set
            }
        };
        let created_at = time::OffsetDateTime::parse(&entry.version.created_at, &Rfc3339)
            .map_err(|_| Error::invalid("version.created_at", "must be an RFC 3339 time"))?;
        versions::insert(
            txn,
            &actor,
            &set,
            versions::NewVersion {
                label: &label,
                description: entry.version.description.clone(),
                snapshot: &snapshot,
                checksum: entry.version.checksum.clone(),
                created_by: Some(ctx.actor.user_id.clone()),
                created_at,
            },
        )
        .await?;
        let note = rename.then(|| {
            format!("renamed from {address}: {address}@{label} exists here with other content")
        });
        report.created.push(item(
            &format!("{}/{}", project.slug, set.slug),
            &label.as_string(),
            note,
        ));
        landed.push(Some(set));
    }
    // Every pin must be satisfiable here: by the bundle or by what the forge has.
    for (i, entry) in bundle.prompt_sets.iter().enumerate() {
        for (j, dep) in entry.dependencies.iter().enumerate() {
            let a = anvil_core::Address::parse(&dep.address)
                .map_err(|e| Error::invalid("dependencies", e.to_string()))?;
            let label =
                Label::parse(&dep.resolved).map_err(|e| Error::invalid("dependencies", e))?;
            let here = match find_set(txn, org, &a.project, &a.prompt_set).await? {
                Some((_, s)) => versions::find_by_label(txn, &s.id, &label).await?.is_some(),
                None => false,
            };
            if !here {
                return Err(Error::invalid(
                    &format!("prompt_sets[{i}].dependencies[{j}]"),
                    format!(
                        "{} needs {}/{}@{}, which is neither in the bundle nor on this forge",
                        entry.address(),
                        a.project,
                        a.prompt_set,
                        dep.resolved
                    ),
                ));
            }
        }
    }
    if options.channels {
        for (entry, set) in bundle.prompt_sets.iter().zip(&landed) {
            let Some(set) = set else { continue };
            let address = format!("{}/{}", entry.project, set.slug);
            for (name, c) in entry.channels.iter().flatten() {
                let label = Label::parse(&c.version).map_err(|e| Error::invalid("channels", e))?;
                let Some(target) = versions::find_by_label(txn, &set.id, &label).await? else {
                    report.skipped.push(item(
                        &address,
                        &format!("channel {name}"),
                        Some(format!("version {label} is not on this forge")),
                    ));
                    continue;
                };
                if target.yanked_at.is_some() {
                    report.skipped.push(item(
                        &address,
                        &format!("channel {name}"),
                        Some(format!("version {label} is yanked here")),
                    ));
                    continue;
                }
                let existing = super::entities::channel::Entity::find()
                    .filter(super::entities::channel::Column::PromptSetId.eq(set.id.clone()))
                    .filter(super::entities::channel::Column::Name.eq(name.clone()))
                    .one(txn)
                    .await?;
                if existing
                    .as_ref()
                    .is_some_and(|e| e.version_id == target.id && e.protected == c.protected)
                {
                    continue;
                }
                channels::point(
                    txn,
                    &actor,
                    Some(ctx.actor.user_id.clone()),
                    set,
                    name,
                    &target,
                    c.protected,
                    existing,
                )
                .await?;
                report.created.push(item(
                    &address,
                    &format!("channel {name}"),
                    Some(format!("at {label}")),
                ));
            }
        }
    }
    Ok(report)
}
