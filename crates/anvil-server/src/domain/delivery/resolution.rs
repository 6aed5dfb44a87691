//! From an address to a resolved set: the version its spec picks, its prompts parsed, and
//! its `/resolve` answers as typed values (the HTTP layer serialises each once).

use std::collections::HashMap;
use std::sync::Arc;

use anvil_core::address::Address;
use anvil_core::bundle::BundleVersion;
use anvil_core::params::Parameter;
use anvil_core::partials::SetPartials;
use anvil_core::render::PromptEngine;
use anvil_core::snapshot::Snapshot;
use anvil_core::snapshot::{PinnedDependency, SnapshotPrompt};
use anvil_liquid::Template;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::domain::access::Action;
use crate::domain::entities::{project, prompt, prompt_set};
use crate::domain::{Error, Result, versions};

use super::{DeliveryCache, Reader, not_found};

/// One prompt, ready to render.
#[derive(Debug)]
pub struct ReadyPrompt {
    /// The working copy's prompt of that slug, when one exists.
    pub id: Option<String>,
    pub slug: String,
    pub template: Arc<Template>,
    pub parameters: Vec<Parameter>,
    /// What `GET /resolve` of the prompt's address answers.
    pub answer: PromptAnswer,
}

/// `GET /resolve` of a set address: the set as a bundle entry, with how it resolved.
#[derive(Debug, Serialize)]
pub struct SetAnswer {
    pub slug: String,
    pub project: String,
    pub name: String,
    pub description: String,
    /// Null for the working copy.
    pub version: Option<BundleVersion>,
    pub dependencies: Vec<PinnedDependency>,
    pub prompts: BTreeMap<String, SnapshotPrompt>,
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
}

/// `GET /resolve` of a prompt address.
#[derive(Debug, Serialize)]
pub struct PromptAnswer {
    pub prompt: AnsweredPrompt,
    pub prompt_set: SetRef,
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
}

/// A prompt of a resolved set: its content, slug and working-copy id.
#[derive(Debug, Serialize)]
pub struct AnsweredPrompt {
    #[serde(flatten)]
    pub content: SnapshotPrompt,
    pub slug: String,
    /// The working copy's prompt of that slug, when one exists.
    pub id: Option<String>,
}

/// The set a resolved prompt belongs to.
#[derive(Debug, Serialize)]
pub struct SetRef {
    pub project: String,
    pub slug: String,
}

/// Tells resolved sets apart, so the HTTP layer can keep each one's serialised answers.
static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A prompt set at the version an address resolved to.
#[derive(Debug)]
pub struct Resolved {
    pub project_id: String,
    pub set_slug: String,
    pub resolved_version: Option<String>,
    pub checksum: String,
    pub yanked: bool,
    /// What `GET /resolve` of the set's address answers.
    pub answer: SetAnswer,
    /// Unique to this resolution: a changed set is a new resolution with a new id.
    pub build_id: u64,
    pub etag: String,
    pub prompts: HashMap<String, Arc<ReadyPrompt>>,
    /// Every template a prompt of the set may render: the set's and its dependencies'.
    pub partials: SetPartials,
}

impl Resolved {
    /// The prompt whose working-copy id is `id`.
    pub fn prompt_by_id(&self, id: &str) -> Option<&Arc<ReadyPrompt>> {
        self.prompts.values().find(|p| p.id.as_deref() == Some(id))
    }

    pub fn prompt(&self, slug: &str) -> Result<&Arc<ReadyPrompt>> {
        self.prompts.get(slug).ok_or_else(|| {
            let mut have: Vec<&str> = self.prompts.keys().map(String::as_str).collect();
            have.sort_unstable();
            Error::NotFound(format!(
                "prompt set '{}'{} has no prompt '{slug}' (prompts: {})",
                self.set_slug,
                self.resolved_version
                    .as_deref()
                    .map(|v| format!(" at {v}"))
                    .unwrap_or_default(),
                have.join(", ")
            ))
        })
    }
}

/// Resolves the set an address names (its prompt part is ignored here).
pub async fn resolve(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    cache: &DeliveryCache,
    reader: &Reader,
    address: &Address,
) -> Result<Arc<Resolved>> {
    if let Reader::Member(ctx) = reader {
        ctx.require(Action::ReadOrganisation)?;
    }
    if address.spec.is_none() && matches!(reader, Reader::Token(_)) {
        return Err(Error::Forbidden(
            "access tokens read published versions only; add a version spec (like @stable or @production)"
                .to_string(),
        ));
    }
    let org = reader.organisation_id().to_string();
    let spec = address.spec.as_ref().map(ToString::to_string);
    let key_text = format!(
        "{}/{}@{}",
        address.project,
        address.prompt_set,
        spec.as_deref().unwrap_or("")
    );
    // The generation is read before the database: an entry built from rows older than an
    // event is stored under the generation that event ends.
    let generation = cache.generation(&org);
    let key = (org.clone(), generation, key_text);
    let resolved = match cache.sets.get(&key) {
        Some(r) => r,
        None => {
            // Boxed, so a cache hit's future does not carry the build's state.
            let r = Arc::new(Box::pin(build(db, engine, &org, address)).await?);
            cache.sets.insert(key, r.clone());
            r
        }
    };
    if let Reader::Token(t) = reader
        && t.project_id != resolved.project_id
    {
        return Err(not_found("prompt set"));
    }
    Ok(resolved)
}

async fn build(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    org: &str,
    address: &Address,
) -> Result<Resolved> {
    let project = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(org))
        .filter(project::Column::Slug.eq(address.project.clone()))
        .filter(project::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| not_found(&format!("project '{}'", address.project)))?;
    let set = prompt_set::Entity::find()
        .filter(prompt_set::Column::OrganisationId.eq(org))
        .filter(prompt_set::Column::ProjectId.eq(project.id.clone()))
        .filter(prompt_set::Column::Slug.eq(address.prompt_set.clone()))
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| {
            not_found(&format!(
                "prompt set '{}/{}'",
                address.project, address.prompt_set
            ))
        })?;
    let working = versions::working_prompts(db, &set.id).await?;
    let (snapshot, version, resolved_version, yanked, checksum) = match &address.spec {
        None => {
            let pins = crate::domain::dependencies::pin(db, &set).await?;
            let snap = crate::domain::prompts::snapshot(&set, &working, pins);
            let checksum = snap.checksum();
            (snap, None, None, false, checksum)
        }
        Some(spec) => {
            let (v, found) =
                versions::resolve_spec(db, &set.id, spec)
                    .await?
                    .map_err(|message| {
                        Error::NotFound(format!(
                            "{}/{}: {message}",
                            address.project, address.prompt_set
                        ))
                    })?;
            let snap = versions::snapshot_of(&v)?;
            let vj = Some(BundleVersion {
                label: v.label.clone(),
                description: v.description.clone(),
                created_at: v
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                checksum: v.checksum.clone(),
            });
            (
                snap,
                vj,
                Some(v.label.clone()),
                found.yanked,
                v.checksum.clone(),
            )
        }
    };
    let top = format!("{}/{}", project.slug, set.slug);
    let partials = crate::domain::dependencies::partials(db, engine, org, &top, &snapshot).await?;
    assemble(
        &project,
        &set,
        &working,
        Built {
            snapshot,
            partials,
            version,
            resolved_version,
            yanked,
            checksum,
        },
    )
}

/// What resolution found, before it is shaped for the wire.
struct Built {
    snapshot: Snapshot,
    partials: SetPartials,
    version: Option<BundleVersion>,
    resolved_version: Option<String>,
    yanked: bool,
    checksum: String,
}

fn assemble(
    project: &project::Model,
    set: &prompt_set::Model,
    working: &[prompt::Model],
    built: Built,
) -> Result<Resolved> {
    let Built {
        snapshot,
        partials,
        version,
        resolved_version,
        yanked,
        checksum,
    } = built;
    let top = format!("{}/{}", project.slug, set.slug);
    let mut prompts = HashMap::new();
    for (slug, p) in &snapshot.prompts {
        let id = working
            .iter()
            .find(|w| &w.slug == slug)
            .map(|w| w.id.clone());
        let template = match anvil_liquid::PartialSource::get(
            &partials,
            &anvil_core::partials::qualified(&top, slug),
        ) {
            Some(anvil_liquid::Partial::Parsed(t)) => t,
            _ => return Err(Error::Internal("parsed template missing".to_string())),
        };
        prompts.insert(
            slug.clone(),
            Arc::new(ReadyPrompt {
                id: id.clone(),
                slug: slug.clone(),
                template,
                parameters: p.parameters.clone(),
                answer: PromptAnswer {
                    prompt: AnsweredPrompt {
                        content: p.clone(),
                        slug: slug.clone(),
                        id,
                    },
                    prompt_set: SetRef {
                        project: project.slug.clone(),
                        slug: set.slug.clone(),
                    },
                    resolved_version: resolved_version.clone(),
                    checksum: checksum.clone(),
                    yanked,
                },
            }),
        );
    }
    let answer = SetAnswer {
        slug: set.slug.clone(),
        project: project.slug.clone(),
        name: snapshot.name.clone(),
        description: snapshot.description.clone(),
        version,
        dependencies: snapshot.dependencies.clone(),
        prompts: snapshot.prompts.clone(),
        resolved_version: resolved_version.clone(),
        checksum: checksum.clone(),
        yanked,
    };
    let hex = checksum.trim_start_matches("sha256:");
    let etag = format!(
        "\"{}{}{}\"",
        hex.get(..32).unwrap_or(hex),
        resolved_version
            .as_deref()
            .map(|v| format!("-{v}"))
            .unwrap_or_default(),
        if yanked { "-y" } else { "" }
    );
    Ok(Resolved {
        project_id: project.id.clone(),
        set_slug: set.slug.clone(),
        resolved_version,
        checksum,
        yanked,
        answer,
        build_id: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        etag,
        prompts,
        partials,
    })
}
