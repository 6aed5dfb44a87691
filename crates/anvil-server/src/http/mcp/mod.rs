//! The Model Context Protocol at `/mcp` (streamable HTTP, stateless): AI assistants list the
//! prompts a credential can see and render them with typed arguments.
//!
//! Two revisions are served on one endpoint, told apart by the request body. A request whose
//! `params._meta` carries `io.modelcontextprotocol/protocolVersion` is 2026-07-28: its
//! `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers must agree with the body, and
//! it is answered alone (no session). Anything else is the 2025-11-25 handshake era:
//! `initialize` is answered without creating a session, so every later request stands alone
//! too. Written directly rather than on `rmcp`: the server side is six methods, and its
//! streamable HTTP transport is session-oriented where both revisions here are stateless, and
//! authentication, limits and the render path are this router's own.
//!
//! Dispatch errors (unknown method, bad arguments, unknown prompt) are JSON-RPC errors in a
//! 200 (clients of the handshake era treat any other status as a transport failure);
//! transport errors (headers against the body, an unsupported revision) are 400s.

mod listen;
mod prompts;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::extract::Query;
use crate::domain::Error;
use crate::domain::access::Credential;

/// The stateless revision.
pub const MODERN: &str = "2026-07-28";
/// Handshake-era revisions answered to `initialize` (the newest is offered when a client
/// asks for one not listed).
pub const HANDSHAKE: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_VERSION: i64 = -32022;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/mcp", post(handle).get(no_stream).delete(no_stream))
}

/// There is no session to stream to or end: both revisions are answered per request.
async fn no_stream() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, HeaderValue::from_static("POST"))],
    )
        .into_response()
}

/// A JSON-RPC error, with the HTTP status it travels in.
#[derive(Debug)]
pub struct RpcError {
    status: StatusCode,
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            status: StatusCode::OK,
            code,
            message: message.into(),
            data: None,
        }
    }

    fn transport(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            status: StatusCode::BAD_REQUEST,
            ..RpcError::new(code, message)
        }
    }

    pub fn params(message: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_PARAMS, message)
    }

    fn with_data(mut self, data: Value) -> RpcError {
        self.data = Some(data);
        self
    }

    fn respond(self, id: &Value) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(d) = self.data {
            error["data"] = d;
        }
        (
            self.status,
            axum::Json(json!({"jsonrpc": "2.0", "id": id, "error": error})),
        )
            .into_response()
    }
}

/// A domain failure as MCP reports it: what the caller got wrong is invalid params (an
/// unknown prompt included, as the protocol asks); the rest is an internal error whose
/// detail stays in the log.
impl From<Error> for RpcError {
    fn from(e: Error) -> RpcError {
        match e {
            Error::Validation(fields) => RpcError::params(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Error::NotFound(m) | Error::Forbidden(m) | Error::Conflict { message: m, .. } => {
                RpcError::params(m)
            }
            other => {
                tracing::error!(error = %other, "an MCP request failed");
                RpcError::new(
                    INTERNAL_ERROR,
                    "internal error; the server log has the detail",
                )
            }
        }
    }
}

impl From<ApiError> for RpcError {
    fn from(e: ApiError) -> RpcError {
        match e {
            ApiError::Domain(d) => RpcError::from(d),
            ApiError::InvalidRequest(m) | ApiError::PayloadTooLarge(m) => RpcError::params(m),
        }
    }
}

/// Which revision a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    Modern,
    Handshake,
}

/// One request, read off the body and checked against its headers.
pub struct Request {
    pub era: Era,
    pub id: Value,
    pub method: String,
    pub params: serde_json::Map<String, Value>,
}

impl Request {
    /// A result, stamped as the revision wants it.
    fn result(&self, mut result: Value) -> Response {
        if self.era == Era::Modern
            && let Some(o) = result.as_object_mut()
        {
            o.entry("resultType").or_insert(json!("complete"));
        }
        axum::Json(json!({"jsonrpc": "2.0", "id": self.id, "result": result})).into_response()
    }

    /// A string parameter, or the error naming it.
    pub fn string(&self, name: &str) -> Result<Option<&str>, RpcError> {
        match self.params.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(RpcError::params(format!("{name} must be a string"))),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct McpQuery {
    /// The version spec prompts are listed and rendered at (default: `mcp_spec`).
    spec: Option<String>,
}

/// `POST /mcp`: one JSON-RPC message.
async fn handle(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<McpQuery>,
    auth: Result<DeliveryAuth, ApiError>,
    body: axum::body::Bytes,
) -> Response {
    if !allowed_origin(&state, &headers) {
        return RpcError {
            status: StatusCode::FORBIDDEN,
            ..RpcError::new(INVALID_REQUEST, "requests from this Origin are not allowed")
        }
        .respond(&Value::Null);
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    let auth = match auth {
        Ok(DeliveryAuth::Caller(c)) if matches!(c.actor.credential, Credential::Session { .. }) => {
            return unauthenticated(
                "MCP takes an API key or a project access token (Authorization: Bearer), not a browser session",
            );
        }
        Ok(a) => a,
        Err(ApiError::Domain(Error::Unauthenticated(m))) if bearer => return unauthenticated(&m),
        Err(ApiError::Domain(Error::Unauthenticated(_))) => {
            return unauthenticated(
                "send an API key or a project access token as Authorization: Bearer <credential>",
            );
        }
        Err(e) => return e.into_response(),
    };
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return RpcError::transport(PARSE_ERROR, format!("the body is not JSON: {e}"))
                .respond(&Value::Null);
        }
    };
    let Some(object) = message.as_object() else {
        return RpcError::transport(
            INVALID_REQUEST,
            "the body must be one JSON-RPC message (this server takes no batches)",
        )
        .respond(&Value::Null);
    };
    // Notifications and responses from the client need no answer.
    if !object.contains_key("method") || !object.contains_key("id") {
        return StatusCode::ACCEPTED.into_response();
    }
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    let request = match read_request(&headers, object) {
        Ok(r) => r,
        Err(e) => return e.respond(&id),
    };
    let spec = query.spec.as_deref().unwrap_or(&state.config.mcp_spec);
    let outcome = match (request.era, request.method.as_str()) {
        (Era::Modern, "server/discover") => Ok(request.result(discover())),
        (Era::Handshake, "initialize") => Ok(request.result(initialize(&request))),
        (_, "ping") => Ok(request.result(json!({}))),
        (_, "prompts/list") => prompts::list(&state, &auth, spec, &request)
            .await
            .map(|r| request.result(r)),
        (_, "prompts/get") => prompts::get(&state, &auth, spec, &request)
            .await
            .map(|r| request.result(r)),
        (Era::Modern, "subscriptions/listen") => listen::open(&state, &auth, &request).await,
        (_, method) => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("method not found: {method} (this server offers prompts)"),
        )),
    };
    outcome.unwrap_or_else(|e| e.respond(&id))
}

/// The spec prompts are listed and rendered at, read when a method needs it (so a bad
/// `?spec=` does not stop a client from connecting and being told).
pub fn parse_spec(raw: &str) -> Result<anvil_core::version::VersionSpec, RpcError> {
    anvil_core::version::VersionSpec::parse(raw)
        .map_err(|e| RpcError::params(format!("spec: '{raw}' is not a version spec ({e})")))
}

fn unauthenticated(message: &str) -> Response {
    let mut res = RpcError {
        status: StatusCode::UNAUTHORIZED,
        ..RpcError::new(INVALID_REQUEST, message)
    }
    .respond(&Value::Null);
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"anvil\""),
    );
    res
}

/// No Origin (not a browser), this server's own (`public_url`), one of
/// `cors_allowed_origins`, or, without a `public_url`, a loopback origin: a page elsewhere
/// must not reach a forge through its visitor's browser, by DNS rebinding included (which is
/// why neither `Host` nor `Sec-Fetch-Site` is trusted here).
fn allowed_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if state
        .config
        .cors_allowed_origins
        .iter()
        .any(|o| o == origin)
    {
        return true;
    }
    let origin = super::auth::origin_of(origin);
    match state.config.public_url.as_deref() {
        Some(public) => origin == super::auth::origin_of(public),
        None => {
            let host = origin.split_once("://").map_or("", |(_, h)| h);
            let host = match host.rsplit_once(':') {
                Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => host,
            };
            matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `Mcp-Name` as sent: plain printable ASCII, or `=?base64?…?=` for anything else.
fn decode_name(raw: &str) -> Option<String> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| String::from_utf8(b).ok()),
        None => Some(raw.to_string()),
    }
}

fn read_request(
    headers: &HeaderMap,
    object: &serde_json::Map<String, Value>,
) -> Result<Request, RpcError> {
    let method = match object.get("method") {
        Some(Value::String(m)) => m.clone(),
        _ => {
            return Err(RpcError::transport(
                INVALID_REQUEST,
                "method must be a string",
            ));
        }
    };
    if !matches!(object.get("id"), Some(Value::String(_) | Value::Number(_))) {
        return Err(RpcError::transport(
            INVALID_REQUEST,
            "id must be a string or a number",
        ));
    }
    let params = match object.get("params") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return Err(RpcError::transport(
                INVALID_REQUEST,
                "params must be an object",
            ));
        }
    };
    let meta = params.get("_meta").and_then(Value::as_object);
    let version = meta.and_then(|m| m.get(META_VERSION));
    let era = match version {
        None if header(headers, "mcp-protocol-version") == Some(MODERN) => {
            return Err(RpcError::transport(
                HEADER_MISMATCH,
                format!(
                    "a {MODERN} request carries its version in params._meta ({META_VERSION}) too"
                ),
            ));
        }
        None => {
            if let Some(v) = header(headers, "mcp-protocol-version")
                && !HANDSHAKE.contains(&v)
                && method != "initialize"
            {
                return Err(unsupported(v));
            }
            Era::Handshake
        }
        Some(v) => {
            let v = v.as_str().unwrap_or_default();
            if v != MODERN {
                return Err(unsupported(v));
            }
            if header(headers, "mcp-protocol-version") != Some(v) {
                return Err(RpcError::transport(
                    HEADER_MISMATCH,
                    format!("the MCP-Protocol-Version header must be {v}, as in the body's _meta"),
                ));
            }
            if header(headers, "mcp-method") != Some(method.as_str()) {
                return Err(RpcError::transport(
                    HEADER_MISMATCH,
                    format!("the Mcp-Method header must be {method}, as in the body"),
                ));
            }
            if method == "prompts/get" {
                let name = params.get("name").and_then(Value::as_str);
                let sent = header(headers, "mcp-name").and_then(decode_name);
                if sent.as_deref() != name {
                    return Err(RpcError::transport(
                        HEADER_MISMATCH,
                        "the Mcp-Name header must be the prompt's name, as in the body",
                    ));
                }
            }
            if !meta
                .and_then(|m| m.get(META_CAPABILITIES))
                .is_some_and(Value::is_object)
            {
                return Err(RpcError::transport(
                    INVALID_PARAMS,
                    format!("_meta must carry {META_CAPABILITIES} (an object)"),
                ));
            }
            Era::Modern
        }
    };
    Ok(Request {
        era,
        id: object.get("id").cloned().unwrap_or(Value::Null),
        method,
        params,
    })
}

fn unsupported(requested: &str) -> RpcError {
    let mut supported = vec![MODERN];
    supported.extend(HANDSHAKE);
    RpcError::transport(
        UNSUPPORTED_VERSION,
        format!("protocol version '{requested}' is not supported"),
    )
    .with_data(json!({"supported": supported, "requested": requested}))
}

fn server_info() -> Value {
    json!({"name": "anvil", "title": "Anvil prompt registry", "version": env!("CARGO_PKG_VERSION")})
}

const INSTRUCTIONS: &str = "Prompts of an Anvil prompt registry. Each prompt's name is its address (project/set@spec/prompt); its arguments are the prompt's typed parameters, given as text (numbers, booleans and JSON arrays or objects are parsed).";

fn discover() -> Value {
    json!({
        "supportedVersions": [MODERN],
        "capabilities": {"prompts": {"listChanged": true}},
        "instructions": INSTRUCTIONS,
        "ttlMs": 0,
        "cacheScope": "private",
        "_meta": {META_SERVER_INFO: server_info()},
    })
}

/// The handshake, answered without a session: nothing is kept, so `listChanged` is not
/// offered (it would need a stream per session; the 2026-07-28 revision has
/// `subscriptions/listen` for it).
fn initialize(request: &Request) -> Value {
    let asked = request
        .params
        .get("protocolVersion")
        .and_then(Value::as_str);
    let version = asked
        .filter(|v| HANDSHAKE.contains(v))
        .unwrap_or(HANDSHAKE[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {"prompts": {"listChanged": false}},
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    })
}
