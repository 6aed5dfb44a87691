//! The web UI: server-rendered pages (askama templates in `templates/`, beside the handlers)
//! over the same domain services the API uses. Every page gets the security headers
//! ([`secure`]): a Content-Security-Policy that allows only this origin's scripts and styles
//! (no inline script), no framing, no MIME sniffing, no referrer off-site. State-changing
//! forms pass the same-origin check the API makes for cookies, and, once signed in, carry the
//! session's CSRF token ([`csrf`]).
//!
//! The pages, by module: accounts and the mailed links ([`pages`], [`links`], [`account`]); an
//! organisation's dashboard, projects, sets and prompts with their forms ([`pages`],
//! [`content`], [`settings`]); the prompt editor ([`pages::prompt_page`] with the bundled
//! CodeMirror editor in `assets/editor.js`); versions, channels and diffs ([`releases`]); the
//! organisation's members and settings ([`organisation`]), API keys ([`api_keys`]), webhooks
//! ([`webhooks`]) and audit log ([`audit`]); a project's access tokens ([`project_tokens`]).
//! `docs/web.md` lists them by URL.

mod account;
mod api_keys;
pub mod assets;
mod audit;
mod content;
mod credentials;
pub mod csrf;
mod links;
mod organisation;
mod pages;
mod project_tokens;
mod releases;
mod settings;
mod webhooks;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::AppState;
use crate::domain::accounts;
use crate::domain::records::{session, user};

/// The pages and their assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/sign_in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign_up", get(pages::sign_up_form).post(pages::sign_up))
        .route("/sign_out", post(pages::sign_out))
        .route(
            "/sign_in/link",
            get(links::sign_in_link_form).post(links::sign_in_link),
        )
        .route(
            "/password_reset",
            get(links::reset_form).post(links::reset_request),
        )
        .route(
            "/auth/magic_link",
            get(links::magic_link_page).post(links::magic_link),
        )
        .route(
            "/auth/password_reset",
            get(links::password_reset_page).post(links::password_reset),
        )
        .route(
            "/auth/confirm_email",
            get(links::confirm_email_page).post(links::confirm_email),
        )
        .route(
            "/invitations/accept",
            get(links::invitation_page).post(links::accept_invitation),
        )
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route(
            "/account/sign_out_everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/o/{org}", get(pages::dashboard))
        .route("/o/{org}/audit", get(audit::page))
        .route(
            "/o/{org}/settings",
            get(organisation::settings).post(organisation::save_settings),
        )
        .route("/o/{org}/members", get(organisation::members))
        .route(
            "/o/{org}/members/{user}/role",
            post(organisation::change_role),
        )
        .route("/o/{org}/members/{user}/remove", post(organisation::remove))
        .route("/o/{org}/invitations", post(organisation::invite))
        .route(
            "/o/{org}/invitations/{id}/revoke",
            post(organisation::revoke_invitation),
        )
        .route(
            "/o/{org}/keys",
            get(api_keys::keys).post(api_keys::create_key),
        )
        .route("/o/{org}/keys/{id}/revoke", post(api_keys::revoke_key))
        .route(
            "/o/{org}/webhooks",
            get(webhooks::page).post(webhooks::create),
        )
        .route(
            "/o/{org}/webhooks/{id}",
            get(webhooks::webhook).post(webhooks::save),
        )
        .route("/o/{org}/webhooks/{id}/delete", post(webhooks::delete))
        .route(
            "/o/{org}/-/new",
            get(content::new_project_form).post(content::new_project),
        )
        .route("/o/{org}/{project}", get(pages::project_page))
        .route(
            "/o/{org}/{project}/-/edit",
            get(settings::project_form).post(settings::project_save),
        )
        .route(
            "/o/{org}/{project}/-/delete",
            post(settings::project_delete),
        )
        .route(
            "/o/{org}/{project}/-/tokens",
            get(project_tokens::page).post(project_tokens::create),
        )
        .route(
            "/o/{org}/{project}/-/tokens/{id}/revoke",
            post(project_tokens::revoke),
        )
        .route(
            "/o/{org}/{project}/{set}/-/edit",
            get(settings::set_form).post(settings::set_save),
        )
        .route(
            "/o/{org}/{project}/{set}/-/delete",
            post(settings::set_delete),
        )
        .route(
            "/o/{org}/{project}/-/new",
            get(content::new_set_form).post(content::new_set),
        )
        .route("/o/{org}/{project}/{set}", get(pages::set_page))
        .route(
            "/o/{org}/{project}/{set}/-/new",
            get(content::new_prompt_form).post(content::new_prompt),
        )
        .route(
            "/o/{org}/{project}/{set}/-/cut",
            get(releases::cut_form).post(releases::cut),
        )
        .route(
            "/o/{org}/{project}/{set}/-/channels",
            get(releases::new_channel),
        )
        .route(
            "/o/{org}/{project}/{set}/-/channels/{channel}",
            get(releases::move_form).post(releases::move_channel),
        )
        .route("/o/{org}/{project}/{set}/diff", get(releases::diff_page))
        .route(
            "/o/{org}/{project}/{set}/v/{label}",
            get(releases::version_page),
        )
        .route(
            "/o/{org}/{project}/{set}/v/{label}/restore",
            post(releases::restore),
        )
        .route(
            "/o/{org}/{project}/{set}/v/{label}/yank",
            post(releases::yank),
        )
        .route(
            "/o/{org}/{project}/{set}/v/{label}/unyank",
            post(releases::unyank),
        )
        .route(
            "/o/{org}/{project}/{set}/-/status",
            post(releases::set_status),
        )
        .route("/o/{org}/{project}/{set}/{prompt}", get(pages::prompt_page))
        .route("/assets/{file}", get(assets::serve))
        .layer(axum::middleware::map_response(secure))
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A page whose scripts add `<style>` elements (CodeMirror's themes do, through style-mod)
/// carries a fresh nonce for them in this response extension; its CSP then allows styles
/// with that nonce, and nothing else inline. Scripts stay `'self'` only on every page.
#[derive(Clone)]
pub struct StyleNonce(pub String);

impl StyleNonce {
    /// A fresh nonce: 128 random bits.
    pub fn fresh() -> StyleNonce {
        StyleNonce(crate::domain::secrets::new_token()[..32].to_string())
    }
}

/// The security headers of every page and asset.
async fn secure(mut res: Response) -> Response {
    let csp = match res.extensions().get::<StyleNonce>() {
        Some(StyleNonce(n)) => HeaderValue::from_str(&CSP.replace(
            "style-src 'self';",
            &format!("style-src 'self' 'nonce-{n}';"),
        ))
        .unwrap_or(HeaderValue::from_static(CSP)),
        None => HeaderValue::from_static(CSP),
    };
    let h = res.headers_mut();
    // Pages carry CSRF tokens and the one-time tokens of mailed links: no cache keeps them.
    // Assets set their own (immutable) caching.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    res
}

/// The signed-in user of a page request, if any (a session cookie that is still valid).
pub struct Visitor(pub Option<(session::Model, user::Model)>);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let Some(token) = super::auth::session_token(&parts.headers) else {
            return Ok(Visitor(None));
        };
        match accounts::authenticate(&state.db, &token).await {
            Ok(found) => Ok(Visitor(found)),
            Err(e) => {
                // The page then shows the signed-out view; the failure must not vanish.
                tracing::error!(error = %e, "reading the session failed");
                Ok(Visitor(None))
            }
        }
    }
}
