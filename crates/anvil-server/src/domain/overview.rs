//! What an organisation's dashboard shows: how much there is, the prompts edited last, and
//! which version each set's `production` channel serves. Archived projects and sets (and what
//! is in them) are not counted. Every query starts from the organisation ([`OrgContext::find`]).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::Result;
use super::access::{Action, OrgContext};
use crate::domain::entities::{channel, project, prompt, prompt_set, version};

/// A prompt edited recently: its name, `project/set/prompt` and when.
pub struct RecentPrompt {
    pub name: String,
    pub address: String,
    pub updated_at: time::OffsetDateTime,
}

/// A set's production channel: `project/set` and the label it serves.
pub struct Served {
    pub address: String,
    pub label: String,
    pub protected: bool,
}

/// How much one project holds.
#[derive(Default, Clone, Copy)]
pub struct ProjectCounts {
    pub sets: u64,
    pub prompts: u64,
}

pub struct Overview {
    /// Per project id.
    pub per_project: HashMap<String, ProjectCounts>,
    pub projects: u64,
    pub sets: u64,
    pub prompts: u64,
    pub versions: u64,
    pub recent_prompts: Vec<RecentPrompt>,
    pub production: Vec<Served>,
}

/// How many recently edited prompts the dashboard lists.
const RECENT: u64 = 8;

pub async fn of(db: &DatabaseConnection, ctx: &OrgContext) -> Result<Overview> {
    ctx.require(Action::ReadOrganisation)?;
    let projects: HashMap<String, String> = ctx
        .find::<project::Entity>()
        .filter(project::Column::ArchivedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.slug))
        .collect();
    // Live sets of live projects: id -> (project id, project/set)
    let mut per_project: HashMap<String, ProjectCounts> = HashMap::new();
    let mut set_project: HashMap<String, String> = HashMap::new();
    let sets: HashMap<String, String> = ctx
        .find::<prompt_set::Entity>()
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| {
            let p = projects.get(&s.project_id)?;
            per_project.entry(s.project_id.clone()).or_default().sets += 1;
            set_project.insert(s.id.clone(), s.project_id.clone());
            Some((s.id, format!("{p}/{}", s.slug)))
        })
        .collect();
    let ids: Vec<String> = sets.keys().cloned().collect();
    // Prompts per set, in one grouped query.
    let per_set: Vec<(String, i64)> = ctx
        .find::<prompt::Entity>()
        .select_only()
        .column(prompt::Column::PromptSetId)
        .column_as(prompt::Column::Id.count(), "n")
        .filter(prompt::Column::PromptSetId.is_in(ids.clone()))
        .group_by(prompt::Column::PromptSetId)
        .into_tuple()
        .all(db)
        .await?;
    let mut prompts = 0;
    for (set, n) in per_set {
        let n = u64::try_from(n).unwrap_or_default();
        prompts += n;
        if let Some(p) = set_project.get(&set) {
            per_project.entry(p.clone()).or_default().prompts += n;
        }
    }
    let versions = ctx
        .find::<version::Entity>()
        .filter(version::Column::PromptSetId.is_in(ids.clone()))
        .count(db)
        .await?;
    let recent_prompts = ctx
        .find::<prompt::Entity>()
        .select_only()
        .columns([
            prompt::Column::Name,
            prompt::Column::Slug,
            prompt::Column::PromptSetId,
            prompt::Column::UpdatedAt,
        ])
        .filter(prompt::Column::PromptSetId.is_in(ids.clone()))
        .order_by_desc(prompt::Column::UpdatedAt)
        .limit(RECENT)
        .into_tuple::<(String, String, String, time::OffsetDateTime)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(name, slug, set, updated_at)| {
            sets.get(&set).map(|s| RecentPrompt {
                name,
                address: format!("{s}/{slug}"),
                updated_at,
            })
        })
        .collect();
    let channels = ctx
        .find::<channel::Entity>()
        .filter(channel::Column::Name.eq("production"))
        .filter(channel::Column::PromptSetId.is_in(ids))
        .all(db)
        .await?;
    let labels: HashMap<String, String> = ctx
        .find::<version::Entity>()
        .select_only()
        .columns([version::Column::Id, version::Column::Label])
        .filter(version::Column::Id.is_in(channels.iter().map(|c| c.version_id.clone())))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut production: Vec<Served> = channels
        .into_iter()
        .filter_map(|c| {
            Some(Served {
                address: sets.get(&c.prompt_set_id)?.clone(),
                label: labels.get(&c.version_id)?.clone(),
                protected: c.protected,
            })
        })
        .collect();
    production.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(Overview {
        per_project,
        projects: projects.len() as u64,
        sets: sets.len() as u64,
        prompts,
        versions,
        recent_prompts,
        production,
    })
}

/// What deleting a project (or one of its sets) takes with it: its live sets' slugs, their
/// prompts and versions.
pub struct Contents {
    pub sets: Vec<String>,
    pub prompts: u64,
    pub versions: u64,
}

pub async fn contents(
    db: &DatabaseConnection,
    ctx: &OrgContext,
    project_id: &str,
    set_id: Option<&str>,
) -> Result<Contents> {
    ctx.require(Action::ReadOrganisation)?;
    let mut q = ctx
        .find::<prompt_set::Entity>()
        .filter(prompt_set::Column::ProjectId.eq(project_id))
        .filter(prompt_set::Column::ArchivedAt.is_null());
    if let Some(id) = set_id {
        q = q.filter(prompt_set::Column::Id.eq(id));
    }
    let sets: Vec<(String, String)> = q
        .select_only()
        .columns([prompt_set::Column::Id, prompt_set::Column::Slug])
        .order_by_asc(prompt_set::Column::Slug)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<String> = sets.iter().map(|(id, _)| id.clone()).collect();
    let prompts = ctx
        .find::<prompt::Entity>()
        .filter(prompt::Column::PromptSetId.is_in(ids.clone()))
        .count(db)
        .await?;
    let versions = ctx
        .find::<version::Entity>()
        .filter(version::Column::PromptSetId.is_in(ids))
        .count(db)
        .await?;
    Ok(Contents {
        sets: sets.into_iter().map(|(_, slug)| slug).collect(),
        prompts,
        versions,
    })
}
