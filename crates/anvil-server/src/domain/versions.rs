//! Versions: immutable snapshots of a whole prompt set with a semver label and a checksum.
//! Cutting suggests the label from the change since the highest unyanked version, refuses
//! templates with undeclared variables, and is idempotent for CI (same label, same content:
//! the existing version). Versions are never edited or deleted; they are yanked.

use anvil_core::diff::SetDiff;
use anvil_core::render::PromptEngine;
use anvil_core::snapshot::{self, Snapshot};
use anvil_core::version::{Candidate, Change, Label};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::access::{Action, OrgContext};
use super::delivery::Reader;
use super::page::{Page, Paged};
use super::{Error, FieldError, Result, audit, events, ids, now, prompt_sets, prompts};
use crate::domain::entities::{prompt, prompt_set, version};

pub const MAX_DESCRIPTION_LEN: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct VersionInput {
    pub label: Option<String>,
    pub description: Option<String>,
}

/// The outcome of a cut: a new version, or the existing one with the same label and content.
#[derive(Debug, Clone)]
pub struct Cut {
    pub version: version::Model,
    pub created: bool,
}

fn not_found() -> Error {
    Error::NotFound("version not found".to_string())
}

pub fn label_of(v: &version::Model) -> Result<Label> {
    Label::parse(&v.label).map_err(|e| Error::Internal(format!("stored label: {e}")))
}

pub fn snapshot_of(v: &version::Model) -> Result<Snapshot> {
    Snapshot::from_json(&v.snapshot).map_err(|e| Error::Internal(format!("stored snapshot: {e}")))
}

pub fn is_yanked(v: &version::Model) -> bool {
    v.yanked_at.is_some()
}

/// What resolution, suggestions and channel moves need of a version: everything but its
/// snapshot, which is the bulk of the row and is parsed only for the one version chosen.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct VersionRow {
    pub id: String,
    pub label: String,
    pub checksum: String,
    pub yanked_at: Option<time::OffsetDateTime>,
}

/// What resolution sees of a set's versions.
pub fn candidates(versions: &[VersionRow]) -> Vec<Candidate> {
    versions
        .iter()
        .filter_map(|v| {
            Label::parse(&v.label).ok().map(|label| Candidate {
                label,
                yanked: v.yanked_at.is_some(),
            })
        })
        .collect()
}

/// Every version of a set (any order), without snapshots.
pub async fn rows_of<C: ConnectionTrait>(conn: &C, set_id: &str) -> Result<Vec<VersionRow>> {
    Ok(version::Entity::find()
        .select_only()
        .columns([
            version::Column::Id,
            version::Column::Label,
            version::Column::Checksum,
            version::Column::YankedAt,
        ])
        .filter(version::Column::PromptSetId.eq(set_id))
        .into_model::<VersionRow>()
        .all(conn)
        .await?)
}

/// A version of a set by label (labels are stored in their canonical form, so this is one
/// lookup on the unique index).
pub async fn find_by_label<C: ConnectionTrait>(
    conn: &C,
    set_id: &str,
    label: &Label,
) -> Result<Option<version::Model>> {
    Ok(version::Entity::find()
        .filter(version::Column::PromptSetId.eq(set_id))
        .filter(version::Column::Label.eq(label.as_string()))
        .one(conn)
        .await?)
}

/// Resolves `spec` among a set's versions and channels, reading only what the spec needs:
/// an exact label or a channel is one indexed lookup, ranges read the light projection.
/// The inner error says why nothing matched, listing what the set has.
pub async fn resolve_spec<C: ConnectionTrait>(
    conn: &C,
    set_id: &str,
    spec: &anvil_core::version::VersionSpec,
) -> Result<std::result::Result<(version::Model, anvil_core::version::Resolution), String>> {
    use anvil_core::version::VersionSpec;
    let chans = super::channels::labels_of(conn, set_id).await?;
    let target = match spec {
        VersionSpec::Exact(label) => Some(label.clone()),
        VersionSpec::Channel(name) => chans
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.clone()),
        _ => None,
    };
    // The narrow path: the one row the spec names, if it exists.
    if let Some(label) = &target
        && let Some(v) = find_by_label(conn, set_id, label).await?
    {
        let one = [VersionRow {
            id: v.id.clone(),
            label: v.label.clone(),
            checksum: v.checksum.clone(),
            yanked_at: v.yanked_at,
        }];
        if let Ok(found) = anvil_core::version::resolve(spec, &candidates(&one), &chans) {
            return Ok(Ok((v, found)));
        }
    }
    // Ranges, and the message for a miss, need every version.
    let all = rows_of(conn, set_id).await?;
    let found = match anvil_core::version::resolve(spec, &candidates(&all), &chans) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e.message)),
    };
    match find_by_label(conn, set_id, &found.label).await? {
        Some(v) => Ok(Ok((v, found))),
        None => Err(Error::Internal("a resolved version vanished".to_string())),
    }
}

/// A version of a set by id.
async fn find_by_id<C: ConnectionTrait>(conn: &C, id: &str) -> Result<version::Model> {
    version::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?
        .ok_or_else(|| Error::Internal(format!("version {id} vanished")))
}

/// The working copy's prompts in slug order.
pub async fn working_prompts<C: ConnectionTrait>(
    conn: &C,
    set_id: &str,
) -> Result<Vec<prompt::Model>> {
    Ok(prompt::Entity::find()
        .filter(prompt::Column::PromptSetId.eq(set_id))
        .order_by_asc(prompt::Column::Slug)
        .all(conn)
        .await?)
}

/// The working copy as a snapshot.
pub async fn working_snapshot<C: ConnectionTrait>(
    conn: &C,
    set: &prompt_set::Model,
) -> Result<Snapshot> {
    let prompts = working_prompts(conn, &set.id).await?;
    let pins = super::dependencies::pin(conn, set).await?;
    Ok(prompts::snapshot(set, &prompts, pins))
}

/// Refuses to freeze a working copy that could not render: templates that do not parse,
/// variables used but not declared, or no prompts at all. Each problem names its prompt.
fn check_releasable(
    engine: &PromptEngine,
    snap: &Snapshot,
    top: &str,
    partials: &anvil_core::partials::SetPartials,
) -> Result<()> {
    if snap.prompts.is_empty() {
        // The request is fine; the set is not ready for it.
        return Err(Error::conflict(
            "prompts",
            "the prompt set has no prompts; add one before cutting a version",
        ));
    }
    let mut errors = Vec::new();
    for (slug, p) in &snap.prompts {
        let v = engine.validate(&p.template, &p.parameters);
        if let Some(e) = v.errors.first() {
            errors.push(FieldError::new(
                &format!("prompts.{slug}.template"),
                e.to_string(),
            ));
        } else if let Some(missing) = v.partials.iter().find(|name| !partials.resolves(top, name)) {
            errors.push(FieldError::new(
                &format!("prompts.{slug}.template"),
                format!(
                    "renders '{missing}', which is neither a prompt of this set nor of a dependency"
                ),
            ));
        } else if !v.missing.is_empty() {
            errors.push(FieldError::new(
                &format!("prompts.{slug}.parameters"),
                format!(
                    "the template uses undeclared variables ({}); declare them before cutting a version",
                    v.missing.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// The highest version that is not yanked, if any.
fn highest_unyanked(versions: &[VersionRow]) -> Option<(&VersionRow, Label)> {
    versions
        .iter()
        .filter(|v| v.yanked_at.is_none())
        .filter_map(|v| Label::parse(&v.label).ok().map(|l| (v, l)))
        .max_by(|a, b| a.1.cmp(&b.1))
}

/// The label the server suggests for `snap`: 1.0.0 first, then a bump of the highest
/// unyanked version by the size of the change (skipping labels that are taken); with the
/// size of that change (none for the first version).
async fn suggest<C: ConnectionTrait>(
    conn: &C,
    versions: &[VersionRow],
    snap: &Snapshot,
) -> Result<(Label, Option<Change>)> {
    let taken = |label: &Label| {
        versions
            .iter()
            .any(|v| Label::parse(&v.label).ok().as_ref() == Some(label))
    };
    let Some((base, base_label)) = highest_unyanked(versions) else {
        let mut label = Label::parse("1.0.0").map_err(Error::Internal)?;
        while taken(&label) {
            label = label.bump(Change::Major);
        }
        return Ok((label, None));
    };
    let base = find_by_id(conn, &base.id).await?;
    let change = snapshot::classify_change(&snapshot_of(&base)?, snap);
    let mut label = base_label.bump(change);
    while taken(&label) {
        label = label.bump(change);
    }
    Ok((label, Some(change)))
}

/// What cutting a version now would do, for the dialog that asks first.
pub struct Suggestion {
    /// The label a cut without one would get.
    pub label: Label,
    /// How big the change is since `base` (none for the first version).
    pub change: Option<Change>,
    /// The highest unyanked version, which the change is measured against.
    pub base: Option<String>,
    /// Whether the working copy is the same as `base` (a cut would be refused).
    pub unchanged: bool,
}

/// The label a cut would suggest now, and what it is measured against; writes nothing.
pub async fn suggestion(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    set_id: &str,
) -> Result<Suggestion> {
    let set = prompt_sets::get(db, ctx, set_id).await?;
    let snap = working_snapshot(db, &set).await?;
    let versions = rows_of(db, &set.id).await?;
    let highest = highest_unyanked(&versions).map(|(v, _)| (v.label.clone(), v.checksum.clone()));
    let (label, change) = suggest(db, &versions, &snap).await?;
    Ok(Suggestion {
        label,
        change,
        unchanged: highest
            .as_ref()
            .is_some_and(|(_, checksum)| *checksum == snap.checksum()),
        base: highest.map(|(label, _)| label),
    })
}

/// A version as the import or a cut writes it.
pub(super) struct NewVersion<'a> {
    pub label: &'a Label,
    pub description: String,
    pub snapshot: &'a Snapshot,
    pub checksum: String,
    pub created_by: Option<String>,
    pub created_at: time::OffsetDateTime,
}

/// Inserts a version of `set` in `txn`, with its audit and `version.created` events.
pub(super) async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    actor: &super::audit::AuditActor,
    set: &prompt_set::Model,
    new: NewVersion<'_>,
) -> Result<version::Model> {
    let id = ids::new_id();
    let event = super::events::Event::VersionCreated(super::events::VersionEvent {
        version_id: id.clone(),
        prompt_set_id: set.id.clone(),
        label: new.label.as_string(),
        checksum: new.checksum.clone(),
    });
    events::emit(
        txn,
        &set.organisation_id,
        Some(&set.project_id),
        actor,
        &event,
    )
    .await?;
    let v = new.label.version();
    let pre = (!v.pre.is_empty()).then(|| v.pre.to_string());
    let model = version::ActiveModel {
        id: Set(id),
        organisation_id: Set(set.organisation_id.clone()),
        prompt_set_id: Set(set.id.clone()),
        label: Set(new.label.as_string()),
        major: Set(i64::try_from(v.major).unwrap_or(i64::MAX)),
        minor: Set(i64::try_from(v.minor).unwrap_or(i64::MAX)),
        patch: Set(i64::try_from(v.patch).unwrap_or(i64::MAX)),
        pre: Set(pre),
        description: Set(new.description),
        snapshot: Set(new.snapshot.to_json()),
        checksum: Set(new.checksum),
        created_by: Set(new.created_by),
        yanked_at: Set(None),
        yank_reason: Set(None),
        created_at: Set(new.created_at),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        &model.organisation_id,
        actor,
        "version.created",
        ("version", Some(&model.id)),
        serde_json::json!({"prompt_set": set.slug, "label": model.label, "checksum": model.checksum}),
    )
    .await?;
    Ok(model)
}

/// Cuts a version of the working copy.
pub async fn cut(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    ctx: &OrgContext,
    set_id: &str,
    input: VersionInput,
) -> Result<Cut> {
    let set = prompt_sets::get(db, ctx, set_id).await?;
    prompt_sets::require_release(ctx, &set, "cut a version", false)?;
    let given = match input.label.as_deref() {
        Some(l) => Some(Label::parse(l).map_err(|e| Error::invalid("label", e))?),
        None => None,
    };
    let description = input.description.unwrap_or_default();
    super::naming::text("description", &description, MAX_DESCRIPTION_LEN)
        .map_err(|e| Error::Validation(vec![e]))?;
    let snap = working_snapshot(db, &set).await?;
    let project = super::projects::get(db, ctx, &set.project_id, false).await?;
    let top = format!("{}/{}", project.slug, set.slug);
    let partials =
        super::dependencies::partials(db, engine, &set.organisation_id, &top, &snap).await?;
    check_releasable(engine, &snap, &top, &partials)?;
    let checksum = snap.checksum();
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            events::serialise(txn).await?;
            let versions = rows_of(txn, &set.id).await?;
            if let Some(label) = &given
                && let Some(existing) = find_by_label(txn, &set.id, label).await?
            {
                if existing.checksum == checksum {
                    return Ok(Cut {
                        version: existing,
                        created: false,
                    });
                }
                return Err(Error::conflict(
                    "label",
                    format!(
                        "version {} exists with different content; choose another label",
                        existing.label
                    ),
                ));
            }
            if let Some((latest, _)) = highest_unyanked(&versions)
                && latest.checksum == checksum
            {
                return Err(Error::Conflict {
                    message: format!("nothing changed since {}", latest.label),
                    field: None,
                });
            }
            let label = match given {
                Some(l) => l,
                None => suggest(txn, &versions, &snap).await?.0,
            };
            let model = insert(
                txn,
                &ctx.actor.audit(),
                &set,
                NewVersion {
                    label: &label,
                    description,
                    snapshot: &snap,
                    checksum,
                    created_by: Some(ctx.actor.user_id.clone()),
                    created_at: now(),
                },
            )
            .await?;
            Ok(Cut {
                version: model,
                created: true,
            })
        })
    })
    .await
}

/// A version by id, for a reader of its set (the set must be live, not archived).
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    reader: &Reader,
    id: &str,
) -> Result<(prompt_set::Model, version::Model)> {
    let v = version::Entity::find_by_id(id.to_string())
        .filter(version::Column::OrganisationId.eq(reader.organisation_id().to_string()))
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    let set = reader
        .set(conn, &v.prompt_set_id)
        .await
        .map_err(|e| e.as_not_found("version not found"))?;
    Ok((set, v))
}

/// A version of a set by label (`v` prefix and build metadata ignored).
pub async fn by_label<C: ConnectionTrait>(
    conn: &C,
    reader: &Reader,
    set_id: &str,
    label: &str,
) -> Result<(prompt_set::Model, version::Model)> {
    let set = reader.set(conn, set_id).await?;
    let label = Label::parse(label).map_err(|e| Error::invalid("label", e))?;
    let v = find_by_label(conn, &set.id, &label).await?.ok_or_else(|| {
        Error::NotFound(format!("prompt set '{}' has no version {label}", set.slug))
    })?;
    Ok((set, v))
}

/// A version as lists show it: no snapshot (the bulk of the row).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct VersionSummary {
    pub id: String,
    pub label: String,
    pub description: String,
    pub created_at: time::OffsetDateTime,
    pub yanked_at: Option<time::OffsetDateTime>,
    /// The user who cut it (for an API key, the key's user).
    pub created_by: Option<String>,
}

/// Every version of a set for a reader, newest first, without snapshots (the set page lists
/// a hundred versions of fifty prompts without reading megabytes of them).
pub async fn summaries(
    db: &DatabaseConnection,
    reader: &Reader,
    set_id: &str,
) -> Result<Vec<VersionSummary>> {
    let set = reader.set(db, set_id).await?;
    Ok(version::Entity::find()
        .select_only()
        .columns([
            version::Column::Id,
            version::Column::Label,
            version::Column::Description,
            version::Column::CreatedAt,
            version::Column::YankedAt,
            version::Column::CreatedBy,
        ])
        .filter(version::Column::PromptSetId.eq(set.id))
        .order_by_desc(version::Column::CreatedAt)
        .order_by_desc(version::Column::Id)
        .into_model::<VersionSummary>()
        .all(db)
        .await?)
}

pub async fn list(
    db: &DatabaseConnection,
    reader: &Reader,
    set_id: &str,
    page: &Page,
) -> Result<Paged<version::Model>> {
    let set = reader.set(db, set_id).await?;
    let q = version::Entity::find().filter(version::Column::PromptSetId.eq(set.id));
    super::page::read(
        db,
        q,
        version::Column::Id,
        super::page::Order::OldestFirst,
        page,
    )
    .await
}

/// Yanks (`Some(reason)`) or unyanks (`None`) a version (admins and owners). Doing it twice
/// changes nothing the second time.
pub async fn set_yanked(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    yank: Option<String>,
) -> Result<version::Model> {
    ctx.require(Action::ManageVersions)?;
    let (set, current) = get(db, &Reader::Member(Box::new(ctx.clone())), id).await?;
    if let Some(reason) = &yank {
        super::naming::text("reason", reason, 2000).map_err(|e| Error::Validation(vec![e]))?;
    }
    if yank.is_some() == is_yanked(&current) {
        return Ok(current);
    }
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let payload = super::events::VersionEvent {
                version_id: current.id.clone(),
                prompt_set_id: set.id.clone(),
                label: current.label.clone(),
                checksum: current.checksum.clone(),
            };
            let event = if yank.is_some() {
                super::events::Event::VersionYanked(payload)
            } else {
                super::events::Event::VersionUnyanked(payload)
            };
            let kind = event.kind();
            events::emit(
                txn,
                &set.organisation_id,
                Some(&set.project_id),
                &ctx.actor.audit(),
                &event,
            )
            .await?;
            let mut active: version::ActiveModel = current.into();
            active.yanked_at = Set(yank.as_ref().map(|_| now()));
            active.yank_reason = Set(yank.clone().filter(|r| !r.is_empty()));
            let v = active.update(txn).await?;
            audit::record(
                txn,
                &v.organisation_id,
                &ctx.actor.audit(),
                kind,
                ("version", Some(&v.id)),
                serde_json::json!({"prompt_set": set.slug, "label": v.label, "reason": yank}),
            )
            .await?;
            Ok(v)
        })
    })
    .await
}

/// One side of a diff: a version label or the working copy.
async fn side<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    set: &prompt_set::Model,
    which: &str,
    field: &str,
) -> Result<Snapshot> {
    if which == "working" {
        return working_snapshot(conn, set).await;
    }
    let label = Label::parse(which)
        .map_err(|_| Error::invalid(field, "must be a version label or 'working'"))?;
    let v = find_by_label(conn, &set.id, &label).await?.ok_or_else(|| {
        Error::NotFound(format!(
            "prompt set '{}' has no version {label} ({field})",
            set.slug
        ))
    })?;
    let _ = ctx;
    snapshot_of(&v)
}

/// The differences from `from` to `to` (labels or `working`).
pub async fn diff(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    set_id: &str,
    from: &str,
    to: &str,
) -> Result<SetDiff> {
    let set = prompt_sets::get(db, ctx, set_id).await?;
    let a = side(db, ctx, &set, from, "from").await?;
    let b = side(db, ctx, &set, to, "to").await?;
    Ok(anvil_core::diff::diff(&a, &b))
}

/// Copies a version into the working copy: prompts it lacks are added, prompts it has are
/// overwritten, prompts it does not have are deleted, and the set's name and description
/// are taken too. Refused for a locked set (unlock first).
pub async fn restore(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    set_id: &str,
    label: &str,
) -> Result<prompt_set::Model> {
    ctx.require(Action::EditContent)?;
    let (set, v) = by_label(db, &Reader::Member(Box::new(ctx.clone())), set_id, label).await?;
    prompt_sets::ensure_editable(&set)?;
    let snap = snapshot_of(&v)?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            events::emit(
                txn,
                &set.organisation_id,
                Some(&set.project_id),
                &ctx.actor.audit(),
                &super::events::Event::PromptSetUpdated(
                    super::prompt_sets::event_of(txn, &set).await?,
                ),
            )
            .await?;
            let at = now();
            let current = working_prompts(txn, &set.id).await?;
            for p in &current {
                if !snap.prompts.contains_key(&p.slug) {
                    prompt::Entity::delete_by_id(p.id.clone()).exec(txn).await?;
                }
            }
            // Names are unique within a set: clear the ones being overwritten first so a
            // swap of names between two prompts does not trip the index mid-way.
            for p in &current {
                if let Some(s) = snap.prompts.get(&p.slug)
                    && s.name != p.name
                {
                    let mut a: prompt::ActiveModel = p.clone().into();
                    a.name = Set(format!("restoring {}", p.id));
                    a.update(txn).await?;
                }
            }
            for (slug, s) in &snap.prompts {
                let parameters =
                    serde_json::to_value(&s.parameters).unwrap_or(serde_json::Value::Array(vec![]));
                match current.iter().find(|p| &p.slug == slug) {
                    Some(p) => {
                        let mut a: prompt::ActiveModel = p.clone().into();
                        a.name = Set(s.name.clone());
                        a.description = Set(s.description.clone());
                        a.template = Set(s.template.clone());
                        a.parameters = Set(parameters);
                        a.metadata = Set(s.metadata.clone());
                        a.examples = Set(s.examples.clone());
                        a.updated_at = Set(at);
                        a.update(txn).await?;
                    }
                    None => {
                        prompt::ActiveModel {
                            id: Set(ids::new_id()),
                            organisation_id: Set(set.organisation_id.clone()),
                            prompt_set_id: Set(set.id.clone()),
                            name: Set(s.name.clone()),
                            slug: Set(slug.clone()),
                            description: Set(s.description.clone()),
                            template: Set(s.template.clone()),
                            parameters: Set(parameters),
                            metadata: Set(s.metadata.clone()),
                            examples: Set(s.examples.clone()),
                            created_at: Set(at),
                            updated_at: Set(at),
                        }
                        .insert(txn)
                        .await?;
                    }
                }
            }
            let mut a: prompt_set::ActiveModel = set.clone().into();
            // The set's name comes back unless a sibling set has taken it meanwhile.
            let taken = prompt_set::Entity::find()
                .filter(prompt_set::Column::ProjectId.eq(set.project_id.clone()))
                .filter(prompt_set::Column::Id.ne(set.id.clone()))
                .filter(prompt_set::Column::Name.eq(snap.name.clone()))
                .one(txn)
                .await?
                .is_some();
            if !taken {
                a.name = Set(snap.name.clone());
            }
            a.description = Set(snap.description.clone());
            a.updated_at = Set(at);
            let restored = a.update(txn).await?;
            audit::record(
                txn,
                &set.organisation_id,
                &ctx.actor.audit(),
                "prompt_set.restored",
                ("prompt_set", Some(&set.id)),
                serde_json::json!({"label": v.label, "checksum": v.checksum}),
            )
            .await?;
            Ok(restored)
        })
    })
    .await
}
