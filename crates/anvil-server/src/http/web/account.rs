//! `/account`: who is signed in, their password, and their sessions (sign one out, or every
//! one).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::Visitor;
use serde::Deserialize;

use super::pages::{CsrfForm, Layout, Problems, checked, failure};
use crate::domain::page::Page;
use crate::domain::records::{session, user};
use crate::domain::{self, accounts};
use crate::http::AppState;
use crate::http::auth::clear_cookie;

/// One session as the page lists it.
struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    user_agent: String,
    ip: String,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    sessions: Vec<SessionRow>,
    /// The password was just changed (and the other sessions ended).
    changed: bool,
    problems: Problems,
}

pub(super) fn minute(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}

pub async fn page(State(state): State<AppState>, Visitor(who): Visitor) -> Response {
    account_page(&state, &who, false, Problems::default()).await
}

async fn account_page(
    state: &AppState,
    who: &Option<(session::Model, user::Model)>,
    changed: bool,
    problems: Problems,
) -> Response {
    let Some((session, user)) = who else {
        return Redirect::to("/sign_in").into_response();
    };
    let status = if problems.summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let sessions = match accounts::sessions_of(&state.db, &user.id, &Page::first(200)).await {
        Ok(s) => s.items,
        Err(e) => return failure(state, who, e),
    };
    let mut layout = Layout::new(state, "Your account", who.as_ref());
    layout.crumbs = vec![("Account".into(), "/account".into())];
    let page = AccountPage {
        layout,
        name: user.name.clone(),
        email: user.email.clone(),
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                current: s.id == session.id,
                created: minute(s.created_at),
                last_seen: minute(s.last_seen_at),
                user_agent: s.user_agent.unwrap_or_default(),
                ip: s.ip.unwrap_or_default(),
                id: s.id,
            })
            .collect(),
        changed,
        problems,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /account/password`: a new password, given the current one; every other session of
/// the account ends (someone who knew the old one is signed out).
pub async fn change_password(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let Some((session, user)) = &who else {
        return Redirect::to("/sign_in").into_response();
    };
    if let Some(res) = checked(&state, &headers, &session.id, &form.csrf) {
        return res;
    }
    let outcome = accounts::change_password(
        &state.db,
        user,
        &session.id,
        form.current_password,
        form.new_password,
    )
    .await;
    match outcome {
        Ok(()) => account_page(&state, &who, true, Problems::default()).await,
        Err(e @ domain::Error::Internal(_)) => failure(&state, &who, e),
        Err(e) => account_page(&state, &who, false, Problems::of(e)).await,
    }
}

/// Ends one of the user's other sessions.
pub async fn end_session(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some((session, user)) = &who else {
        return Redirect::to("/sign_in").into_response();
    };
    if let Some(res) = checked(&state, &headers, &session.id, &form.csrf) {
        return res;
    }
    match accounts::end_session(&state.db, &user.id, &id).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => failure(&state, &who, e),
    }
}

/// Ends every session of the user, this one included.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some((session, user)) = &who else {
        return Redirect::to("/sign_in").into_response();
    };
    if let Some(res) = checked(&state, &headers, &session.id, &form.csrf) {
        return res;
    }
    match accounts::end_all_sessions(&state.db, &user.id).await {
        Ok(_) => {
            let mut res = Redirect::to("/sign_in").into_response();
            res.headers_mut()
                .insert(header::SET_COOKIE, clear_cookie(&state));
            res
        }
        Err(e) => failure(&state, &who, e),
    }
}
