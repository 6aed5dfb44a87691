//! `/o/{org}/{project}/-/tokens`: a project's access tokens (admins and owners): read-only
//! credentials for applications that need one project's prompts, shown once when created.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::account::minute;
use super::credentials::{AfterQuery, Shown};
use super::pages::{CsrfForm, Layout, Problems, failure, member_page, member_post, refused};
use crate::domain::access::OrgContext;
use crate::domain::records::{project, session, user};
use crate::domain::{self, access_tokens, projects};
use crate::http::AppState;

struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    path: String,
    project: project::Model,
    tokens: Vec<TokenRow>,
    created: Option<String>,
    name: String,
    /// Where the list continues (`?after=`), when more tokens follow this page.
    older: Option<String>,
    continued: bool,
    problems: Problems,
}

async fn tokens_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    project: project::Model,
    shown: Shown,
) -> domain::Result<TokensPage> {
    let list = access_tokens::list(&state.db, &ctx.actor, &project.id, &shown.page()).await?;
    let org = &ctx.organisation.slug;
    let path = format!("/o/{org}/{}/-/tokens", project.slug);
    layout.title = format!("Access tokens of {}", project.name);
    layout
        .crumbs
        .push((project.name.clone(), format!("/o/{org}/{}", project.slug)));
    layout.crumbs.push(("Access tokens".into(), path.clone()));
    Ok(TokensPage {
        layout,
        path,
        project,
        older: list.next_after(|t| &t.id),
        tokens: list
            .items
            .into_iter()
            .map(|t| TokenRow {
                created: minute(t.created_at),
                last_used: t.last_used_at.map(minute).unwrap_or_else(|| "never".into()),
                id: t.id,
                name: t.name,
                prefix: t.prefix,
            })
            .collect(),
        created: shown.created,
        name: shown.name,
        continued: shown.after.is_some(),
        problems: shown.problems,
    })
}

/// The project of the page and the path back to it; else the response to send.
async fn project_of(
    state: &AppState,
    who: &Option<(session::Model, user::Model)>,
    ctx: &OrgContext,
    slug: &str,
) -> Result<(project::Model, String), Response> {
    match projects::get(&state.db, ctx, slug, true).await {
        Ok(p) => {
            let back = format!("/o/{}/{}", ctx.organisation.slug, p.slug);
            Ok((p, back))
        }
        Err(e) => Err(failure(state, who, e)),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    Query(q): Query<AfterQuery>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (found, back) = match project_of(&state, &who, &ctx, &project).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match tokens_page(&state, &ctx, layout, found, Shown::listing(q.after)).await {
        Ok(p) => p.into_response(),
        Err(e) => refused(&state, &who, e, &back),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Response {
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (found, back) = match project_of(&state, &who, &ctx, &project).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let made = access_tokens::create(&state.db, &ctx.actor, &found.id, &form.name)
        .await
        .map(|t| t.token);
    let (shown, status) = match made {
        // A member may not manage tokens: the page says so rather than offering the form.
        Err(e @ domain::Error::Forbidden(_)) => return refused(&state, &who, e, &back),
        made => match Shown::created(made, form.name) {
            Ok(x) => x,
            Err(e) => return failure(&state, &who, e),
        },
    };
    match tokens_page(&state, &ctx, layout, found, shown).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => refused(&state, &who, e, &back),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, id)): Path<(String, String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (ctx, _) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (found, back) = match project_of(&state, &who, &ctx, &project).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let path = format!("{back}/-/tokens");
    // Only this project's tokens are revoked from its page.
    match access_tokens::revoke(&state.db, &ctx.actor, &id, Some(&found.id)).await {
        Ok(()) => Redirect::to(&path).into_response(),
        Err(e) => refused(&state, &who, e, &path),
    }
}
