//! Editing and deleting a project or a prompt set. The form carries the entity tag the page
//! was rendered from, so a save over someone else's change is refused (412) and the page says
//! so, as the API's `If-Match` does. Deleting asks for the slug typed out, names what goes with
//! it, and archives (the slug stays reserved; owners can restore it through the API).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::pages::{Layout, Problems, failure, member_page, member_post, status_of};
use crate::domain::access::{Action, OrgContext};
use crate::domain::precondition::{self, Precondition};
use crate::domain::{self, projects, prompt_sets};
use crate::http::AppState;

/// What is being edited, found from the URL.
enum Target {
    Project(crate::domain::records::project::Model),
    Set(
        Box<crate::domain::records::project::Model>,
        Box<crate::domain::records::prompt_set::Model>,
    ),
}

impl Target {
    async fn find(
        state: &AppState,
        ctx: &OrgContext,
        project: &str,
        set: Option<&str>,
    ) -> domain::Result<Target> {
        match set {
            None => Ok(Target::Project(
                projects::get(&state.db, ctx, project, true).await?,
            )),
            Some(set) => {
                let (p, s) = prompt_sets::by_address(&state.db, ctx, project, set).await?;
                Ok(Target::Set(Box::new(p), Box::new(s)))
            }
        }
    }

    fn path(&self, org: &str) -> String {
        match self {
            Target::Project(p) => format!("/o/{org}/{}", p.slug),
            Target::Set(p, s) => format!("/o/{org}/{}/{}", p.slug, s.slug),
        }
    }

    /// Where the user lands after deleting it.
    fn parent(&self, org: &str) -> String {
        match self {
            Target::Project(_) => format!("/o/{org}"),
            Target::Set(p, _) => format!("/o/{org}/{}", p.slug),
        }
    }

    /// A set's dependencies, one `project/set@spec` per line; a project has none.
    fn dependencies(&self) -> Option<String> {
        match self {
            Target::Project(_) => None,
            Target::Set(_, s) => {
                Some(crate::domain::dependencies::from_json(&s.dependencies).join("\n"))
            }
        }
    }

    fn fields(&self) -> (&str, &str, &str) {
        match self {
            Target::Project(p) => (&p.name, &p.slug, &p.description),
            Target::Set(_, s) => (&s.name, &s.slug, &s.description),
        }
    }

    fn etag(&self) -> String {
        precondition::etag(match self {
            Target::Project(p) => p.updated_at,
            Target::Set(_, s) => s.updated_at,
        })
    }

    fn what(&self) -> &'static str {
        match self {
            Target::Project(_) => "project",
            Target::Set(..) => "prompt set",
        }
    }

    /// Whether the viewer may edit it and delete it.
    fn rights(&self, ctx: &OrgContext) -> (bool, bool) {
        match self {
            Target::Project(_) => {
                let admin = ctx.require(Action::ManageProjects).is_ok();
                (admin, admin)
            }
            Target::Set(_, s) => (
                ctx.require(Action::EditContent).is_ok() && prompt_sets::ensure_editable(s).is_ok(),
                ctx.require(Action::DeleteContent).is_ok(),
            ),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    what: &'static str,
    path: String,
    name: String,
    slug: String,
    current_slug: String,
    description: String,
    /// A set's dependencies as the textarea holds them; `None` for a project.
    dependencies: Option<String>,
    etag: String,
    can_edit: bool,
    can_delete: bool,
    /// What deleting takes with it, in words, counted when the page is shown.
    consequence: String,
    problems: Problems,
}

#[derive(Deserialize, Default)]
pub struct EditForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    /// A set's dependencies, one per line.
    #[serde(default)]
    dependencies: Option<String>,
    #[serde(default)]
    etag: String,
    /// The slug typed out to confirm a delete.
    #[serde(default)]
    confirm: String,
}

/// `n` things, in words: "1 prompt", "3 prompts".
fn count(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// What deleting `t` takes with it, counted now.
async fn consequence(state: &AppState, ctx: &OrgContext, t: &Target) -> domain::Result<String> {
    let (project, set) = match t {
        Target::Project(p) => (p.id.as_str(), None),
        Target::Set(p, s) => (p.id.as_str(), Some(s.id.as_str())),
    };
    let c = crate::domain::overview::contents(&state.db, ctx, project, set).await?;
    let within = format!(
        "{} and {} stop resolving at once",
        count(c.prompts, "prompt"),
        count(c.versions, "version")
    );
    Ok(match t {
        Target::Project(_) if c.sets.is_empty() => "it holds no prompt sets".to_string(),
        Target::Project(_) => format!(
            "{} ({}) with their {within}",
            count(c.sets.len() as u64, "prompt set"),
            c.sets.join(", ")
        ),
        Target::Set(..) => format!("its {within}, with its channels"),
    })
}

async fn page(
    state: &AppState,
    ctx: &OrgContext,
    mut layout: Layout,
    t: &Target,
    form: Option<&EditForm>,
    problems: Problems,
) -> domain::Result<SettingsPage> {
    let consequence = consequence(state, ctx, t).await?;
    let org = &ctx.organisation.slug;
    let (name, slug, description) = t.fields();
    let (can_edit, can_delete) = t.rights(ctx);
    layout.title = format!("Settings of {name}");
    if let Target::Set(p, _) = t {
        layout
            .crumbs
            .push((p.name.clone(), format!("/o/{org}/{}", p.slug)));
    }
    layout.crumbs.push((name.to_string(), t.path(org)));
    Ok(SettingsPage {
        layout,
        what: t.what(),
        path: t.path(org),
        name: form
            .map(|f| f.name.clone())
            .unwrap_or_else(|| name.to_string()),
        slug: form
            .map(|f| f.slug.clone())
            .unwrap_or_else(|| slug.to_string()),
        current_slug: slug.to_string(),
        description: form
            .map(|f| f.description.clone())
            .unwrap_or_else(|| description.to_string()),
        dependencies: t
            .dependencies()
            .map(|current| form.and_then(|f| f.dependencies.clone()).unwrap_or(current)),
        etag: t.etag(),
        can_edit,
        can_delete,
        consequence,
        problems,
    })
}

async fn show(
    state: AppState,
    who: Visitor,
    headers: HeaderMap,
    org: String,
    project: String,
    set: Option<String>,
) -> Response {
    let Visitor(who) = who;
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match Target::find(&state, &ctx, &project, set.as_deref()).await {
        Ok(t) => match page(&state, &ctx, layout, &t, None, Problems::default()).await {
            Ok(p) => p.into_response(),
            Err(e) => failure(&state, &who, e),
        },
        Err(e) => failure(&state, &who, e),
    }
}

async fn save(
    state: AppState,
    who: Visitor,
    headers: HeaderMap,
    org: String,
    project: String,
    set: Option<String>,
    form: EditForm,
) -> Response {
    let Visitor(who) = who;
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let t = match Target::find(&state, &ctx, &project, set.as_deref()).await {
        Ok(t) => t,
        Err(e) => return failure(&state, &who, e),
    };
    let precondition = Some(Precondition::parse(&form.etag));
    let description = Some(form.description.clone());
    let saved = match &t {
        Target::Project(p) => projects::update(
            &state.db,
            &ctx,
            &p.id,
            precondition,
            projects::ProjectInput {
                name: Some(form.name.trim().to_string()),
                slug: Some(form.slug.trim().to_string()),
                description,
            },
        )
        .await
        .map(|p| format!("/o/{}/{}", ctx.organisation.slug, p.slug)),
        Target::Set(p, s) => prompt_sets::update(
            &state.db,
            &ctx,
            &s.id,
            precondition,
            prompt_sets::SetInput {
                name: Some(form.name.trim().to_string()),
                slug: Some(form.slug.trim().to_string()),
                description,
                dependencies: form.dependencies.as_deref().map(dependency_lines),
            },
        )
        .await
        .map(|s| format!("/o/{}/{}/{}", ctx.organisation.slug, p.slug, s.slug)),
    };
    match saved {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(e @ domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => {
            let status = status_of(&e);
            let problems = match e {
                domain::Error::PreconditionFailed { .. } => Problems {
                    summary: format!(
                        "Someone else changed this {} after you opened the page; nothing was saved. Reload to see their change.",
                        t.what()
                    ),
                    errors: Vec::new(),
                },
                e => {
                    let mut p = Problems::of(e);
                    // The domain names `dependencies[i]`, the i-th entry; the form has one
                    // textarea, so the problem goes under it, naming the entry.
                    let entries = dependency_lines(form.dependencies.as_deref().unwrap_or(""));
                    for (field, message) in &mut p.errors {
                        if let Some(i) = field
                            .strip_prefix("dependencies[")
                            .and_then(|r| r.strip_suffix(']'))
                            .and_then(|i| i.parse::<usize>().ok())
                        {
                            let entry = entries.get(i).map(String::as_str).unwrap_or("");
                            *message = format!("{entry}: {message}");
                            *field = "dependencies".into();
                        }
                    }
                    p
                }
            };
            match page(&state, &ctx, layout, &t, Some(&form), problems).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => failure(&state, &who, e),
            }
        }
    }
}

/// The textarea's dependencies: one per non-blank line.
fn dependency_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn delete(
    state: AppState,
    who: Visitor,
    headers: HeaderMap,
    org: String,
    project: String,
    set: Option<String>,
    form: EditForm,
) -> Response {
    let Visitor(who) = who;
    let (ctx, layout) = match member_post(&state, &who, &headers, &org, &form.csrf).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let t = match Target::find(&state, &ctx, &project, set.as_deref()).await {
        Ok(t) => t,
        Err(e) => return failure(&state, &who, e),
    };
    let (_, slug, _) = t.fields();
    if form.confirm.trim() != slug {
        let problems = Problems {
            summary: "Please fix these and try again:".into(),
            errors: vec![("confirm".into(), format!("type {slug} to confirm"))],
        };
        return match page(&state, &ctx, layout, &t, None, problems).await {
            Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
            Err(e) => failure(&state, &who, e),
        };
    }
    let done = match &t {
        Target::Project(p) => projects::archive(&state.db, &ctx, &p.id, None).await,
        Target::Set(_, s) => prompt_sets::archive(&state.db, &ctx, &s.id, None).await,
    };
    match done {
        Ok(()) => Redirect::to(&t.parent(&ctx.organisation.slug)).into_response(),
        Err(e @ domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => {
            let status = status_of(&e);
            match page(&state, &ctx, layout, &t, None, Problems::of(e)).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => failure(&state, &who, e),
            }
        }
    }
}

pub async fn project_form(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> Response {
    show(state, who, headers, org, project, None).await
}

pub async fn project_save(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    Form(form): Form<EditForm>,
) -> Response {
    save(state, who, headers, org, project, None, form).await
}

pub async fn project_delete(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    Form(form): Form<EditForm>,
) -> Response {
    delete(state, who, headers, org, project, None, form).await
}

pub async fn set_form(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
) -> Response {
    show(state, who, headers, org, project, Some(set)).await
}

pub async fn set_save(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Form(form): Form<EditForm>,
) -> Response {
    save(state, who, headers, org, project, Some(set), form).await
}

pub async fn set_delete(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Form(form): Form<EditForm>,
) -> Response {
    delete(state, who, headers, org, project, Some(set), form).await
}
