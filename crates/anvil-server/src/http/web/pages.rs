//! The pages that exist so far. Handlers are thin: they call the domain services and fill a
//! template; the templates hold no rule of the domain.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Visitor, assets, csrf};
use crate::domain::access::{Actor, Credential};
use crate::domain::accounts::{self, NewSession, Registration};
use crate::domain::page::Page;
use crate::domain::records::{project, session, user};
use crate::domain::{self, access, organisations, projects, tokens};
use crate::http::AppState;
use crate::http::auth::{clear_cookie, client_info, same_origin, session_cookie};

/// What the layout shows around every page.
pub struct Layout {
    title: String,
    css: String,
    js: String,
    email: Option<String>,
    organisation: Option<String>,
    csrf: String,
    /// (label, link)
    crumbs: Vec<(String, String)>,
}

impl Layout {
    fn new(state: &AppState, title: &str, who: Option<&(session::Model, user::Model)>) -> Layout {
        Layout {
            title: title.to_string(),
            css: assets::url("anvil.css"),
            js: assets::url("anvil.js"),
            email: who.map(|(_, u)| u.email.clone()),
            organisation: None,
            csrf: who
                .map(|(s, _)| csrf::token(&state.secret_key, &s.id))
                .unwrap_or_default(),
            crumbs: Vec::new(),
        }
    }
}

/// A form's problems: one line at the top, and per field.
#[derive(Default)]
struct Problems {
    summary: String,
    /// (field, message)
    errors: Vec<(String, String)>,
}

impl Problems {
    fn of(e: domain::Error) -> Problems {
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

    fn field(&self, name: &str) -> Option<&str> {
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
    summary: String,
    errors: Vec<(String, String)>,
    problems: Problems,
}

impl SignInPage {
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problems.field(name)
    }
}

fn sign_in_page(state: &AppState, email: String, problems: Problems) -> SignInPage {
    SignInPage {
        layout: Layout::new(state, "Sign in", None),
        email,
        summary: problems.summary.clone(),
        errors: problems.errors.clone(),
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
fn signed_in(state: &AppState, s: &NewSession) -> Response {
    let mut res = Redirect::to("/").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, s));
    res
}

fn cross_site() -> Response {
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
    summary: String,
    errors: Vec<(String, String)>,
    problems: Problems,
}

impl SignUpPage {
    fn field_error(&self, name: &str) -> Option<&str> {
        self.problems.field(name)
    }
}

fn sign_up_page(state: &AppState, name: String, email: String, problems: Problems) -> SignUpPage {
    SignUpPage {
        layout: Layout::new(state, "Create an account", None),
        name,
        email,
        summary: problems.summary.clone(),
        errors: problems.errors.clone(),
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
    csrf: String,
}

/// Ends this session: only with the session's CSRF token, from this origin.
pub async fn sign_out(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if same_origin(&headers, state.config.public_url.as_deref()).is_err() {
        return cross_site();
    }
    let Some((session, user)) = who else {
        return Redirect::to("/").into_response();
    };
    if !csrf::verify(&state.secret_key, &session.id, &form.csrf) {
        return (
            StatusCode::FORBIDDEN,
            "The form has expired; reload the page and try again.",
        )
            .into_response();
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
    organisation_name: String,
    projects: Vec<project::Model>,
}

/// `/o/{org}`: the organisation's projects. Signed out: to the sign-in page; an organisation
/// the user is not a member of is a 404, as one that does not exist.
pub async fn dashboard(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    let Some((session, user)) = &who else {
        return Redirect::to("/sign_in").into_response();
    };
    let actor = Actor {
        user_id: user.id.clone(),
        credential: Credential::Session {
            session_id: session.id.clone(),
        },
        client: client_info(&state, &headers, None),
    };
    let ctx = match access::org_context(&state.db, &actor, Some(&org)).await {
        Ok(c) => c,
        Err(domain::Error::NotFound(_) | domain::Error::Forbidden(_)) => {
            return not_found(&state, who.as_ref());
        }
        Err(e) => return server_error(e),
    };
    let projects = match projects::list(&state.db, &ctx, &Page::first(200)).await {
        Ok(p) => p.items,
        Err(e) => return server_error(e),
    };
    let mut layout = Layout::new(&state, &ctx.organisation.name, who.as_ref());
    layout.organisation = Some(ctx.organisation.slug.clone());
    layout.crumbs = vec![(
        ctx.organisation.name.clone(),
        format!("/o/{}", ctx.organisation.slug),
    )];
    Dashboard {
        layout,
        organisation_name: ctx.organisation.name.clone(),
        projects,
    }
    .into_response()
}
