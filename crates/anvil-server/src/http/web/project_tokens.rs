//! `/o/{org}/{project}/-/tokens`: a project's access tokens (admins and owners): read-only
//! credentials for applications that need one project's prompts, shown once when created.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::account::minute;
use super::pages::{
    CsrfForm, Layout, Problems, failure, member_page, member_post, refused, status_of,
};
use crate::domain::access::OrgContext;
use crate::domain::page::Page;
use crate::domain::records::project;
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
    summary: String,
    errors: Vec<(String, String)>,
    problems: Problems,
}

impl TokensPage {
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problems.field(name)
    }
}

async fn tokens_page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    project: project::Model,
    created: Option<String>,
    name: String,
    problems: Problems,
) -> domain::Result<TokensPage> {
    let tokens = access_tokens::list(&state.db, &ctx.actor, &project.id, &Page::first(200))
        .await?
        .items;
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
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                created: minute(t.created_at),
                last_used: t.last_used_at.map(minute).unwrap_or_else(|| "never".into()),
                id: t.id,
                name: t.name,
                prefix: t.prefix,
            })
            .collect(),
        created,
        name,
        summary: problems.summary.clone(),
        errors: problems.errors.clone(),
        problems,
    })
}

pub async fn page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let found = match projects::get(&state.db, &ctx, &project, true).await {
        Ok(p) => p,
        Err(e) => return failure(&state, &who, e),
    };
    let back = format!("/o/{org}/{}", found.slug);
    match tokens_page(
        &state,
        &ctx,
        layout,
        found,
        None,
        String::new(),
        Problems::default(),
    )
    .await
    {
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
    let found = match projects::get(&state.db, &ctx, &project, true).await {
        Ok(p) => p,
        Err(e) => return failure(&state, &who, e),
    };
    let back = format!("/o/{org}/{}", found.slug);
    let (created, name, problems, status) =
        match access_tokens::create(&state.db, &ctx.actor, &found.id, &form.name).await {
            Ok(t) => (
                Some(t.token),
                String::new(),
                Problems::default(),
                axum::http::StatusCode::CREATED,
            ),
            Err(e @ domain::Error::Forbidden(_)) => return refused(&state, &who, e, &back),
            Err(e @ domain::Error::Internal(_)) => return failure(&state, &who, e),
            Err(e) => {
                let status = status_of(&e);
                (None, form.name, Problems::of(e), status)
            }
        };
    match tokens_page(&state, &ctx, layout, found, created, name, problems).await {
        Ok(p) => (status, [(axum::http::header::CACHE_CONTROL, "no-store")], p).into_response(),
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
    let found = match projects::get(&state.db, &ctx, &project, true).await {
        Ok(p) => p,
        Err(e) => return failure(&state, &who, e),
    };
    let path = format!("/o/{org}/{}/-/tokens", found.slug);
    // Only a token this page lists (this project's) is revoked from it.
    let listed = access_tokens::list(&state.db, &ctx.actor, &found.id, &Page::first(200))
        .await
        .map(|p| p.items.iter().any(|t| t.id == id));
    match listed {
        Ok(true) => {}
        Ok(false) => {
            return failure(
                &state,
                &who,
                domain::Error::NotFound("access token not found".into()),
            );
        }
        Err(e) => return refused(&state, &who, e, &path),
    }
    match access_tokens::revoke(&state.db, &ctx.actor, &id).await {
        Ok(()) => Redirect::to(&path).into_response(),
        Err(e) => refused(&state, &who, e, &path),
    }
}
