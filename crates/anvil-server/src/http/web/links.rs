//! The pages the forge's emails link to (`/auth/magic_link?token=`, `/auth/password_reset?token=`,
//! `/auth/confirm_email?token=`, `/invitations/accept?token=`) and the forms that ask for the
//! first two. Opening a link redeems nothing: mail scanners fetch links, so each page asks for
//! one click (a POST) before the token is used.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Visitor;
use super::pages::{Layout, Problems, checked, cross_site, signed_in, status_of};
use crate::domain::{self, invitations, tokens};
use crate::http::AppState;
use crate::http::auth::{client_info, same_origin};

/// One page for every link: a heading, what happens, and (mostly) a form of one click.
#[derive(Template, WebTemplate)]
#[template(path = "link.html")]
struct LinkPage {
    layout: Layout,
    heading: String,
    text: String,
    /// Where the form posts; none for a page with nothing left to do.
    action: Option<String>,
    button: String,
    token: String,
    email_field: bool,
    password_field: bool,
    name_field: bool,
    email: String,
    /// A link to follow instead of (or after) the form: (label, href)
    aside: Option<(String, String)>,
    problems: Problems,
}

impl LinkPage {
    fn new(state: &AppState, who: &Visitor, heading: &str, text: String) -> LinkPage {
        LinkPage {
            layout: Layout::new(state, heading, who.0.as_ref()),
            heading: heading.to_string(),
            text,
            action: None,
            button: String::new(),
            token: String::new(),
            email_field: false,
            password_field: false,
            name_field: false,
            email: String::new(),
            aside: None,
            problems: Problems::default(),
        }
    }

    fn form(mut self, action: &str, button: &str, token: &str) -> LinkPage {
        self.action = Some(action.to_string());
        self.button = button.to_string();
        self.token = token.to_string();
        self
    }

    fn failed(mut self, e: domain::Error) -> Response {
        let status = status_of(&e);
        self.problems = Problems::of(e);
        (status, self).into_response()
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// The check of every form here: this origin, and once signed in the session's CSRF token too
/// (so a forged post cannot sign a signed-in visitor into someone else's account).
fn refused(
    state: &AppState,
    who: &Visitor,
    headers: &HeaderMap,
    form: &LinkForm,
) -> Option<Response> {
    if same_origin(headers, state.config.public_url.as_deref()).is_err() {
        return Some(cross_site());
    }
    match &who.0 {
        Some((session, _)) => checked(state, headers, &session.id, &form.csrf),
        None => None,
    }
}

fn mail<'a>(state: &'a AppState, base: &'a str) -> tokens::MailContext<'a> {
    tokens::MailContext {
        jobs: &state.jobs,
        base_url: base,
    }
}

/// `GET /auth/magic_link?token=`
pub async fn magic_link_page(
    State(state): State<AppState>,
    who: Visitor,
    Query(q): Query<TokenQuery>,
) -> Response {
    LinkPage::new(
        &state,
        &who,
        "Sign in",
        "Continue to sign in as the address this link was sent to. The link works once.".into(),
    )
    .form("/auth/magic_link", "Sign in", &q.token)
    .into_response()
}

/// `POST /auth/magic_link`: redeems the link and signs in.
pub async fn magic_link(
    State(state): State<AppState>,
    who: Visitor,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    if let Some(res) = refused(&state, &who, &headers, &form) {
        return res;
    }
    let client = client_info(&state, &headers, Some(peer));
    match tokens::verify_magic_link(&state.db, &form.token, &client).await {
        Ok(s) => signed_in(&state, &s),
        Err(e) => {
            let mut page = LinkPage::new(&state, &who, "Sign in", String::new());
            page.aside = Some(("Email me a new link".into(), "/sign_in/link".into()));
            page.failed(e)
        }
    }
}

/// What the two "email me a link" forms do.
#[derive(Clone, Copy)]
enum Ask {
    SignIn,
    Reset,
}

impl Ask {
    fn heading(self) -> &'static str {
        match self {
            Ask::SignIn => "Email me a sign-in link",
            Ask::Reset => "Reset your password",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Ask::SignIn => "/sign_in/link",
            Ask::Reset => "/password_reset",
        }
    }

    fn page(self, state: &AppState, who: &Visitor, email: String) -> LinkPage {
        let text = match self {
            Ask::SignIn => "We email you a link that signs you in once, within 15 minutes.",
            Ask::Reset => "We email you a link to choose a new password, valid for an hour.",
        };
        let mut page = LinkPage::new(state, who, self.heading(), text.into()).form(
            self.action(),
            "Send the link",
            "",
        );
        page.email_field = true;
        page.email = email;
        page
    }
}

async fn ask_form(state: AppState, who: Visitor, ask: Ask) -> Response {
    ask.page(&state, &who, String::new()).into_response()
}

async fn ask(
    state: AppState,
    who: Visitor,
    headers: HeaderMap,
    form: LinkForm,
    ask: Ask,
) -> Response {
    if let Some(res) = refused(&state, &who, &headers, &form) {
        return res;
    }
    let base = state.base_url();
    let mail = mail(&state, &base);
    let sent = match ask {
        Ask::SignIn => {
            tokens::request_magic_link(&state.db, &state.mail_limiter, &mail, &form.email).await
        }
        Ask::Reset => {
            tokens::request_password_reset(&state.db, &state.mail_limiter, &mail, &form.email).await
        }
    };
    match sent {
        // The same answer whether or not the address has an account.
        Ok(()) => LinkPage::new(
            &state,
            &who,
            "Check your email",
            format!(
                "If an account uses {}, a link is on its way to it.",
                form.email.trim()
            ),
        )
        .into_response(),
        Err(e) => ask.page(&state, &who, form.email).failed(e),
    }
}

pub async fn sign_in_link_form(State(state): State<AppState>, who: Visitor) -> Response {
    ask_form(state, who, Ask::SignIn).await
}

pub async fn sign_in_link(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    ask(state, who, headers, form, Ask::SignIn).await
}

pub async fn reset_form(State(state): State<AppState>, who: Visitor) -> Response {
    ask_form(state, who, Ask::Reset).await
}

pub async fn reset_request(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    ask(state, who, headers, form, Ask::Reset).await
}

fn new_password_page(state: &AppState, who: &Visitor, token: &str) -> LinkPage {
    let mut page = LinkPage::new(
        state,
        who,
        "Choose a new password",
        "At least 12 characters. Every session of your account is signed out; this one is \
         signed in."
            .into(),
    )
    .form("/auth/password_reset", "Set the password", token);
    page.password_field = true;
    page
}

/// `GET /auth/password_reset?token=`
pub async fn password_reset_page(
    State(state): State<AppState>,
    who: Visitor,
    Query(q): Query<TokenQuery>,
) -> Response {
    new_password_page(&state, &who, &q.token).into_response()
}

/// `POST /auth/password_reset`: sets the password and signs in.
pub async fn password_reset(
    State(state): State<AppState>,
    who: Visitor,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    if let Some(res) = refused(&state, &who, &headers, &form) {
        return res;
    }
    let client = client_info(&state, &headers, Some(peer));
    match tokens::reset_password(&state.db, &form.token, form.password, &client).await {
        Ok(s) => signed_in(&state, &s),
        Err(e) => {
            let mut page = new_password_page(&state, &who, &form.token);
            page.aside = Some(("Email me a new link".into(), "/password_reset".into()));
            page.failed(e)
        }
    }
}

/// `GET /auth/confirm_email?token=`
pub async fn confirm_email_page(
    State(state): State<AppState>,
    who: Visitor,
    Query(q): Query<TokenQuery>,
) -> Response {
    LinkPage::new(
        &state,
        &who,
        "Confirm your address",
        "Confirm that this address is yours.".into(),
    )
    .form("/auth/confirm_email", "Confirm my address", &q.token)
    .into_response()
}

/// `POST /auth/confirm_email`
pub async fn confirm_email(
    State(state): State<AppState>,
    who: Visitor,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    if let Some(res) = refused(&state, &who, &headers, &form) {
        return res;
    }
    match tokens::confirm_email(&state.db, &form.token).await {
        Ok(u) => {
            let mut page = LinkPage::new(
                &state,
                &who,
                "Address confirmed",
                format!("{} is confirmed.", u.email),
            );
            page.aside = Some(("Continue".into(), "/".into()));
            page.into_response()
        }
        Err(e) => LinkPage::new(&state, &who, "Confirm your address", String::new()).failed(e),
    }
}

/// `GET /invitations/accept?token=`: join as the signed-in user, or create the account.
pub async fn invitation_page(
    State(state): State<AppState>,
    who: Visitor,
    Query(q): Query<TokenQuery>,
) -> Response {
    let (inv, org) = match invitations::preview(&state.db, &q.token).await {
        Ok(x) => x,
        Err(e) => return LinkPage::new(&state, &who, "Invitation", String::new()).failed(e),
    };
    let signed_in_as = who.0.as_ref().map(|(_, u)| u.email.clone());
    let heading = format!("Join {}", org.name);
    let mut page = match signed_in_as {
        Some(email) if email == inv.email => LinkPage::new(
            &state,
            &who,
            &heading,
            format!("You are invited to {} as {}.", org.name, inv.role),
        )
        .form(
            "/invitations/accept",
            &format!("Join {}", org.name),
            &q.token,
        ),
        Some(email) => {
            let mut page = LinkPage::new(
                &state,
                &who,
                &heading,
                format!(
                    "This invitation was sent to {}, and you are signed in as {email}. Sign out, \
                     then open the link again.",
                    inv.email
                ),
            );
            page.aside = Some(("Your account".into(), "/account".into()));
            page
        }
        None => {
            let mut page = LinkPage::new(
                &state,
                &who,
                &heading,
                format!(
                    "You are invited to {} as {}. Create your account for {} to join, or sign \
                     in if you have one and open this link again.",
                    org.name, inv.role, inv.email
                ),
            )
            .form(
                "/invitations/accept",
                &format!("Create my account and join {}", org.name),
                &q.token,
            );
            page.name_field = true;
            page.password_field = true;
            page.aside = Some(("Sign in".into(), "/sign_in".into()));
            page
        }
    };
    page.email = inv.email;
    page.into_response()
}

/// `POST /invitations/accept`
pub async fn accept_invitation(
    State(state): State<AppState>,
    who: Visitor,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    if let Some(res) = refused(&state, &who, &headers, &form) {
        return res;
    }
    let client = client_info(&state, &headers, Some(peer));
    let failed =
        |e: domain::Error| LinkPage::new(&state, &who, "Invitation", String::new()).failed(e);
    match &who.0 {
        Some((session, user)) => {
            let actor = crate::domain::access::Actor {
                user_id: user.id.clone(),
                credential: crate::domain::access::Credential::Session {
                    session_id: session.id.clone(),
                },
                client,
            };
            match invitations::accept(&state.db, &actor, &form.token).await {
                Ok(org) => Redirect::to(&format!("/o/{}", org.slug)).into_response(),
                Err(e) => failed(e),
            }
        }
        None => {
            let name = Some(form.name.trim().to_string()).filter(|n| !n.is_empty());
            match invitations::accept_registering(
                &state.db,
                &form.token,
                form.password,
                name,
                &client,
            )
            .await
            {
                Ok((org, s)) => {
                    let mut res = signed_in(&state, &s);
                    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("/o/{}", org.slug)) {
                        res.headers_mut().insert(axum::http::header::LOCATION, v);
                    }
                    res
                }
                Err(e) => failed(e),
            }
        }
    }
}
