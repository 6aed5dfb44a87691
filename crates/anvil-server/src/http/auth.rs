//! Accounts over JSON: register, sign in and out, sessions, `/me`. Thin: parse, call one
//! domain service, shape the response.

use std::net::SocketAddr;

use super::extract::Path;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::json::Json;
use super::pagination::PageQuery;
use super::wire::{List, One, Resource, Timestamp};
use crate::domain::accounts::{self, ClientInfo, NewSession, Registration};
use crate::domain::records::{session, user};
use crate::domain::{self, organisations, tokens};
use utoipa::ToSchema;

pub const SESSION_COOKIE: &str = "anvil_session";

/// Who is calling and from where.
pub fn client_info(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> ClientInfo {
    let peer_ip = peer.map(|p| p.ip());
    // Believe X-Forwarded-For only from configured proxies; take the last hop that is not one.
    let ip = match peer_ip {
        Some(ip) if state.config.trusted_proxies.contains(&ip) => headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter_map(|s| s.parse::<std::net::IpAddr>().ok())
                    .rev()
                    .find(|ip| !state.config.trusted_proxies.contains(ip))
            })
            .or(Some(ip)),
        other => other,
    };
    ClientInfo {
        ip: ip.map(|i| i.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| match s.char_indices().nth(512) {
                Some((end, _)) => s[..end].to_string(),
                None => s.to_string(),
            }),
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn session_cookie(state: &AppState, s: &NewSession) -> HeaderValue {
    let mut c = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax",
        s.token
    );
    if s.session.remember {
        c.push_str(&format!(
            "; Max-Age={}",
            accounts::REMEMBER_FOR.whole_seconds()
        ));
    }
    if state.config.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The bearer token of a request, if it presents one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).map(|v| {
        v.to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map_or("", str::trim)
    })
}

/// The session token of a request's cookie, if it has one.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE).filter(|t| !t.is_empty())
}

/// A credential the rate limiter already authenticated for this request, handed to the
/// extractors so the hot path checks a credential once.
#[derive(Clone)]
pub(crate) enum Authenticated {
    Session(Box<(session::Model, user::Model)>),
    ApiKey {
        user_id: String,
        credential: crate::domain::access::Credential,
    },
    AccessToken {
        reader: crate::domain::access_tokens::ProjectReader,
        organisation_slug: String,
    },
}

/// A signed-in user (session cookie). State-changing requests must also pass the same-origin
/// check, so another site cannot act with the user's cookie.
pub struct SignedIn {
    pub user: user::Model,
    pub session: session::Model,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = session_token(&parts.headers) else {
            return Err(domain::Error::Unauthenticated("sign in first".to_string()).into());
        };
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            same_origin(&parts.headers, state.config.public_url.as_deref())?;
        }
        if let Some(Authenticated::Session(pair)) = parts.extensions.get::<Authenticated>().cloned()
        {
            let (session, user) = *pair;
            return Ok(SignedIn { user, session });
        }
        match accounts::authenticate(&state.db, &token).await? {
            Some((session, user)) => Ok(SignedIn { user, session }),
            None => Err(domain::Error::Unauthenticated(
                "your session has ended; sign in again".to_string(),
            )
            .into()),
        }
    }
}

fn token_refused() -> ApiError {
    domain::Error::Forbidden(
        "project access tokens only read their project's published prompts; use an API key or \
         sign in for this"
            .to_string(),
    )
    .into()
}

/// Any authenticated caller: an API key (`Authorization: Bearer ank_live_...`) or a session
/// cookie, as a domain [`Actor`](crate::domain::access::Actor).
pub struct Caller {
    pub actor: crate::domain::access::Actor,
    /// `X-Anvil-Organisation`: which organisation a session caller acts in.
    pub organisation: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        use crate::domain::access::{Actor, Credential};
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let client = client_info(state, &parts.headers, peer);
        let organisation = parts
            .headers
            .get("x-anvil-organisation")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        match parts.extensions.get::<Authenticated>().cloned() {
            Some(Authenticated::ApiKey {
                user_id,
                credential,
            }) => {
                return Ok(Caller {
                    actor: Actor {
                        user_id,
                        credential,
                        client,
                    },
                    organisation,
                });
            }
            Some(Authenticated::AccessToken { .. }) => {
                return Err(token_refused());
            }
            _ => {}
        }
        if let Some(bearer) = bearer(&parts.headers) {
            if bearer.starts_with(crate::domain::access_tokens::TOKEN_PREFIX) {
                return match crate::domain::access_tokens::authenticate(
                    &state.db,
                    &state.delivery,
                    bearer,
                )
                .await?
                {
                    Some(_) => Err(token_refused()),
                    None => Err(domain::Error::Unauthenticated(
                        "invalid or revoked access token".to_string(),
                    )
                    .into()),
                };
            }
            return match crate::domain::api_keys::authenticate(&state.db, &state.key_cache, bearer)
                .await?
            {
                Some((key, credential)) => Ok(Caller {
                    actor: Actor {
                        user_id: key.user_id,
                        credential,
                        client,
                    },
                    organisation,
                }),
                None => Err(domain::Error::Unauthenticated(
                    "invalid, expired or revoked API key".to_string(),
                )
                .into()),
            };
        }
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        Ok(Caller {
            actor: Actor {
                user_id: signed_in.user.id,
                credential: Credential::Session {
                    session_id: signed_in.session.id,
                },
                client,
            },
            organisation,
        })
    }
}

/// Rejects cross-site state-changing requests made with a cookie (`Sec-Fetch-Site`, or for
/// browsers without it `Origin` against `public_url` when set: scheme, host and port; else
/// against `Host`).
pub(crate) fn same_origin(headers: &HeaderMap, public_url: Option<&str>) -> Result<(), ApiError> {
    let forbidden = || {
        ApiError::from(domain::Error::Forbidden(
            "cross-site request refused".to_string(),
        ))
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return if matches!(site, "same-origin" | "none") {
            Ok(())
        } else {
            Err(forbidden())
        };
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if let Some(public) = public_url {
            return if origin_of(origin) == origin_of(public) {
                Ok(())
            } else {
                Err(forbidden())
            };
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin_host != host {
            return Err(forbidden());
        }
    }
    Ok(())
}

/// An origin as `scheme://host[:port]`, lowercased, without a path or a default port.
pub(crate) fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url.as_str()));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = match (scheme, authority.rsplit_once(':')) {
        ("https", Some((host, "443"))) | ("http", Some((host, "80"))) => host,
        _ => authority,
    };
    format!("{scheme}://{authority}")
}

/// An account as the API sends it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    /// Whether the address is confirmed.
    pub confirmed: bool,
    pub created_at: Timestamp,
}

impl Resource for UserView {
    const ONE: &'static str = "user";
    const MANY: &'static str = "users";
}

/// One of the caller's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

impl Resource for Session {
    const ONE: &'static str = "session";
    const MANY: &'static str = "sessions";
}

/// An organisation the caller belongs to, with the caller's role.
#[derive(Debug, Serialize, ToSchema)]
pub struct Membership {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub personal: bool,
    /// `owner`, `admin` or `member`.
    pub role: &'static str,
}

/// The API key a request came with.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyIdentity {
    pub id: String,
    pub organisation_id: String,
    /// `read`, `write`, `admin`.
    pub scopes: Vec<&'static str>,
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    pub organisations: Vec<Membership>,
    /// With an API key: the key; with a session: null.
    pub api_key: Option<KeyIdentity>,
}

impl From<&user::Model> for UserView {
    fn from(u: &user::Model) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            confirmed: u.confirmed_at.is_some(),
            created_at: u.created_at.into(),
        }
    }
}

fn signed_in_response(state: &AppState, status: StatusCode, s: &NewSession) -> Response {
    let mut res = (status, axum::Json(One(UserView::from(&s.user)))).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, s));
    res
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 12, max_length = 1024)]
    password: String,
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    name: Option<String>,
    #[serde(default)]
    remember_me: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "accounts",
    summary = "Register an account",
    request_body = RegisterBody,
    responses((status = 201, description = "Registered and signed in (sets the session cookie)", body = One<UserView>)),
    security(()),
)]
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<RegisterBody>,
) -> Result<Response, ApiError> {
    let client = client_info(&state, &headers, Some(peer));
    let s = accounts::register(
        &state.db,
        state.config.registration_enabled,
        Registration {
            email: body.email,
            password: body.password,
            name: body.name,
        },
        &client,
        body.remember_me,
    )
    .await?;
    // The account exists whether or not the confirmation mail could be written.
    let base = state.base_url();
    let mail_ctx = tokens::MailContext {
        jobs: &state.jobs,
        base_url: &base,
    };
    if let Err(e) = tokens::send_confirmation(&state.db, &mail_ctx, &s.user).await {
        tracing::error!(error = %e, "confirmation mail not sent");
    }
    Ok(signed_in_response(&state, StatusCode::CREATED, &s))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    password: String,
    #[serde(default)]
    remember_me: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/sign_in",
    tag = "accounts",
    summary = "Sign in with email and password",
    request_body = SignInBody,
    responses((status = 200, description = "Signed in (sets the session cookie)", body = One<UserView>)),
    security(()),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<SignInBody>,
) -> Result<Response, ApiError> {
    let client = client_info(&state, &headers, Some(peer));
    let s = accounts::sign_in(
        &state.db,
        &state.sign_in_limiter,
        &body.email,
        body.password,
        body.remember_me,
        &client,
    )
    .await?;
    Ok(signed_in_response(&state, StatusCode::OK, &s))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/sign_out",
    tag = "accounts",
    summary = "Sign out this session",
    responses((status = 204, description = "Signed out")),
    security(("session" = [])),
)]
pub async fn sign_out(State(state): State<AppState>, me: SignedIn) -> Result<Response, ApiError> {
    accounts::end_session(&state.db, &me.user.id, &me.session.id).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    Ok(res)
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/sign_out_everywhere",
    tag = "accounts",
    summary = "End every session of the user",
    responses((status = 204, description = "Every session ended")),
    security(("session" = [])),
)]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    me: SignedIn,
) -> Result<Response, ApiError> {
    accounts::end_all_sessions(&state.db, &me.user.id).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    Ok(res)
}

#[utoipa::path(
    get,
    path = "/api/v1/auth/sessions",
    tag = "accounts",
    summary = "List the caller's sessions",
    params(super::pagination::PageQuery),
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The caller's sessions", body = List<Session>)),
    security(("session" = [])),
)]
pub async fn sessions(
    State(state): State<AppState>,
    me: SignedIn,
    super::extract::Query(q): super::extract::Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = q.page(&state)?;
    let list = accounts::sessions_of(&state.db, &me.user.id, &page).await?;
    Ok(axum::Json(List::page(
        &state,
        &list,
        |s| &s.id,
        |s| Session {
            id: s.id.clone(),
            created_at: s.created_at.into(),
            last_seen_at: s.last_seen_at.into(),
            expires_at: s.expires_at.into(),
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            current: s.id == me.session.id,
        },
    ))
    .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/auth/sessions/{id}",
    tag = "accounts",
    summary = "End one session",
    params(("id" = String, Path)),
    responses((status = 204, description = "Session ended")),
    security(("session" = [])),
)]
pub async fn end_session(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    accounts::end_session(&state.db, &me.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    summary = "Who am I",
    description = "The caller's user and organisations. With an API key: its organisation only, and the key's id, organisation and scopes in `api_key`.",
    responses((status = 304, description = "Not modified (If-None-Match)"), (status = 200, description = "The caller's user and organisations", body = Me)),
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    use crate::domain::access::Credential;
    let user = accounts::user(&state.db, &caller.actor.user_id).await?;
    let mut orgs = organisations::of_user(&state.db, &user.id).await?;
    let api_key = match &caller.actor.credential {
        Credential::ApiKey {
            key_id,
            organisation_id,
            scopes,
        } => {
            // A key acts inside its organisation only; it does not list the others.
            orgs.retain(|m| &m.organisation.id == organisation_id);
            Some(KeyIdentity {
                id: key_id.clone(),
                organisation_id: organisation_id.clone(),
                scopes: scopes.iter().map(|s| s.as_str()).collect(),
            })
        }
        Credential::Session { .. } => None,
    };
    let organisations = orgs
        .iter()
        .map(|m| Membership {
            id: m.organisation.id.clone(),
            name: m.organisation.name.clone(),
            slug: m.organisation.slug.clone(),
            personal: m.organisation.personal,
            role: m.role.as_str(),
        })
        .collect();
    Ok(axum::Json(Me {
        user: UserView::from(&user),
        organisations,
        api_key,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    token: String,
    #[schema(min_length = 12, max_length = 1024)]
    password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    #[schema(min_length = 12, max_length = 1024)]
    new_password: String,
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        axum::Json(super::wire::Status { status: "accepted" }),
    )
        .into_response()
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/magic_link",
    tag = "accounts",
    summary = "Mail a sign-in link",
    request_body = EmailBody,
    responses((status = 202, description = "Accepted, whether or not the address exists", body = super::wire::Status)),
    security(()),
)]
/// Always 202 (the answer never reveals whether the address has an account).
pub async fn magic_link(
    State(state): State<AppState>,
    Json(body): Json<EmailBody>,
) -> Result<Response, ApiError> {
    let base = state.base_url();
    let mail_ctx = tokens::MailContext {
        jobs: &state.jobs,
        base_url: &base,
    };
    tokens::request_magic_link(&state.db, &state.mail_limiter, &mail_ctx, &body.email).await?;
    Ok(accepted())
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/magic_link/verify",
    tag = "accounts",
    summary = "Sign in with a mailed link's token",
    request_body = TokenBody,
    responses((status = 200, description = "Signed in", body = One<UserView>)),
    security(()),
)]
pub async fn verify_magic_link(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<TokenBody>,
) -> Result<Response, ApiError> {
    let client = client_info(&state, &headers, Some(peer));
    let s = tokens::verify_magic_link(&state.db, &body.token, &client).await?;
    Ok(signed_in_response(&state, StatusCode::OK, &s))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password_reset",
    tag = "accounts",
    summary = "Mail a password reset link",
    request_body = EmailBody,
    responses((status = 202, description = "Accepted, whether or not the address exists", body = super::wire::Status)),
    security(()),
)]
pub async fn password_reset(
    State(state): State<AppState>,
    Json(body): Json<EmailBody>,
) -> Result<Response, ApiError> {
    let base = state.base_url();
    let mail_ctx = tokens::MailContext {
        jobs: &state.jobs,
        base_url: &base,
    };
    tokens::request_password_reset(&state.db, &state.mail_limiter, &mail_ctx, &body.email).await?;
    Ok(accepted())
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password_reset/confirm",
    tag = "accounts",
    summary = "Set a new password with a reset token",
    request_body = ResetBody,
    responses((status = 200, description = "Password set, every other session ended, signed in", body = One<UserView>)),
    security(()),
)]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<ResetBody>,
) -> Result<Response, ApiError> {
    let client = client_info(&state, &headers, Some(peer));
    let s = tokens::reset_password(&state.db, &body.token, body.password, &client).await?;
    Ok(signed_in_response(&state, StatusCode::OK, &s))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/confirm_email",
    tag = "accounts",
    summary = "Confirm an email address",
    request_body = TokenBody,
    responses((status = 200, description = "Email confirmed", body = One<UserView>)),
    security(()),
)]
pub async fn confirm_email(
    State(state): State<AppState>,
    Json(body): Json<TokenBody>,
) -> Result<Response, ApiError> {
    let u = tokens::confirm_email(&state.db, &body.token).await?;
    Ok(axum::Json(One(UserView::from(&u))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "accounts",
    summary = "Change the password",
    request_body = PasswordBody,
    responses((status = 204, description = "Password changed")),
    security(("session" = [])),
)]
pub async fn change_password(
    State(state): State<AppState>,
    me: SignedIn,
    Json(body): Json<PasswordBody>,
) -> Result<Response, ApiError> {
    accounts::change_password(
        &state.db,
        &me.user,
        &me.session.id,
        body.current_password,
        body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_origin(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_str(origin).unwrap_or_else(|e| panic!("{e}")),
        );
        h.insert(header::HOST, HeaderValue::from_static("anvil.example.com"));
        h
    }

    #[test]
    fn origins_are_compared_with_the_public_url_scheme_included() {
        let public = Some("https://anvil.example.com/");
        assert!(same_origin(&with_origin("https://anvil.example.com"), public).is_ok());
        assert!(same_origin(&with_origin("https://anvil.example.com:443"), public).is_ok());
        assert!(same_origin(&with_origin("http://anvil.example.com"), public).is_err());
        assert!(same_origin(&with_origin("https://evil.example.com"), public).is_err());
        // Without a public URL, the Host header is all there is to compare with.
        assert!(same_origin(&with_origin("http://anvil.example.com"), None).is_ok());
        assert!(same_origin(&with_origin("http://evil.example.com"), None).is_err());
    }
}
