//! Releasing a prompt set from the browser: cutting a version (the dialog shows the label the
//! forge suggests and the diff that will be frozen), moving a channel (the confirmation shows
//! the diff it will ship), a version's frozen prompts, restoring one into the working copy, and
//! the diff between any two versions or a version and the working copy.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::pages::{Layout, Problems, failure, member_page, member_post, status_of};
use crate::domain::access::OrgContext;
use crate::domain::delivery::Reader;
use crate::domain::records::{project, prompt_set, version};
use crate::domain::{self, channels, prompt_sets, versions};
use crate::http::AppState;
use anvil_core::diff::{PromptChange, SetDiff};

/// A set found by its address in the URL, with the page's breadcrumbs down to it.
struct SetScope {
    ctx: OrgContext,
    layout: Layout,
    project: project::Model,
    set: prompt_set::Model,
    /// `/o/{org}/{project}/{set}`
    path: String,
}

impl SetScope {
    fn reader(&self) -> Reader {
        Reader::Member(Box::new(self.ctx.clone()))
    }
}

async fn scope(
    state: &AppState,
    found: Result<(OrgContext, Layout), Response>,
    who: &Option<(
        crate::domain::records::session::Model,
        crate::domain::records::user::Model,
    )>,
    project: &str,
    set: &str,
) -> Result<SetScope, Response> {
    let (ctx, mut layout) = found?;
    let (p, s) = prompt_sets::by_address(&state.db, &ctx, project, set)
        .await
        .map_err(|e| failure(state, who, e))?;
    let org = &ctx.organisation.slug;
    let path = format!("/o/{org}/{}/{}", p.slug, s.slug);
    layout
        .crumbs
        .push((p.name.clone(), format!("/o/{org}/{}", p.slug)));
    layout.crumbs.push((s.name.clone(), path.clone()));
    // These pages show the set as it was when opened: a change elsewhere offers a reload.
    layout.stale_on_set = Some(s.id.clone());
    Ok(SetScope {
        ctx,
        layout,
        project: p,
        set: s,
        path,
    })
}

/// One line of a template diff: `ins`, `del` or `eq`, and its text.
#[derive(Clone)]
pub(super) struct Line {
    class: &'static str,
    text: String,
}

/// One row of the side-by-side view: the old line and the new one (either may be absent).
pub(super) struct Row {
    from: Option<Line>,
    to: Option<Line>,
}

/// Lines as side-by-side rows: equal lines on both sides, a deleted run beside the inserted
/// run that replaces it, line by line.
fn side_by_side(lines: &[Line]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].class == "eq" {
            rows.push(Row {
                from: Some(lines[i].clone()),
                to: Some(lines[i].clone()),
            });
            i += 1;
            continue;
        }
        let dels: Vec<Line> = lines[i..]
            .iter()
            .take_while(|l| l.class == "del")
            .cloned()
            .collect();
        i += dels.len();
        let ins: Vec<Line> = lines[i..]
            .iter()
            .take_while(|l| l.class == "ins")
            .cloned()
            .collect();
        i += ins.len();
        for k in 0..dels.len().max(ins.len()) {
            rows.push(Row {
                from: dels.get(k).cloned(),
                to: ins.get(k).cloned(),
            });
        }
    }
    rows
}

/// One prompt's changes, as the diff views show them.
pub(super) struct PromptChanges {
    slug: String,
    change: &'static str,
    lines: Vec<Line>,
    rows: Vec<Row>,
    /// Parameter changes in words (`+ name: string, required`).
    parameters: Vec<String>,
    /// Other fields that changed (`name`, `description`, `metadata`, ...).
    fields: Vec<String>,
}

fn describe(p: &anvil_core::params::Parameter) -> String {
    let kind = serde_json::to_value(p.kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let mut s = format!("{}: {kind}", p.name);
    if p.required {
        s.push_str(", required");
    }
    if let Some(d) = &p.default {
        s.push_str(&format!(", default {d}"));
    }
    s
}

pub(super) fn changes(diff: &SetDiff) -> Vec<PromptChanges> {
    diff.prompts
        .iter()
        .map(|p| {
            let mut lines = Vec::new();
            for run in &p.template_diff {
                let class = match run.op {
                    "insert" => "ins",
                    "delete" => "del",
                    _ => "eq",
                };
                for l in run.text.lines() {
                    lines.push(Line {
                        class,
                        text: l.to_string(),
                    });
                }
            }
            let mut parameters: Vec<String> = p
                .parameters
                .added
                .iter()
                .map(|x| format!("+ {}", describe(x)))
                .collect();
            parameters.extend(
                p.parameters
                    .removed
                    .iter()
                    .map(|x| format!("- {}", describe(x))),
            );
            parameters.extend(
                p.parameters
                    .changed
                    .iter()
                    .map(|c| format!("~ {} → {}", describe(&c.from), describe(&c.to))),
            );
            let mut fields: Vec<String> = p.fields_changed.iter().map(|f| f.to_string()).collect();
            if p.metadata_changed {
                fields.push("metadata".into());
            }
            PromptChanges {
                rows: side_by_side(&lines),
                slug: p.slug.clone(),
                change: match p.change {
                    PromptChange::Added => "added",
                    PromptChange::Removed => "removed",
                    PromptChange::Changed => "changed",
                },
                lines,
                parameters,
                fields,
            }
        })
        .collect()
}

fn labels(versions: &[versions::VersionSummary], with_yanked: bool) -> Vec<String> {
    versions
        .iter()
        .filter(|v| with_yanked || v.yanked_at.is_none())
        .map(|v| v.label.clone())
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "cut.html")]
struct CutPage {
    layout: Layout,
    set_path: String,
    address: String,
    suggested: String,
    /// "minor: ..." or "the first version"
    reason: String,
    base: Option<String>,
    unchanged: bool,
    label: String,
    description: String,
    diff: Vec<PromptChanges>,
    /// The working copy's prompts, for the first version.
    prompt_slugs: Vec<String>,
    problems: Problems,
}

#[derive(Deserialize, Default)]
pub struct CutForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    description: String,
}

async fn cut_page(
    state: &AppState,
    mut s: SetScope,
    form: CutForm,
    problems: Problems,
) -> Result<CutPage, domain::Error> {
    let suggestion = versions::suggestion(&state.db, &s.ctx, &s.set.id).await?;
    let diff = match &suggestion.base {
        Some(base) => {
            changes(&versions::diff(&state.db, &s.ctx, &s.set.id, base, "working").await?)
        }
        None => Vec::new(),
    };
    let prompt_slugs = versions::working_prompts(&state.db, &s.set.id)
        .await?
        .into_iter()
        .map(|p| p.slug)
        .collect();
    let reason = match suggestion.change {
        None => "the first version".to_string(),
        Some(anvil_core::version::Change::Major) => {
            "major: a breaking change to a prompt or its parameters".into()
        }
        Some(anvil_core::version::Change::Minor) => {
            "minor: new prompts or optional parameters".into()
        }
        Some(anvil_core::version::Change::Patch) => "patch: wording and descriptions".into(),
    };
    s.layout.title = format!("Cut a version of {}", s.set.name);
    let suggested = suggestion.label.as_string();
    Ok(CutPage {
        address: format!("{}/{}", s.project.slug, s.set.slug),
        set_path: s.path,
        label: if form.label.is_empty() {
            suggested.clone()
        } else {
            form.label
        },
        description: form.description,
        suggested,
        reason,
        base: suggestion.base,
        unchanged: suggestion.unchanged,
        diff,
        prompt_slugs,
        problems,
        layout: s.layout,
    })
}

/// `GET .../{set}/-/cut`: what cutting would freeze, and under which label.
pub async fn cut_form(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
) -> Response {
    let found = member_page(&state, &who, &headers, &org).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    match cut_page(&state, s, CutForm::default(), Problems::default()).await {
        Ok(page) => page.into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

/// `POST .../{set}/-/cut`: cuts it, then shows the new version.
pub async fn cut(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Form(form): Form<CutForm>,
) -> Response {
    let found = member_post(&state, &who, &headers, &org, &form.csrf).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let input = versions::VersionInput {
        label: Some(form.label.trim().to_string()).filter(|l| !l.is_empty()),
        description: Some(form.description.clone()),
    };
    match versions::cut(&state.db, &state.prompts, &s.ctx, &s.set.id, input).await {
        Ok(c) => Redirect::to(&format!("{}/v/{}", s.path, c.version.label)).into_response(),
        Err(e @ domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => {
            let status = status_of(&e);
            match cut_page(&state, s, form, Problems::of(e)).await {
                Ok(page) => (status, page).into_response(),
                Err(e) => failure(&state, &who, e),
            }
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "move_channel.html")]
struct MovePage {
    layout: Layout,
    set_path: String,
    channel: String,
    from: Option<String>,
    to: String,
    protected: bool,
    diff: Vec<PromptChanges>,
    problems: Problems,
}

#[derive(Deserialize)]
pub struct MoveQuery {
    #[serde(default)]
    to: String,
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    to: String,
}

async fn move_page(
    state: &AppState,
    mut s: SetScope,
    channel: String,
    to: String,
    problems: Problems,
) -> Result<MovePage, domain::Error> {
    let current = channels::list(&state.db, &s.reader(), &s.set.id)
        .await?
        .into_iter()
        .find(|c| c.channel.name == channel);
    let diff = match &current {
        Some(c) if c.label != to => {
            match versions::diff(&state.db, &s.ctx, &s.set.id, &c.label, &to).await {
                Ok(d) => changes(&d),
                // The move was refused for naming no version: show that, with no diff.
                Err(domain::Error::NotFound(_) | domain::Error::Validation(_)) => Vec::new(),
                Err(e) => return Err(e),
            }
        }
        _ => Vec::new(),
    };
    s.layout.title = format!("Move {channel}");
    Ok(MovePage {
        set_path: s.path,
        protected: current.as_ref().is_some_and(|c| c.channel.protected),
        from: current.map(|c| c.label),
        channel,
        to,
        diff,
        problems,
        layout: s.layout,
    })
}

/// `GET .../{set}/-/channels/{name}?to=<label>`: what moving the channel would ship.
pub async fn move_form(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set, channel)): Path<(String, String, String, String)>,
    Query(q): Query<MoveQuery>,
) -> Response {
    let found = member_page(&state, &who, &headers, &org).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    // The version must exist before anything is shown about shipping it.
    if let Err(e) = versions::by_label(&state.db, &s.reader(), &s.set.id, &q.to).await {
        return failure(&state, &who, e);
    }
    match move_page(&state, s, channel, q.to, Problems::default()).await {
        Ok(page) => page.into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

/// `POST .../{set}/-/channels/{name}`: moves (or creates) the channel.
pub async fn move_channel(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set, channel)): Path<(String, String, String, String)>,
    Form(form): Form<MoveForm>,
) -> Response {
    let found = member_post(&state, &who, &headers, &org, &form.csrf).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let input = channels::ChannelInput {
        version: Some(form.to.clone()),
        protected: None,
    };
    match channels::put(&state.db, &s.ctx, &s.set.id, &channel, input).await {
        Ok(_) => Redirect::to(&s.path).into_response(),
        Err(e @ domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => {
            let status = status_of(&e);
            match move_page(&state, s, channel, form.to, Problems::of(e)).await {
                Ok(page) => (status, page).into_response(),
                Err(e) => failure(&state, &who, e),
            }
        }
    }
}

/// A frozen prompt as the version page shows it.
struct FrozenPrompt {
    slug: String,
    name: String,
    template: String,
    parameters: Vec<String>,
    address: String,
    snippets: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "version.html")]
struct VersionPage {
    layout: Layout,
    set_path: String,
    version: version::Model,
    yanked: bool,
    prompts: Vec<FrozenPrompt>,
    can_restore: bool,
    /// Admins and owners yank and unyank.
    can_yank: bool,
    yank_reason: String,
}

/// `/o/{org}/{project}/{set}/v/{label}`: a version's frozen prompts, read-only.
pub async fn version_page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set, label)): Path<(String, String, String, String)>,
) -> Response {
    let found = member_page(&state, &who, &headers, &org).await;
    let mut s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let (_, v) = match versions::by_label(&state.db, &s.reader(), &s.set.id, &label).await {
        Ok(x) => x,
        Err(e) => return failure(&state, &who, e),
    };
    let snap = match versions::snapshot_of(&v) {
        Ok(x) => x,
        Err(e) => return failure(&state, &who, e),
    };
    s.layout.title = format!("{} {}", s.set.name, v.label);
    s.layout
        .crumbs
        .push((v.label.clone(), format!("{}/v/{}", s.path, v.label)));
    let prompts = snap
        .prompts
        .iter()
        .map(|(slug, p)| {
            let address = format!("{}/{}@{}/{slug}", s.project.slug, s.set.slug, v.label);
            FrozenPrompt {
                slug: slug.clone(),
                name: p.name.clone(),
                template: p.template.clone(),
                parameters: p.parameters.iter().map(describe).collect(),
                snippets: super::pages::snippets(&address, &p.parameters),
                address,
            }
        })
        .collect();
    VersionPage {
        can_yank: s
            .ctx
            .require(crate::domain::access::Action::ManageVersions)
            .is_ok(),
        yank_reason: v.yank_reason.clone().unwrap_or_default(),
        can_restore: s
            .ctx
            .require(crate::domain::access::Action::EditContent)
            .is_ok()
            && prompt_sets::ensure_editable(&s.set).is_ok(),
        yanked: v.yanked_at.is_some(),
        set_path: s.path,
        version: v,
        prompts,
        layout: s.layout,
    }
    .into_response()
}

/// `POST .../{set}/v/{label}/restore`: the version becomes the working copy.
pub async fn restore(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set, label)): Path<(String, String, String, String)>,
    Form(form): Form<super::pages::CsrfForm>,
) -> Response {
    let found = member_post(&state, &who, &headers, &org, &form.csrf).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    match versions::restore(&state.db, &s.ctx, &s.set.id, &label).await {
        Ok(_) => Redirect::to(&s.path).into_response(),
        Err(e) => super::pages::refused(&state, &who, e, &s.path),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "diff.html")]
struct DiffPage {
    layout: Layout,
    set_path: String,
    from: String,
    to: String,
    /// Every label and `working`, for the two selectors.
    sides: Vec<String>,
    diff: Vec<PromptChanges>,
    set_fields: Vec<String>,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `/o/{org}/{project}/{set}/diff?from=&to=`: what changed between two versions, or a version
/// and the working copy (`working`). Without a query it is the page of a prompt slugged `diff`.
pub async fn diff_page(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Query(q): Query<DiffQuery>,
) -> Response {
    if q.from.is_none() && q.to.is_none() {
        return super::pages::prompt_page(
            State(state),
            visitor,
            headers,
            Path((org, project, set, "diff".to_string())),
        )
        .await;
    }
    let Visitor(who) = visitor;
    let found = member_page(&state, &who, &headers, &org).await;
    let mut s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let all = match versions::summaries(&state.db, &s.reader(), &s.set.id).await {
        Ok(v) => v,
        Err(e) => return failure(&state, &who, e),
    };
    let mut sides = vec!["working".to_string()];
    sides.extend(labels(&all, true));
    let from = q
        .from
        .unwrap_or_else(|| sides.get(1).cloned().unwrap_or_else(|| "working".into()));
    let to = q.to.unwrap_or_else(|| "working".into());
    let diff = match versions::diff(&state.db, &s.ctx, &s.set.id, &from, &to).await {
        Ok(d) => d,
        Err(e) => return failure(&state, &who, e),
    };
    s.layout.title = format!("{} {from} → {to}", s.set.name);
    DiffPage {
        set_path: s.path,
        set_fields: diff.fields_changed.iter().map(|f| f.to_string()).collect(),
        diff: changes(&diff),
        from,
        to,
        sides,
        layout: s.layout,
    }
    .into_response()
}

/// Version labels that are not yanked, for the channel rows' selectors.
pub(super) fn movable(versions: &[versions::VersionSummary]) -> Vec<String> {
    labels(versions, false)
}

#[derive(Deserialize)]
pub struct NewChannelQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    to: String,
}

/// `GET .../{set}/-/channels?name=&to=`: the new-channel form, sent on to the channel's own
/// confirmation page (its name becomes a path segment, so it is checked first).
pub async fn new_channel(
    Path((org, project, set)): Path<(String, String, String)>,
    Query(q): Query<NewChannelQuery>,
) -> Response {
    // The path's segments go back into a URL: only slugs (which need no encoding) do.
    if ![&org, &project, &set]
        .iter()
        .all(|s| anvil_core::slug::is_valid(s))
    {
        return (axum::http::StatusCode::NOT_FOUND, "Not found.").into_response();
    }
    let name = q.name.trim();
    let refused = anvil_core::version::check_channel_name(name)
        .map_err(|e| format!("The channel name {e}."))
        .and_then(|_| {
            anvil_core::version::Label::parse(&q.to)
                .map(|_| ())
                .map_err(|e| format!("The version {e}."))
        });
    if let Err(why) = refused {
        return (axum::http::StatusCode::UNPROCESSABLE_ENTITY, why).into_response();
    }
    Redirect::to(&format!(
        "/o/{org}/{project}/{set}/-/channels/{name}?to={}",
        q.to.replace('+', "%2B")
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// `POST .../{set}/-/status`: live, review or locked (admins and owners).
pub async fn set_status(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Form(form): Form<StatusForm>,
) -> Response {
    let found = member_post(&state, &who, &headers, &org, &form.csrf).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    match prompt_sets::set_status(&state.db, &s.ctx, &s.set.id, &form.status).await {
        Ok(_) => Redirect::to(&s.path).into_response(),
        Err(e) => super::pages::refused(&state, &who, e, &s.path),
    }
}

#[derive(Deserialize)]
pub struct YankForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn yank_or_unyank(
    state: AppState,
    who: Option<(
        crate::domain::records::session::Model,
        crate::domain::records::user::Model,
    )>,
    headers: HeaderMap,
    (org, project, set, label): (String, String, String, String),
    form: YankForm,
    yank: bool,
) -> Response {
    let found = member_post(&state, &who, &headers, &org, &form.csrf).await;
    let s = match scope(&state, found, &who, &project, &set).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let back = format!("{}/v/{label}", s.path);
    let v = match versions::by_label(&state.db, &s.reader(), &s.set.id, &label).await {
        Ok((_, v)) => v,
        Err(e) => return failure(&state, &who, e),
    };
    let reason = yank.then(|| form.reason.trim().to_string());
    match versions::set_yanked(&state.db, &s.ctx, &v.id, reason).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => super::pages::refused(&state, &who, e, &back),
    }
}

/// `POST .../{set}/v/{label}/yank` (admins and owners)
pub async fn yank(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(at): Path<(String, String, String, String)>,
    Form(form): Form<YankForm>,
) -> Response {
    yank_or_unyank(state, who, headers, at, form, true).await
}

/// `POST .../{set}/v/{label}/unyank` (admins and owners)
pub async fn unyank(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(at): Path<(String, String, String, String)>,
    Form(form): Form<YankForm>,
) -> Response {
    yank_or_unyank(state, who, headers, at, form, false).await
}
