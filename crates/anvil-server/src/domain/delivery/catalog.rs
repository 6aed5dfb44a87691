//! Every prompt a reader can see at one version spec, in a stable order and a page at a time:
//! what an MCP client lists. Each set is resolved through the delivery cache, so a listing
//! costs what the same renders would; a set with no version the spec picks is left out.

use std::sync::Arc;

use anvil_core::address::Address;
use anvil_core::render::PromptEngine;
use anvil_core::version::VersionSpec;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::entities::{project, prompt_set};
use crate::domain::{Error, Result};

use super::{DeliveryCache, Reader, ReadyPrompt, Resolved, resolve};

/// At most this many prompts a page.
pub const PAGE: usize = 50;

/// One prompt of a listing.
pub struct Listed {
    /// `project/set@spec/prompt`: what to render it by.
    pub address: String,
    pub resolved: Arc<Resolved>,
    pub prompt: Arc<ReadyPrompt>,
}

/// A page of the listing and the address to continue after, when there is more.
pub struct Listing {
    pub prompts: Vec<Listed>,
    pub next_after: Option<String>,
}

/// The live sets the reader can see, as `(project slug, set slug)` in address order.
async fn sets(db: &DatabaseConnection, reader: &Reader) -> Result<Vec<(String, String)>> {
    let mut projects = project::Entity::find()
        .filter(project::Column::OrganisationId.eq(reader.organisation_id()))
        .filter(project::Column::ArchivedAt.is_null());
    if let Reader::Token(t) = reader {
        projects = projects.filter(project::Column::Id.eq(t.project_id.clone()));
    }
    let projects = projects.all(db).await?;
    let sets = prompt_set::Entity::find()
        .filter(prompt_set::Column::OrganisationId.eq(reader.organisation_id()))
        .filter(prompt_set::Column::ProjectId.is_in(projects.iter().map(|p| p.id.clone())))
        .filter(prompt_set::Column::ArchivedAt.is_null())
        .order_by_asc(prompt_set::Column::Slug)
        .all(db)
        .await?;
    let mut out: Vec<(String, String)> = sets
        .into_iter()
        .filter_map(|s| {
            projects
                .iter()
                .find(|p| p.id == s.project_id)
                .map(|p| (p.slug.clone(), s.slug))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The prompts after `after` (an address this listing gave), at most `limit` of them.
pub async fn list(
    db: &DatabaseConnection,
    engine: &PromptEngine,
    cache: &DeliveryCache,
    reader: &Reader,
    spec: &VersionSpec,
    after: Option<&str>,
    limit: usize,
) -> Result<Listing> {
    let after = after
        .map(|a| {
            Address::parse(a)
                .ok()
                .and_then(|a| Some(((a.project, a.prompt_set), a.prompt?)))
                .ok_or_else(|| Error::invalid("cursor", "is not a cursor this listing gave"))
        })
        .transpose()?;
    if let Reader::Member(ctx) = reader {
        ctx.require(crate::domain::access::Action::ReadOrganisation)?;
    }
    let mut prompts = Vec::new();
    for (project, set) in sets(db, reader).await? {
        if after
            .as_ref()
            .is_some_and(|(s, _)| (&project, &set) < (&s.0, &s.1))
        {
            continue;
        }
        let address = Address {
            organisation: None,
            project: project.clone(),
            prompt_set: set.clone(),
            spec: Some(spec.clone()),
            prompt: None,
        };
        let resolved = match resolve(db, engine, cache, reader, &address).await {
            Ok(r) => r,
            // No version matches the spec (or the set went away meanwhile): not listed.
            Err(Error::NotFound(_)) => continue,
            // A release that no longer resolves (a dependency archived since) must not hide
            // every other set: it is left out, and the log says why.
            Err(Error::Validation(problems)) => {
                tracing::warn!(set = %format!("{project}/{set}@{spec}"), ?problems, "a set is left out of the prompt listing: it does not resolve");
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut slugs: Vec<&String> = resolved.prompts.keys().collect();
        slugs.sort();
        for slug in slugs {
            if after
                .as_ref()
                .is_some_and(|(s, p)| (&project, &set) == (&s.0, &s.1) && slug <= p)
            {
                continue;
            }
            if prompts.len() == limit {
                let next_after = prompts.last().map(|l: &Listed| l.address.clone());
                return Ok(Listing {
                    prompts,
                    next_after,
                });
            }
            let Some(prompt) = resolved.prompts.get(slug) else {
                continue;
            };
            prompts.push(Listed {
                address: format!("{project}/{set}@{spec}/{slug}"),
                resolved: resolved.clone(),
                prompt: prompt.clone(),
            });
        }
    }
    Ok(Listing {
        prompts,
        next_after: None,
    })
}
