//! The hot path for applications: resolve an address (`project/set@^1.2/prompt`) to a version
//! of a prompt set and render its prompts. Answers are built once per (organisation, set
//! address), with templates parsed, and kept in an in-process cache. Every committed domain
//! event of an organisation moves that organisation to a new cache generation (see
//! [`super::feed`]), so an answer after a change is never stale on this instance, and one
//! tenant's writes never evict another's entries.
//!
//! `cache` holds the answers and the generations, `resolution` turns an address into a
//! resolved set, `rendering` renders one of its prompts, `catalog` lists every prompt a reader
//! can see at a spec.

mod cache;
pub mod catalog;
mod rendering;
mod resolution;

pub use cache::DeliveryCache;
pub use rendering::{Rendered, render, render_error, render_template};
pub use resolution::{ReadyPrompt, Resolved, resolve};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::access::OrgContext;
use super::access_tokens::ProjectReader;
use super::{Error, Result};
use crate::domain::entities::prompt_set;

/// Who reads: a member of the organisation (session or API key), or a project access token.
#[derive(Debug, Clone)]
pub enum Reader {
    Member(Box<OrgContext>),
    Token(ProjectReader),
}

impl Reader {
    pub fn organisation_id(&self) -> &str {
        match self {
            Reader::Member(ctx) => &ctx.organisation.id,
            Reader::Token(t) => &t.organisation_id,
        }
    }

    /// A live set this reader may read: any of a member's organisation, only its own project's
    /// for a token (404 otherwise, as for a set that does not exist).
    pub async fn set<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        id: &str,
    ) -> Result<prompt_set::Model> {
        match self {
            Reader::Member(ctx) => super::prompt_sets::get(conn, ctx, id).await,
            Reader::Token(t) => prompt_set::Entity::find_by_id(id.to_string())
                .filter(prompt_set::Column::OrganisationId.eq(t.organisation_id.clone()))
                .filter(prompt_set::Column::ProjectId.eq(t.project_id.clone()))
                .filter(prompt_set::Column::ArchivedAt.is_null())
                .one(conn)
                .await?
                .ok_or_else(|| not_found("prompt set")),
        }
    }
}

pub(super) fn not_found(what: &str) -> Error {
    Error::NotFound(format!("{what} not found"))
}
