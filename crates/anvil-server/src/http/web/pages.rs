//! The pages that exist so far. Handlers are thin: they call the domain services and fill a
//! template; the templates hold no rule of the domain.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Visitor, assets, csrf};
use crate::domain::access::OrgContext;
use crate::domain::access::{Actor, Credential};
use crate::domain::accounts::{self, NewSession, Registration};
use crate::domain::delivery::Reader;
use crate::domain::page::Page;
use crate::domain::records::{project, prompt_set, session, user};
use crate::domain::{
    self, access, channels, organisations, projects, prompt_sets, prompts, tokens, versions,
};
use crate::http::AppState;
use crate::http::auth::{clear_cookie, client_info, same_origin, session_cookie};

/// What the layout shows around every page.
pub struct Layout {
    pub(super) title: String,
    pub(super) css: String,
    pub(super) js: String,
    pub(super) htmx: String,
    pub(super) theme: String,
    pub(super) email: Option<String>,
    pub(super) organisation: Option<String>,
    /// A page that shows this set without refreshing itself: a live change to the set
    /// offers a reload (`data-stale-on-set`).
    pub(super) stale_on_set: Option<String>,
    /// The signed-in user's organisations for the switcher: (slug, name)
    pub(super) organisations: Vec<(String, String)>,
    pub(super) csrf: String,
    /// (label, link)
    pub(super) crumbs: Vec<(String, String)>,
    /// Scripts and stylesheets of this page only (the editor's), after the shared ones.
    pub(super) scripts: Vec<String>,
    pub(super) styles: Vec<String>,
    /// The nonce this page's scripts give the `<style>` elements they add (see
    /// [`super::StyleNonce`]).
    pub(super) style_nonce: Option<String>,
}

impl Layout {
    pub(super) fn new(
        state: &AppState,
        title: &str,
        who: Option<&(session::Model, user::Model)>,
    ) -> Layout {
        Layout {
            title: title.to_string(),
            css: assets::url("anvil.css"),
            js: assets::url("anvil.js"),
            htmx: assets::url("htmx.min.js"),
            theme: assets::url("theme.js"),
            email: who.map(|(_, u)| u.email.clone()),
            organisation: None,
            organisations: Vec::new(),
            stale_on_set: None,
            csrf: who
                .map(|(s, _)| csrf::token(&state.secret_key, &s.id))
                .unwrap_or_default(),
            crumbs: Vec::new(),
            scripts: Vec::new(),
            styles: Vec::new(),
            style_nonce: None,
        }
    }
}

/// Rows per page of the lists that page on (`?after=`): keys, tokens.
pub(super) const LIST_PAGE: u64 = 100;

/// A form's problems: one line at the top, and per field.
#[derive(Default)]
pub(super) struct Problems {
    pub(super) summary: String,
    /// (field, message)
    pub(super) errors: Vec<(String, String)>,
}

impl Problems {
    pub(super) fn of(e: domain::Error) -> Problems {
        match e {
            domain::Error::Validation(errors) => Problems {
                summary: "Please fix these and try again:".into(),
                errors: errors.into_iter().map(|f| (f.field, f.message)).collect(),
            },
            domain::Error::Conflict {
                message,
                field: Some(field),
            } => Problems {
                summary: "Please fix these and try again:".into(),
                errors: vec![(field, message)],
            },
            domain::Error::Internal(_) => Problems {
                summary: "Something went wrong on our side; please try again.".into(),
                errors: Vec::new(),
            },
            other => Problems {
                summary: other.to_string(),
                errors: Vec::new(),
            },
        }
    }

    pub(super) fn field(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "landing.html")]
struct Landing {
    layout: Layout,
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFound {
    layout: Layout,
}

fn not_found(state: &AppState, who: Option<&(session::Model, user::Model)>) -> Response {
    (
        StatusCode::NOT_FOUND,
        NotFound {
            layout: Layout::new(state, "Not found", who),
        },
    )
        .into_response()
}

/// `/`: the landing page signed out; signed in, the first organisation's dashboard.
pub async fn home(State(state): State<AppState>, Visitor(who): Visitor) -> Response {
    let Some((_, user)) = &who else {
        return Landing {
            layout: Layout::new(&state, "Anvil", None),
        }
        .into_response();
    };
    match organisations::of_user(&state.db, &user.id).await {
        Ok(orgs) => match orgs.first() {
            Some(o) => Redirect::to(&format!("/o/{}", o.organisation.slug)).into_response(),
            None => not_found(&state, who.as_ref()),
        },
        Err(e) => server_error(e),
    }
}

fn server_error(e: domain::Error) -> Response {
    tracing::error!(error = %e, "page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; please try again.",
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    problems: Problems,
}

fn sign_in_page(state: &AppState, email: String, problems: Problems) -> SignInPage {
    SignInPage {
        layout: Layout::new(state, "Sign in", None),
        email,
        problems,
    }
}

pub async fn sign_in_form(State(state): State<AppState>, Visitor(who): Visitor) -> Response {
    if who.is_some() {
        return Redirect::to("/").into_response();
    }
    sign_in_page(&state, String::new(), Problems::default()).into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
}

/// Signed in: the session cookie and a redirect home.
pub(super) fn signed_in(state: &AppState, s: &NewSession) -> Response {
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, s));
    res
}

pub(super) fn cross_site() -> Response {
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if same_origin(&headers, state.config.public_url.as_deref()).is_err() {
        return cross_site();
    }
    let client = client_info(&state, &headers, Some(peer));
    match accounts::sign_in(
        &state.db,
        &state.sign_in_limiter,
        &form.email,
        form.password,
        false,
        &client,
    )
    .await
    {
        Ok(s) => signed_in(&state, &s),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_in_page(&state, form.email, Problems::of(e)),
        )
            .into_response(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_up.html")]
struct SignUpPage {
    layout: Layout,
    name: String,
    email: String,
    problems: Problems,
}

fn sign_up_page(state: &AppState, name: String, email: String, problems: Problems) -> SignUpPage {
    SignUpPage {
        layout: Layout::new(state, "Create an account", None),
        name,
        email,
        problems,
    }
}

pub async fn sign_up_form(State(state): State<AppState>, Visitor(who): Visitor) -> Response {
    if who.is_some() {
        return Redirect::to("/").into_response();
    }
    sign_up_page(&state, String::new(), String::new(), Problems::default()).into_response()
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    name: String,
    email: String,
    password: String,
}

pub async fn sign_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignUpForm>,
) -> Response {
    if same_origin(&headers, state.config.public_url.as_deref()).is_err() {
        return cross_site();
    }
    let client = client_info(&state, &headers, Some(peer));
    let name = Some(form.name.trim().to_string()).filter(|n| !n.is_empty());
    let result = accounts::register(
        &state.db,
        state.config.registration_enabled,
        Registration {
            email: form.email.clone(),
            password: form.password,
            name,
        },
        &client,
        false,
    )
    .await;
    match result {
        Ok(s) => {
            let base = state.base_url();
            let mail = tokens::MailContext {
                jobs: &state.jobs,
                base_url: &base,
            };
            if let Err(e) = tokens::send_confirmation(&state.db, &mail, &s.user).await {
                tracing::error!(error = %e, "confirmation mail not sent");
            }
            signed_in(&state, &s)
        }
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_up_page(&state, form.name, form.email, Problems::of(e)),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub(super) csrf: String,
}

/// Checks a signed-in form (this origin, the session's token as the `_csrf` field or, for
/// htmx requests, the `X-CSRF-Token` header); `Some` is the refusal to send.
pub(super) fn checked(
    state: &AppState,
    headers: &HeaderMap,
    session_id: &str,
    token: &str,
) -> Option<Response> {
    if same_origin(headers, state.config.public_url.as_deref()).is_err() {
        return Some(cross_site());
    }
    let token = match token {
        "" => headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        t => t,
    };
    if !csrf::verify(&state.secret_key, session_id, token) {
        return Some(
            (
                StatusCode::FORBIDDEN,
                "The form has expired; reload the page and try again.",
            )
                .into_response(),
        );
    }
    None
}

/// Ends this session: only with the session's CSRF token, from this origin.
pub async fn sign_out(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some((session, user)) = who else {
        return Redirect::to("/").into_response();
    };
    if let Some(res) = checked(&state, &headers, &session.id, &form.csrf) {
        return res;
    }
    if let Err(e) = accounts::end_session(&state.db, &user.id, &session.id).await {
        return server_error(e);
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    res
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct Dashboard {
    layout: Layout,
    org_slug: String,
    organisation_name: String,
    projects: Vec<project::Model>,
    can_create: bool,
    overview: crate::domain::overview::Overview,
    /// What happened lately: the audit log for admins and owners, content events for members.
    activity: Vec<Activity>,
    activity_is_audit: bool,
}

impl Dashboard {
    fn counts(&self, p: &project::Model) -> crate::domain::overview::ProjectCounts {
        self.overview
            .per_project
            .get(&p.id)
            .copied()
            .unwrap_or_default()
    }
}

/// One line of the dashboard's activity: when, who, what.
struct Activity {
    when: String,
    who: String,
    what: String,
    detail: String,
}

/// `{"prompt_set": "emails", "label": "1.0.0"}` as `prompt_set emails · label 1.0.0`: the
/// short string fields of an audit change or an event payload (ids left out).
fn detail_of(v: &serde_json::Value) -> String {
    v.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.ends_with("id") && !k.ends_with("_id"))
        .filter_map(|(k, v)| {
            v.as_str()
                .filter(|s| s.len() <= 80)
                .map(|s| format!("{k} {s}"))
        })
        .take(4)
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn activity_of(state: &AppState, ctx: &OrgContext) -> domain::Result<(Vec<Activity>, bool)> {
    let people: std::collections::HashMap<String, String> =
        crate::domain::members::list(&state.db, ctx, &Page::first(200))
            .await?
            .items
            .into_iter()
            .map(|m| (m.user.id, m.user.email))
            .collect();
    let who = |kind: &str, id: &Option<String>| match (kind, id) {
        ("user", Some(id)) => people
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a former member".into()),
        (kind, _) => kind.replace('_', " "),
    };
    if ctx.require(access::Action::ReadAudit).is_ok() {
        let rows = crate::domain::audit_log::list(
            &state.db,
            ctx,
            &crate::domain::audit_log::Filter::default(),
            &Page::first(12),
        )
        .await?
        .items;
        return Ok((
            rows.into_iter()
                .map(|a| Activity {
                    when: super::account::minute(a.created_at),
                    who: who(&a.actor_type, &a.actor_id),
                    what: a.action,
                    detail: detail_of(&a.changes),
                })
                .collect(),
            true,
        ));
    }
    let audience = crate::domain::event_stream::Audience::member(ctx);
    let events = crate::domain::event_stream::recent(&state.db, &audience, 12).await?;
    Ok((
        events
            .into_iter()
            .map(|e| Activity {
                when: super::account::minute(e.occurred_at),
                who: who(e.actor_type.as_deref().unwrap_or("system"), &e.actor_id),
                what: e.event_type,
                detail: detail_of(&e.payload),
            })
            .collect(),
        false,
    ))
}

/// The signed-in member's context in `org` and the page's layout with the organisation in
/// its breadcrumbs; else the response to send: to the sign-in page when signed out, a 404
/// for an organisation the user is not a member of (as for one that does not exist).
pub(super) async fn member_page(
    state: &AppState,
    who: &Option<(session::Model, user::Model)>,
    headers: &HeaderMap,
    org: &str,
) -> Result<(OrgContext, Layout), Response> {
    let Some((session, user)) = who else {
        return Err(Redirect::to("/sign_in").into_response());
    };
    let actor = Actor {
        user_id: user.id.clone(),
        credential: Credential::Session {
            session_id: session.id.clone(),
        },
        client: client_info(state, headers, None),
    };
    let ctx = access::org_context(&state.db, &actor, Some(org))
        .await
        .map_err(|e| failure(state, who, e))?;
    let mut layout = Layout::new(state, &ctx.organisation.name, who.as_ref());
    layout.organisation = Some(ctx.organisation.slug.clone());
    layout.organisations = organisations::of_user(&state.db, &user.id)
        .await
        .map_err(|e| failure(state, who, e))?
        .into_iter()
        .map(|m| (m.organisation.slug, m.organisation.name))
        .collect();
    layout.crumbs = vec![(
        ctx.organisation.name.clone(),
        format!("/o/{}", ctx.organisation.slug),
    )];
    Ok((ctx, layout))
}

/// A signed-in form posted in `org`: [`member_page`] once the form passed [`checked`].
pub(super) async fn member_post(
    state: &AppState,
    who: &Option<(session::Model, user::Model)>,
    headers: &HeaderMap,
    org: &str,
    token: &str,
) -> Result<(OrgContext, Layout), Response> {
    let Some((session, _)) = who else {
        return Err(Redirect::to("/sign_in").into_response());
    };
    if let Some(res) = checked(state, headers, &session.id, token) {
        return Err(res);
    }
    member_page(state, who, headers, org).await
}

/// The status of a form that failed with `e` (shown again with its problems).
pub(super) fn status_of(e: &domain::Error) -> StatusCode {
    match e {
        domain::Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        domain::Error::Forbidden(_) => StatusCode::FORBIDDEN,
        domain::Error::NotFound(_) => StatusCode::NOT_FOUND,
        domain::Error::Conflict { .. } => StatusCode::CONFLICT,
        domain::Error::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        domain::Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        domain::Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        domain::Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "refused.html")]
struct Refused {
    layout: Layout,
    heading: &'static str,
    message: String,
    back: String,
}

/// An action the domain refused, as a page saying why with a way back; what is missing or
/// not the user's stays a 404 and a failure of ours a 500 ([`failure`]).
pub(super) fn refused(
    state: &AppState,
    who: &Option<(session::Model, user::Model)>,
    e: domain::Error,
    back: &str,
) -> Response {
    let status = status_of(&e);
    match e {
        domain::Error::NotFound(_) | domain::Error::Internal(_) => failure(state, who, e),
        e => {
            let message = match e {
                domain::Error::Validation(errors) => errors
                    .into_iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            (
                status,
                Refused {
                    layout: Layout::new(state, "Refused", who.as_ref()),
                    heading: "That was refused",
                    message,
                    back: back.to_string(),
                },
            )
                .into_response()
        }
    }
}

/// A domain error as a page: what is missing or not the user's is a 404, anything else a 500.
pub(super) fn failure(
    state: &AppState,
    who: &Option<(session::Model, user::Model)>,
    e: domain::Error,
) -> Response {
    match e {
        domain::Error::NotFound(_) | domain::Error::Forbidden(_) => not_found(state, who.as_ref()),
        other => server_error(other),
    }
}

/// `/o/{org}`: the organisation's projects.
pub async fn dashboard(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(query): Query<FragmentQuery>,
) -> Response {
    let (ctx, layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let projects = match projects::list(&state.db, &ctx, &Page::first(200)).await {
        Ok(p) => p.items,
        Err(e) => return failure(&state, &who, e),
    };
    let overview = match crate::domain::overview::of(&state.db, &ctx).await {
        Ok(o) => o,
        Err(e) => return failure(&state, &who, e),
    };
    let (activity, activity_is_audit) = match activity_of(&state, &ctx).await {
        Ok(a) => a,
        Err(e) => return failure(&state, &who, e),
    };
    let page = Dashboard {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        organisation_name: ctx.organisation.name.clone(),
        projects,
        can_create: ctx.require(access::Action::ManageProjects).is_ok(),
        overview,
        activity,
        activity_is_audit,
    };
    page_or_live(page, &query, DashboardLive)
}

#[derive(Template, WebTemplate)]
#[template(path = "project.html")]
struct ProjectPage {
    layout: Layout,
    org_slug: String,
    project: project::Model,
    sets: Vec<prompt_set::Model>,
    can_create: bool,
    can_manage_tokens: bool,
}

/// `/o/{org}/{project}`: its prompt sets with their status.
pub async fn project_page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    Query(query): Query<FragmentQuery>,
) -> Response {
    let (ctx, mut layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let found = match projects::get(&state.db, &ctx, &project, true).await {
        Ok(p) => p,
        Err(e) => return failure(&state, &who, e),
    };
    let sets = match prompt_sets::list(&state.db, &ctx, &found.id, &Page::first(200)).await {
        Ok(s) => s.items,
        Err(e) => return failure(&state, &who, e),
    };
    layout.title = found.name.clone();
    layout.crumbs.push((
        found.name.clone(),
        format!("/o/{}/{}", ctx.organisation.slug, found.slug),
    ));
    let page = ProjectPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        project: found,
        sets,
        can_create: ctx.require(access::Action::EditContent).is_ok(),
        can_manage_tokens: ctx.require(access::Action::ManageTokens).is_ok(),
    };
    page_or_live(page, &query, ProjectLive)
}

#[derive(Template, WebTemplate)]
#[template(path = "prompt_set.html")]
struct SetPage {
    layout: Layout,
    set: prompt_set::Model,
    /// `project/set`
    address: String,
    /// This page's path, which its prompts' pages extend.
    set_path: String,
    /// (name, slug, parameter names)
    prompts: Vec<(String, String, String)>,
    /// (name, version label, protected)
    channels: Vec<(String, String, bool)>,
    versions: Vec<versions::VersionSummary>,
    /// Who cut each version: user id -> name.
    authors: std::collections::HashMap<String, String>,
    /// The sets this one depends on: (`project/set`, spec, their page)
    dependencies: Vec<(String, String, String)>,
    /// Labels a channel may be moved to (not yanked).
    movable: Vec<String>,
    can_edit: bool,
    can_change_status: bool,
    /// Whether the viewer may cut versions and move unprotected channels (the set's status and
    /// the role decide), and protected ones.
    can_release: bool,
    can_release_protected: bool,
}

impl SetPage {
    fn author(&self, v: &versions::VersionSummary) -> &str {
        v.created_by
            .as_ref()
            .and_then(|id| self.authors.get(id))
            .map_or("—", String::as_str)
    }
}

/// `?fragment=live` asks a page for its live block alone (see [`live_block`]).
#[derive(Deserialize)]
pub struct FragmentQuery {
    fragment: Option<String>,
}

impl FragmentQuery {
    fn live(&self) -> bool {
        self.fragment.as_deref() == Some("live")
    }
}

/// A page's `live` block alone: what the page swaps in (htmx) when a live event says its
/// content changed. The block reads the page's own fields through `Deref`, so the fragment
/// and the full page are one template and one set of data.
macro_rules! live_block {
    ($fragment:ident, $page:ident) => {
        impl std::ops::Deref for $fragment {
            type Target = $page;
            fn deref(&self) -> &$page {
                &self.0
            }
        }
    };
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html", block = "live")]
struct DashboardLive(Dashboard);
live_block!(DashboardLive, Dashboard);

#[derive(Template, WebTemplate)]
#[template(path = "project.html", block = "live")]
struct ProjectLive(ProjectPage);
live_block!(ProjectLive, ProjectPage);

#[derive(Template, WebTemplate)]
#[template(path = "prompt_set.html", block = "live")]
struct SetLive(SetPage);
live_block!(SetLive, SetPage);

/// The whole page, or its live block when the query asks for it.
fn page_or_live<P, F>(page: P, q: &FragmentQuery, live: fn(P) -> F) -> Response
where
    P: IntoResponse,
    F: IntoResponse,
{
    if q.live() {
        live(page).into_response()
    } else {
        page.into_response()
    }
}

/// `/o/{org}/{project}/{set}`: its prompts, channels and versions.
pub async fn set_page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set)): Path<(String, String, String)>,
    Query(query): Query<FragmentQuery>,
) -> Response {
    let (ctx, mut layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (found_project, found) =
        match prompt_sets::by_address(&state.db, &ctx, &project, &set).await {
            Ok(x) => x,
            Err(e) => return failure(&state, &who, e),
        };
    let all = Page::first(200);
    let prompts = match prompts::list(&state.db, &ctx, &found.id, &all).await {
        Ok(p) => p.items,
        Err(e) => return failure(&state, &who, e),
    };
    let reader = Reader::Member(Box::new(ctx.clone()));
    let versions = match versions::summaries(&state.db, &reader, &found.id).await {
        Ok(v) => v,
        Err(e) => return failure(&state, &who, e),
    };
    let channels = match channels::list(&state.db, &reader, &found.id).await {
        Ok(c) => c,
        Err(e) => return failure(&state, &who, e),
    };
    let org_slug = ctx.organisation.slug.clone();
    let address = format!("{}/{}", found_project.slug, found.slug);
    let set_path = format!("/o/{org_slug}/{}/{}", found_project.slug, found.slug);
    let channels: Vec<(String, String, bool)> = channels
        .into_iter()
        .map(|c| (c.channel.name, c.label, c.channel.protected))
        .collect();
    let movable = super::releases::movable(&versions);
    let authors = match accounts::names(
        &state.db,
        versions.iter().filter_map(|v| v.created_by.clone()),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return failure(&state, &who, e),
    };
    let dependencies = crate::domain::dependencies::from_json(&found.dependencies)
        .into_iter()
        .map(|d| {
            let (set, spec) = d.split_once('@').unwrap_or((d.as_str(), ""));
            let page = format!("/o/{org_slug}/{set}");
            (set.to_string(), spec.to_string(), page)
        })
        .collect();
    layout.title = found.name.clone();
    layout.crumbs.push((
        found_project.name.clone(),
        format!("/o/{org_slug}/{}", found_project.slug),
    ));
    layout.crumbs.push((found.name.clone(), set_path.clone()));
    let page = SetPage {
        layout,
        can_edit: ctx.require(access::Action::EditContent).is_ok()
            && prompt_sets::ensure_editable(&found).is_ok(),
        can_change_status: ctx.require(access::Action::ManageVersions).is_ok(),
        can_release: prompt_sets::require_release(&ctx, &found, "", false).is_ok(),
        can_release_protected: prompt_sets::require_release(&ctx, &found, "", true).is_ok(),
        movable,
        address,
        set_path,
        prompts: prompts
            .into_iter()
            .map(|p| {
                let names: Vec<String> = p
                    .parameters
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x["name"].as_str().map(String::from))
                    .collect();
                (p.name, p.slug, names.join(", "))
            })
            .collect(),
        channels,
        versions,
        authors,
        dependencies,
        set: found,
    };
    page_or_live(page, &query, SetLive)
}

#[derive(Template, WebTemplate)]
#[template(path = "prompt.html")]
struct PromptPage {
    layout: Layout,
    prompt: crate::domain::records::prompt::Model,
    /// The quoted entity tag the editor sends as `If-Match`.
    etag: String,
    /// The parameters as JSON, which the editor's table starts from.
    parameters_json: String,
    /// Whether the working copy may be edited (the set is live and the role may edit).
    editable: bool,
    set_name: String,
    set_status: String,
    set_path: String,
    /// The set's prompts: (name, slug)
    siblings: Vec<(String, String)>,
    /// (name, version label, protected)
    channels: Vec<(String, String, bool)>,
    /// (name, type, required, default, description)
    parameters: Vec<(String, String, bool, String, String)>,
    /// `project/set@production/prompt`
    address: String,
    /// (heading, code)
    snippets: Vec<(String, String)>,
}

/// Copy-paste snippets that render `address` with placeholder values for the required
/// parameters, in the surface `distribution.md` gives the SDKs, the CLI and the API.
pub(super) fn snippets(
    address: &str,
    params: &[anvil_core::params::Parameter],
) -> Vec<(String, String)> {
    use anvil_core::params::ParamType;
    let mut vars = serde_json::Map::new();
    for p in params.iter().filter(|p| p.required) {
        let example = match p.kind {
            ParamType::String => serde_json::json!("..."),
            ParamType::Number | ParamType::Integer => serde_json::json!(1),
            ParamType::Boolean => serde_json::json!(true),
            ParamType::Array => serde_json::json!([]),
            ParamType::Object => serde_json::json!({}),
        };
        vars.insert(p.name.clone(), example);
    }
    let vars = serde_json::Value::Object(vars);
    let cli_vars: String = vars
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!(" --var {k}={s}"),
            other => format!(" --var '{k}={other}'"),
        })
        .collect();
    vec![
        (
            "Rust (anvil-sdk)".into(),
            format!(
                "let text = anvil.render(\"{address}\", serde_json::json!({vars})).await?.text;"
            ),
        ),
        (
            "TypeScript (@anvil/sdk)".into(),
            format!("const {{ text }} = await anvil.render(\"{address}\", {vars});"),
        ),
        ("CLI".into(), format!("anvil render {address}{cli_vars}")),
        (
            "curl".into(),
            format!(
                "curl -X POST \"$ANVIL_URL/api/v1/render/{address}\" \\\n  -H \"Authorization: Bearer $ANVIL_API_KEY\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
                serde_json::json!({"variables": vars})
            ),
        ),
    ]
}

/// `/o/{org}/{project}/{set}/{prompt}`: the working copy of a prompt, read-only, with how to
/// use it.
pub async fn prompt_page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path((org, project, set, prompt)): Path<(String, String, String, String)>,
) -> Response {
    let (ctx, mut layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (found_project, found_set) =
        match prompt_sets::by_address(&state.db, &ctx, &project, &set).await {
            Ok(x) => x,
            Err(e) => return failure(&state, &who, e),
        };
    let (_, found) = match prompts::by_address(&state.db, &ctx, &project, &set, &prompt).await {
        Ok(x) => x,
        Err(e) => return failure(&state, &who, e),
    };
    let params: Vec<anvil_core::params::Parameter> =
        serde_json::from_value(found.parameters.clone()).unwrap_or_default();
    let siblings = match prompts::list(&state.db, &ctx, &found_set.id, &Page::first(200)).await {
        Ok(p) => p.items.into_iter().map(|p| (p.name, p.slug)).collect(),
        Err(e) => return failure(&state, &who, e),
    };
    let reader = Reader::Member(Box::new(ctx.clone()));
    let channels = match channels::list(&state.db, &reader, &found_set.id).await {
        Ok(c) => c
            .into_iter()
            .map(|c| (c.channel.name, c.label, c.channel.protected))
            .collect(),
        Err(e) => return failure(&state, &who, e),
    };
    let editable = ctx.require(access::Action::EditContent).is_ok()
        && prompt_sets::ensure_editable(&found_set).is_ok();
    let org_slug = ctx.organisation.slug.clone();
    let set_path = format!("/o/{org_slug}/{}/{}", found_project.slug, found_set.slug);
    layout.scripts.push(assets::url("editor.js"));
    let nonce = super::StyleNonce::fresh();
    layout.style_nonce = Some(nonce.0.clone());
    layout.title = found.name.clone();
    layout.crumbs.push((
        found_project.name.clone(),
        format!("/o/{org_slug}/{}", found_project.slug),
    ));
    layout
        .crumbs
        .push((found_set.name.clone(), set_path.clone()));
    layout
        .crumbs
        .push((found.name.clone(), format!("{set_path}/{}", found.slug)));
    let address = format!(
        "{}/{}@production/{}",
        found_project.slug, found_set.slug, found.slug
    );
    let page = PromptPage {
        layout,
        etag: prompts::etag(&found),
        parameters_json: serde_json::to_string(&params).unwrap_or_else(|_| "[]".into()),
        editable,
        set_name: found_set.name.clone(),
        set_status: found_set.status.clone(),
        set_path,
        siblings,
        channels,
        snippets: snippets(&address, &params),
        parameters: params
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    serde_json::to_value(p.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    p.required,
                    p.default
                        .as_ref()
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    p.description.clone(),
                )
            })
            .collect(),
        address,
        prompt: found,
    };
    (axum::Extension(nonce), page).into_response()
}
