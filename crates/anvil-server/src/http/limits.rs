//! Rate limits per credential, by bucket: `delivery` for what applications call (resolve and
//! render by address, the event stream), `editor` for template validation and previews from a signed-in
//! browser, `render` for previews of the working copy by other callers, `bulk` for bundle imports,
//! `standard` for the
//! rest of the API. Buckets are keyed by the
//! authenticated credential's id, else by the client address. Every API response carries `X-RateLimit-Limit`,
//! `-Remaining` and `-Reset`; a refusal is a 429 with `Retry-After`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::Authenticated;
use super::error::{ApiError, ErrorBody, error_response};
use crate::config::{Config, Switch};
use crate::domain::rate_limit::{Quota, TokenBuckets};

/// The buckets of one instance.
#[derive(Debug)]
pub struct Limits {
    standard: TokenBuckets,
    render: TokenBuckets,
    bulk: TokenBuckets,
    delivery: TokenBuckets,
    editor: TokenBuckets,
}

impl Limits {
    pub fn from_config(c: &Config) -> Option<Arc<Limits>> {
        (c.rate_limits == Switch::On).then(|| {
            Arc::new(Limits {
                standard: TokenBuckets::per_hour(c.rate_limit_standard_per_hour),
                render: TokenBuckets::per_hour(c.rate_limit_render_per_hour),
                bulk: TokenBuckets::per_hour(c.rate_limit_bulk_per_hour),
                delivery: TokenBuckets::new(
                    c.rate_limit_delivery_burst,
                    f64::from(c.rate_limit_delivery_per_second),
                ),
                editor: TokenBuckets::new(
                    c.rate_limit_editor_burst,
                    f64::from(c.rate_limit_editor_per_second),
                ),
            })
        })
    }

    /// The bucket of a route pattern (as the router matched it) for a subject: the editor's
    /// calls from a signed-in browser have one of their own.
    fn bucket(&self, route: &str, subject: &str) -> (&'static str, &TokenBuckets) {
        let path = route.strip_prefix("/api/v1").unwrap_or(route);
        let editor_call = matches!(path, "/templates/validate" | "/prompts/{id}/render");
        if editor_call && subject.starts_with("session:") {
            ("editor", &self.editor)
        } else if path.starts_with("/resolve/")
            || path.starts_with("/render")
            || path == "/events"
            || path == "/mcp"
            || path.ends_with("/bundle")
            || path.ends_with("/current_bundle")
        {
            ("delivery", &self.delivery)
        } else if path == "/prompts/{id}/render" {
            ("render", &self.render)
        } else if path == "/bundles/import" {
            ("bulk", &self.bulk)
        } else {
            ("standard", &self.standard)
        }
    }
}

/// Who a request counts against: the credential it authenticates with (API key, access
/// token or session, by id), else its client address (honouring `trusted_proxies`). A
/// credential that does not authenticate counts against the address, so inventing tokens
/// buys no fresh buckets. An authenticated session is handed on to the handler's extractor
/// so it is not looked up twice.
async fn subject(req: &mut Request, state: &AppState) -> Result<String, ApiError> {
    use crate::domain::{access_tokens, accounts, api_keys};
    if let Some(bearer) = super::auth::bearer(req.headers()) {
        if bearer.starts_with(access_tokens::TOKEN_PREFIX) {
            if let Some((reader, organisation_slug)) =
                access_tokens::authenticate(&state.db, &state.delivery, bearer).await?
            {
                let id = format!("token:{}", reader.token_id);
                req.extensions_mut().insert(Authenticated::AccessToken {
                    reader,
                    organisation_slug,
                });
                return Ok(id);
            }
        } else if let Some((key, credential)) =
            api_keys::authenticate(&state.db, &state.key_cache, bearer).await?
        {
            req.extensions_mut().insert(Authenticated::ApiKey {
                user_id: key.user_id,
                credential,
            });
            return Ok(format!("key:{}", key.id));
        }
    } else if let Some(token) = super::auth::session_token(req.headers())
        && let Some((session, user)) = accounts::authenticate(&state.db, &token).await?
    {
        let id = format!("session:{}", session.id);
        req.extensions_mut()
            .insert(Authenticated::Session(Box::new((session, user))));
        return Ok(id);
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = super::auth::client_info(state, req.headers(), peer);
    Ok(format!("ip:{}", client.ip.unwrap_or_default()))
}

fn put_headers(res: &mut Response, q: &Quota) {
    let h = res.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", q.limit),
        ("x-ratelimit-remaining", q.remaining),
        ("x-ratelimit-reset", q.reset),
    ] {
        h.insert(name, HeaderValue::from(value));
    }
    if let Some(s) = q.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
}

/// Runs inside routing, where the matched route is known; also labels the response with the
/// route for `observe`.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let api = route
        .as_ref()
        .is_some_and(|r| r.as_str().starts_with("/api/v1/"));
    // MCP renders like the delivery routes, and is limited like them.
    let limited_route = api || route.as_ref().is_some_and(|r| r.as_str() == "/mcp");
    // API reads get an entity tag here too, so one layer does what every route needs.
    let tagging = (api && req.method() == axum::http::Method::GET)
        .then(|| req.headers().get(header::IF_NONE_MATCH).cloned());
    let res = match (&state.limits, &route) {
        (Some(limits), Some(r)) if limited_route => {
            let limits = limits.clone();
            limited(&state, &limits, r.as_str(), req, next).await
        }
        _ => next.run(req).await,
    };
    let mut res = match tagging {
        Some(wanted) => super::etag::tag(wanted, res).await,
        None => res,
    };
    if let Some(r) = route {
        res.extensions_mut().insert(super::observe::RouteLabel(r));
    }
    res
}

async fn limited(
    state: &AppState,
    limits: &Limits,
    route: &str,
    mut req: Request,
    next: Next,
) -> Response {
    let subject = match subject(&mut req, state).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let (name, bucket) = limits.bucket(route, &subject);
    let quota = bucket.take(&format!("{name}:{subject}"));
    let mut res = match quota.retry_after {
        Some(s) => error_response(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorBody::new(
                "rate_limit_error",
                format!(
                    "too many requests ({name} limit of {}); retry in {s} seconds",
                    quota.limit
                ),
                vec![],
            ),
        ),
        None => next.run(req).await,
    };
    put_headers(&mut res, &quota);
    res
}
