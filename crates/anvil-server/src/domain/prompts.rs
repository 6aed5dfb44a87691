//! Prompts of a set's working copy: a Liquid template with typed parameters, metadata and
//! examples. Saving parses the template (errors carry line and column) and reports which
//! variables are used but not declared (`missing`) or declared but not used (`unused`);
//! missing parameters are only a warning here (cutting a version refuses them).

use anvil_core::params::{self, Parameter};
use anvil_core::render::{PromptEngine, Validation};
use anvil_core::snapshot::{PinnedDependency, Snapshot, SnapshotPrompt};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::Value;

use super::access::{Action, OrgContext};
use super::page::{Page, Paged};
use super::precondition::{self, Precondition};
use super::{Error, FieldError, Result, ids, naming, now, prompt_sets};
use crate::domain::entities::{prompt, prompt_set};

#[derive(Debug, Clone, Default)]
pub struct PromptInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub template: Option<String>,
    pub parameters: Option<Vec<Parameter>>,
    pub metadata: Option<Value>,
    pub examples: Option<Value>,
}

/// A saved prompt with what the template analysis found.
#[derive(Debug, Clone)]
pub struct Saved {
    pub prompt: prompt::Model,
    pub validation: Validation,
}

fn not_found() -> Error {
    Error::NotFound("prompt not found".to_string())
}

/// The entity tag of a prompt's current state, for `ETag`/`If-Match`.
pub fn etag(p: &prompt::Model) -> String {
    precondition::etag(p.updated_at)
}

/// The prompt re-read inside a write, locked until it commits (PostgreSQL; SQLite's write
/// transaction already excludes other writers), with the caller's precondition checked
/// against it.
async fn locked<C: ConnectionTrait>(
    txn: &C,
    current: &prompt::Model,
    precondition: Option<&Precondition>,
) -> Result<prompt::Model> {
    let fresh = prompt::Entity::find_by_id(current.id.clone())
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    precondition::check(precondition, &etag(&fresh), "prompt")?;
    Ok(fresh)
}

fn parameters_of(p: &prompt::Model) -> Vec<Parameter> {
    serde_json::from_value(p.parameters.clone()).unwrap_or_default()
}

/// Validates the fields being set; returns the template analysis.
fn check(
    engine: &PromptEngine,
    input: &PromptInput,
    current: Option<&prompt::Model>,
) -> Result<(Option<String>, Option<String>, Validation)> {
    let mut errors = Vec::new();
    let (name, slug) = naming::check(
        input.name.as_deref(),
        input.slug.as_deref(),
        input.description.as_deref(),
        current.is_none(),
        &mut errors,
    );
    if input.metadata.as_ref().is_some_and(|m| !m.is_object()) {
        errors.push(FieldError::new("metadata", "must be a JSON object"));
    }
    if input.examples.as_ref().is_some_and(|e| !e.is_object()) {
        errors.push(FieldError::new(
            "examples",
            "must be a JSON object of named variable sets",
        ));
    }
    let parameters = match &input.parameters {
        Some(p) => {
            if let Err(issues) = params::validate_schema(p) {
                errors.extend(
                    issues
                        .into_iter()
                        .map(|i| FieldError::new(&i.field, i.message)),
                );
            }
            p.clone()
        }
        None => current.map(parameters_of).unwrap_or_default(),
    };
    let template = input
        .template
        .clone()
        .or_else(|| current.map(|c| c.template.clone()))
        .unwrap_or_default();
    let validation = engine.validate(&template, &parameters);
    if let Some(e) = validation.errors.first() {
        errors.push(FieldError::new("template", e.to_string()));
    }
    if errors.is_empty() {
        Ok((name, slug, validation))
    } else {
        Err(Error::Validation(errors))
    }
}

/// Refuses a template that would render itself through `{% render %}` within its set
/// (`welcome -> footer -> welcome`), which could only ever fail at render time.
async fn ensure_no_partial_cycle<C: ConnectionTrait>(
    conn: &C,
    engine: &PromptEngine,
    set_id: &str,
    except_id: Option<&str>,
    slug: &str,
    template: &str,
) -> Result<()> {
    let siblings = prompt::Entity::find()
        .filter(prompt::Column::PromptSetId.eq(set_id))
        .all(conn)
        .await?;
    let refs = |t: &str| -> Vec<String> {
        engine
            .parse(t)
            .map(|t| t.analyze().partials)
            .unwrap_or_default()
            .into_iter()
            .filter(|n| !n.contains('/'))
            .collect()
    };
    let mut graph: std::collections::HashMap<String, Vec<String>> = siblings
        .iter()
        .filter(|p| Some(p.id.as_str()) != except_id && p.slug != slug)
        .map(|p| (p.slug.clone(), refs(&p.template)))
        .collect();
    graph.insert(slug.to_string(), refs(template));
    // Depth-first from the saved prompt, looking for a way back to it.
    let mut stack = vec![vec![slug.to_string()]];
    let mut seen = std::collections::HashSet::new();
    while let Some(path) = stack.pop() {
        let Some(last) = path.last() else { continue };
        for next in graph.get(last).into_iter().flatten() {
            let mut p = path.clone();
            p.push(next.clone());
            if next == slug {
                return Err(Error::invalid(
                    "template",
                    format!("renders itself: {}", p.join(" -> ")),
                ));
            }
            if seen.insert(next.clone()) {
                stack.push(p);
            }
        }
    }
    Ok(())
}

async fn ensure_unique<C: ConnectionTrait>(
    conn: &C,
    parent_id: &str,
    except: Option<&str>,
    name: Option<&str>,
    slug: Option<&str>,
    generated: bool,
) -> Result<Option<String>> {
    let others = prompt::Entity::find()
        .filter(prompt::Column::PromptSetId.eq(parent_id))
        .all(conn)
        .await?;
    naming::ensure_unique(
        others.iter().map(|x| naming::Sibling {
            id: &x.id,
            name: &x.name,
            slug: &x.slug,
            live: true,
        }),
        except,
        name,
        slug,
        generated,
        "prompt",
        "set",
    )
}

/// Inserts a checked prompt into `set`'s working copy in `txn`, with its audit and
/// `prompt.created` events.
pub(super) async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    actor: &super::audit::AuditActor,
    set: &prompt_set::Model,
    slug: String,
    content: SnapshotPrompt,
) -> Result<prompt::Model> {
    let at = now();
    let p = prompt::ActiveModel {
        id: Set(ids::new_id()),
        organisation_id: Set(set.organisation_id.clone()),
        prompt_set_id: Set(set.id.clone()),
        name: Set(content.name),
        slug: Set(slug),
        description: Set(content.description),
        template: Set(content.template),
        parameters: Set(serde_json::to_value(content.parameters).unwrap_or(Value::Array(vec![]))),
        metadata: Set(content.metadata),
        examples: Set(content.examples),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(txn)
    .await?;
    let event = super::events::Event::PromptCreated(super::events::PromptEvent {
        prompt_id: p.id.clone(),
        prompt_set_id: set.id.clone(),
        slug: p.slug.clone(),
    });
    super::write::trail(
        txn,
        super::write::Trail {
            organisation_id: &p.organisation_id,
            project_id: Some(&set.project_id),
            actor,
            resource: ("prompt", &p.id),
            audit: (
                "prompt.created",
                serde_json::json!({"set": set.slug, "slug": p.slug, "template": p.template}),
            ),
            event,
        },
    )
    .await?;
    Ok(p)
}

pub async fn create(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    ctx: &OrgContext,
    set_id: &str,
    input: PromptInput,
) -> Result<Saved> {
    ctx.require(Action::EditContent)?;
    let set = prompt_sets::get(db, ctx, set_id).await?;
    prompt_sets::ensure_editable(&set)?;
    let (name, slug, validation) = check(engine, &input, None)?;
    let generated = input.slug.is_none();
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(Error::invalid("name", "is required"));
    };
    if let Some(t) = &input.template {
        ensure_no_partial_cycle(db, engine, &set.id, None, &slug, t).await?;
    }
    let ctx = ctx.clone();
    let prompt = super::write(db, move |txn| {
        Box::pin(async move {
            let slug = ensure_unique(txn, &set.id, None, Some(&name), Some(&slug), generated)
                .await?
                .unwrap_or(slug);
            let content = SnapshotPrompt {
                name,
                description: input.description.unwrap_or_default(),
                template: input.template.unwrap_or_default(),
                parameters: input.parameters.unwrap_or_default(),
                metadata: input.metadata.unwrap_or_else(|| serde_json::json!({})),
                examples: input.examples.unwrap_or_else(|| serde_json::json!({})),
            };
            insert(txn, &ctx.actor.audit(), &set, slug, content).await
        })
    })
    .await?;
    Ok(Saved { prompt, validation })
}

pub async fn get<C: ConnectionTrait>(
    conn: &C,
    ctx: &OrgContext,
    id: &str,
) -> Result<prompt::Model> {
    ctx.require(Action::ReadOrganisation)?;
    let p = ctx.load::<prompt::Entity, _>(conn, id, "prompt").await?;
    // A prompt of an archived set (or of a set of an archived project) is gone with it.
    match prompt_sets::get(conn, ctx, &p.prompt_set_id).await {
        Ok(_) => Ok(p),
        Err(Error::NotFound(_)) => Err(not_found()),
        Err(e) => Err(e),
    }
}

pub async fn by_address(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    project: &str,
    set: &str,
    slug: &str,
) -> Result<(prompt_set::Model, prompt::Model)> {
    let (_, s) = prompt_sets::by_address(db, ctx, project, set).await?;
    let p = prompt::Entity::find()
        .filter(prompt::Column::PromptSetId.eq(s.id.clone()))
        .filter(prompt::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    Ok((s, p))
}

pub async fn list(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    set_id: &str,
    page: &Page,
) -> Result<Paged<prompt::Model>> {
    let set = prompt_sets::get(db, ctx, set_id).await?;
    let q = prompt::Entity::find().filter(prompt::Column::PromptSetId.eq(set.id));
    super::page::read(
        db,
        q,
        prompt::Column::Id,
        super::page::Order::OldestFirst,
        page,
    )
    .await
}

/// Updates a prompt. With a precondition (`If-Match`), a stale entity tag is a 412, so two
/// editors cannot silently overwrite each other.
pub async fn update(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    ctx: &OrgContext,
    id: &str,
    precondition: Option<Precondition>,
    input: PromptInput,
) -> Result<Saved> {
    ctx.require(Action::EditContent)?;
    let current = get(db, ctx, id).await?;
    let set = prompt_sets::get(db, ctx, &current.prompt_set_id).await?;
    prompt_sets::ensure_editable(&set)?;
    precondition::check(precondition.as_ref(), &etag(&current), "prompt")?;
    let (name, slug, validation) = check(engine, &input, Some(&current))?;
    if input.template.is_some() || slug.is_some() {
        let t = input.template.as_deref().unwrap_or(&current.template);
        let s = slug.as_deref().unwrap_or(&current.slug);
        ensure_no_partial_cycle(db, engine, &set.id, Some(&current.id), s, t).await?;
    }
    let ctx = ctx.clone();
    let prompt = super::write(db, move |txn| {
        Box::pin(async move {
            let current = locked(txn, &current, precondition.as_ref()).await?;
            ensure_unique(
                txn,
                &current.prompt_set_id,
                Some(&current.id),
                name.as_deref(),
                slug.as_deref(),
                false,
            )
            .await?;
            let mut active: prompt::ActiveModel = current.into();
            if let Some(v) = name {
                active.name = Set(v);
            }
            if let Some(v) = slug {
                active.slug = Set(v);
            }
            if let Some(v) = input.description {
                active.description = Set(v);
            }
            if let Some(v) = input.template {
                active.template = Set(v);
            }
            if let Some(v) = input.parameters {
                active.parameters = Set(serde_json::to_value(v).unwrap_or(Value::Array(vec![])));
            }
            if let Some(v) = input.metadata {
                active.metadata = Set(v);
            }
            if let Some(v) = input.examples {
                active.examples = Set(v);
            }
            active.updated_at = Set(now());
            let p = active.update(txn).await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &p.organisation_id,
                    project_id: Some(&set.project_id),
                    actor: &ctx.actor.audit(),
                    resource: ("prompt", &p.id),
                    audit: (
                        "prompt.updated",
                        serde_json::json!({"slug": p.slug, "template": p.template}),
                    ),
                    event: super::events::Event::PromptUpdated(super::events::PromptEvent {
                        prompt_id: p.id.clone(),
                        prompt_set_id: p.prompt_set_id.clone(),
                        slug: p.slug.clone(),
                    }),
                },
            )
            .await?;
            Ok(p)
        })
    })
    .await?;
    Ok(Saved { prompt, validation })
}

/// Deletes a prompt from the working copy (admins and owners); versions keep its past.
pub async fn delete(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    id: &str,
    precondition: Option<Precondition>,
) -> Result<()> {
    ctx.require(Action::DeleteContent)?;
    let current = get(db, ctx, id).await?;
    let set = prompt_sets::get(db, ctx, &current.prompt_set_id).await?;
    prompt_sets::ensure_editable(&set)?;
    let ctx = ctx.clone();
    super::write(db, move |txn| {
        Box::pin(async move {
            let current = locked(txn, &current, precondition.as_ref()).await?;
            prompt::Entity::delete_by_id(current.id.clone())
                .exec(txn)
                .await?;
            super::write::trail(
                txn,
                super::write::Trail {
                    organisation_id: &current.organisation_id,
                    project_id: Some(&set.project_id),
                    actor: &ctx.actor.audit(),
                    resource: ("prompt", &current.id),
                    audit: ("prompt.deleted", serde_json::json!({"slug": current.slug})),
                    event: super::events::Event::PromptDeleted(super::events::PromptEvent {
                        prompt_id: current.id.clone(),
                        prompt_set_id: set.id.clone(),
                        slug: current.slug.clone(),
                    }),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// The snapshot of a set's content as `domain.md` defines it (name, description, pinned
/// dependencies, every prompt's fields; not a label or changelog), so equal content has an
/// equal checksum. The working copy's checksum is computed from it on the fly.
pub fn snapshot(
    set: &prompt_set::Model,
    prompts: &[prompt::Model],
    dependencies: Vec<PinnedDependency>,
) -> Snapshot {
    Snapshot {
        name: set.name.clone(),
        description: set.description.clone(),
        dependencies,
        prompts: prompts
            .iter()
            .map(|p| {
                (
                    p.slug.clone(),
                    SnapshotPrompt {
                        name: p.name.clone(),
                        description: p.description.clone(),
                        template: p.template.clone(),
                        parameters: parameters_of(p),
                        metadata: p.metadata.clone(),
                        examples: p.examples.clone(),
                    },
                )
            })
            .collect(),
    }
}

/// An unsaved template and its parameters, previewed in place of the saved ones (the editor
/// renders as the user types, before anything is saved).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub template: String,
    #[serde(default)]
    pub parameters: Vec<anvil_core::params::Parameter>,
}

/// Renders a prompt of the working copy (the editor's preview) through the same path as
/// `POST /render/{address}`: variables checked against its parameters, strict rendering,
/// `{% render %}` reaching the set's other prompts and its dependencies. With a `draft`, its
/// template and parameters stand in for the saved ones; nothing is written.
pub async fn render(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    cache: &super::delivery::DeliveryCache,
    ctx: &OrgContext,
    id: &str,
    variables: &serde_json::Map<String, Value>,
    draft: Option<&Draft>,
) -> Result<(
    std::sync::Arc<super::delivery::Resolved>,
    super::delivery::Rendered,
)> {
    let p = get(db, ctx, id).await?;
    let set = prompt_sets::get(db, ctx, &p.prompt_set_id).await?;
    let project = super::projects::get(db, ctx, &set.project_id, false).await?;
    let address = anvil_core::Address {
        organisation: None,
        project: project.slug,
        prompt_set: set.slug,
        spec: None,
        prompt: Some(p.slug.clone()),
    };
    let reader = super::delivery::Reader::Member(Box::new(ctx.clone()));
    let resolved = super::delivery::resolve(db, engine, cache, &reader, &address).await?;
    let ready = resolved.prompt(&p.slug)?.clone();
    let rendered = match draft {
        None => super::delivery::render(engine, &resolved, &ready, variables)?,
        Some(d) => {
            anvil_core::params::validate_schema(&d.parameters).map_err(|issues| {
                Error::Validation(
                    issues
                        .into_iter()
                        .map(|i| FieldError::new(&format!("draft.{}", i.field), i.message))
                        .collect(),
                )
            })?;
            let template = engine.parse(&d.template).map_err(|e| {
                Error::invalid(
                    "draft.template",
                    anvil_core::render::TemplateError::from(&e).to_string(),
                )
            })?;
            super::delivery::render_template(
                engine,
                &resolved,
                &template,
                &d.parameters,
                variables,
            )?
        }
    };
    Ok((resolved, rendered))
}
