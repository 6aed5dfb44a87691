//! Creating projects, prompt sets and prompts: one form page each (name, slug, description),
//! shown again with the problems under their fields when the domain refuses it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::pages::{Layout, Problems, failure, member_page, member_post, status_of};
use crate::domain::access::OrgContext;
use crate::domain::{projects, prompt_sets, prompts};
use crate::http::AppState;

/// What is being created, and where.
enum Kind {
    Project,
    Set { project: String },
    Prompt { project: String, set: String },
}

impl Kind {
    fn heading(&self) -> &'static str {
        match self {
            Kind::Project => "New project",
            Kind::Set { .. } => "New prompt set",
            Kind::Prompt { .. } => "New prompt",
        }
    }

    fn intro(&self) -> &'static str {
        match self {
            Kind::Project => {
                "A project groups the prompt sets of one product or team; applications address \
                 its prompts as project/set/prompt."
            }
            Kind::Set { .. } => {
                "A set is versioned as a whole: create one for each group of prompts you \
                 release together."
            }
            Kind::Prompt { .. } => {
                "A prompt is a Liquid template with typed parameters. You write the template \
                 in the editor next."
            }
        }
    }

    /// The path the form posts to (the page's own).
    fn action(&self, org: &str) -> String {
        match self {
            Kind::Project => format!("/o/{org}/-/new"),
            Kind::Set { project } => format!("/o/{org}/{project}/-/new"),
            Kind::Prompt { project, set } => format!("/o/{org}/{project}/{set}/-/new"),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "new.html")]
struct NewPage {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
    action: String,
    cancel: String,
    name: String,
    slug: String,
    description: String,
    problems: Problems,
}

#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
}

fn page(
    ctx: &OrgContext,
    mut layout: Layout,
    kind: &Kind,
    form: NewForm,
    problems: Problems,
) -> NewPage {
    let org = &ctx.organisation.slug;
    layout.title = kind.heading().to_string();
    let cancel = match kind {
        Kind::Project => format!("/o/{org}"),
        Kind::Set { project } => format!("/o/{org}/{project}"),
        Kind::Prompt { project, set } => format!("/o/{org}/{project}/{set}"),
    };
    NewPage {
        layout,
        heading: kind.heading(),
        intro: kind.intro(),
        action: kind.action(org),
        cancel,
        name: form.name,
        slug: form.slug,
        description: form.description,
        problems,
    }
}

fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Creates the thing; `Ok` is the path of its page.
async fn create(
    state: &AppState,
    ctx: &OrgContext,
    kind: &Kind,
    form: &NewForm,
) -> crate::domain::Result<String> {
    let org = &ctx.organisation.slug;
    match kind {
        Kind::Project => {
            let p = projects::create(
                &state.db,
                ctx,
                projects::ProjectInput {
                    name: Some(form.name.trim().to_string()),
                    slug: optional(&form.slug),
                    description: Some(form.description.clone()),
                },
            )
            .await?;
            Ok(format!("/o/{org}/{}", p.slug))
        }
        Kind::Set { project } => {
            let found = projects::get(&state.db, ctx, project, true).await?;
            let s = prompt_sets::create(
                &state.db,
                ctx,
                &found.id,
                prompt_sets::SetInput {
                    name: Some(form.name.trim().to_string()),
                    slug: optional(&form.slug),
                    description: Some(form.description.clone()),
                    dependencies: None,
                },
            )
            .await?;
            Ok(format!("/o/{org}/{}/{}", found.slug, s.slug))
        }
        Kind::Prompt { project, set } => {
            let (p, s) = prompt_sets::by_address(&state.db, ctx, project, set).await?;
            let saved = prompts::create(
                &state.db,
                &state.prompts,
                ctx,
                &s.id,
                prompts::PromptInput {
                    name: Some(form.name.trim().to_string()),
                    slug: optional(&form.slug),
                    description: Some(form.description.clone()),
                    ..Default::default()
                },
            )
            .await?;
            Ok(format!(
                "/o/{org}/{}/{}/{}",
                p.slug, s.slug, saved.prompt.slug
            ))
        }
    }
}

async fn show(
    state: AppState,
    who: Visitor,
    headers: HeaderMap,
    org: String,
    kind: Kind,
) -> Response {
    let Visitor(who) = who;
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    // What it would be created in must exist (and be this organisation's) before the form.
    let parent = match &kind {
        Kind::Project => Ok(()),
        Kind::Set { project } => projects::get(&state.db, &ctx, project, true)
            .await
            .map(|_| ()),
        Kind::Prompt { project, set } => prompt_sets::by_address(&state.db, &ctx, project, set)
            .await
            .map(|_| ()),
    };
    if let Err(e) = parent {
        return failure(&state, &who, e);
    }
    page(&ctx, layout, &kind, NewForm::default(), Problems::default()).into_response()
}

async fn submit(
    state: AppState,
    who: Visitor,
    headers: HeaderMap,
    org: String,
    kind: Kind,
    form: NewForm,
) -> Response {
    let Visitor(who) = who;
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match create(&state, &ctx, &kind, &form).await {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(e @ crate::domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => (
            status_of(&e),
            page(&ctx, layout, &kind, form, Problems::of(e)),
        )
            .into_response(),
    }
}

pub async fn new_project_form(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    show(state, who, headers, org, Kind::Project).await
}

pub async fn new_project(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Form(form): Form<NewForm>,
) -> Response {
    submit(state, who, headers, org, Kind::Project, form).await
}

pub async fn new_set_form(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> Response {
    show(state, who, headers, org, Kind::Set { project }).await
}

pub async fn new_set(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    Form(form): Form<NewForm>,
) -> Response {
    submit(state, who, headers, org, Kind::Set { project }, form).await
}

pub async fn new_prompt_form(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
) -> Response {
    show(state, who, headers, org, Kind::Prompt { project, set }).await
}

pub async fn new_prompt(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Form(form): Form<NewForm>,
) -> Response {
    submit(
        state,
        who,
        headers,
        org,
        Kind::Prompt { project, set },
        form,
    )
    .await
}
