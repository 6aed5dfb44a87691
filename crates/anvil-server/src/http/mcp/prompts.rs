//! `prompts/list` and `prompts/get`: the delivery catalog and the render path of
//! `POST /render`, in MCP's shapes. A prompt's MCP name is its address at the listing's spec.

use anvil_core::address::Address;
use anvil_core::params::{ParamType, Parameter};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::{Request, RpcError};
use crate::http::AppState;
use crate::http::delivery::{DeliveryAuth, reader, resolve_prompt};

use crate::domain::delivery::{self, catalog};

/// More arguments than any prompt can declare is a mistake, not a render.
const MAX_ARGUMENTS: usize = anvil_core::params::MAX_PARAMETERS * 2;

fn cursor_of(after: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(after)
}

fn after_of(cursor: &str) -> Result<String, RpcError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| RpcError::params("cursor: not a cursor this server gave"))
}

/// An argument's description tells a client what text to type for a parameter that is not
/// a string, and what is used when it is left out.
fn argument(p: &Parameter) -> Value {
    let mut description = p.description.trim().to_string();
    let mut notes = Vec::new();
    if p.kind != ParamType::String {
        notes.push(match p.kind {
            ParamType::Array | ParamType::Object => format!("{}, as JSON", p.kind.as_str()),
            k => k.as_str().to_string(),
        });
    }
    if let Some(d) = p.default.as_ref().filter(|d| !d.is_null()) {
        notes.push(format!("default: {d}"));
    }
    if !notes.is_empty() {
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&format!("({})", notes.join("; ")));
    }
    json!({"name": p.name, "description": description, "required": p.required})
}

pub async fn list(
    state: &AppState,
    auth: &DeliveryAuth,
    spec: &str,
    request: &Request,
) -> Result<Value, RpcError> {
    let spec = &super::parse_spec(spec)?;
    let after = request.string("cursor")?.map(after_of).transpose()?;
    let reader = reader(state, auth, None).await?;
    let page = catalog::list(
        &state.db,
        &state.prompts,
        &state.delivery,
        &reader,
        spec,
        after.as_deref(),
        catalog::PAGE,
    )
    .await?;
    let prompts: Vec<Value> = page
        .prompts
        .iter()
        .map(|l| {
            let content = &l.prompt.answer.prompt.content;
            let description = match content.description.trim() {
                "" => format!("{} ({})", l.resolved.answer.name, l.address),
                d => d.to_string(),
            };
            json!({
                "name": l.address,
                "title": content.name,
                "description": description,
                "arguments": l.prompt.parameters.iter().map(argument).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut result = json!({"prompts": prompts});
    if let Some(after) = page.next_after {
        result["nextCursor"] = json!(cursor_of(&after));
    }
    if request.era == super::Era::Modern {
        // Lists change when versions are cut and channels move: `subscriptions/listen` says
        // when, so nothing is cached on the client's side.
        result["ttlMs"] = json!(0);
        result["cacheScope"] = json!("private");
    }
    Ok(result)
}

/// MCP arguments are text: each is read by its parameter's type, and one that does not read
/// is refused naming it. Arguments the prompt does not declare pass as text (the render
/// ignores them, as `POST /render` does).
fn variables(
    parameters: &[Parameter],
    arguments: Option<&Value>,
) -> Result<Map<String, Value>, RpcError> {
    let arguments = match arguments {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(a)) => a,
        Some(_) => return Err(RpcError::params("arguments must be an object of strings")),
    };
    if arguments.len() > MAX_ARGUMENTS {
        return Err(RpcError::params(format!(
            "arguments: at most {MAX_ARGUMENTS}"
        )));
    }
    let mut out = Map::new();
    for (name, value) in arguments {
        let Value::String(text) = value else {
            return Err(RpcError::params(format!(
                "argument '{name}' must be a string (MCP arguments are text)"
            )));
        };
        let kind = parameters
            .iter()
            .find(|p| &p.name == name)
            .map_or(ParamType::String, |p| p.kind);
        // Forms in MCP clients send a field left blank as "": for anything but a string
        // that means not given (its default, or "is required").
        if text.is_empty() && kind != ParamType::String {
            continue;
        }
        let v = kind
            .read_text(text)
            .map_err(|e| RpcError::params(format!("argument '{name}': {e}")))?;
        out.insert(name.clone(), v);
    }
    Ok(out)
}

/// A render failure names arguments, not the REST API's `variables.` fields.
fn render_failure(e: crate::domain::Error) -> RpcError {
    match e {
        crate::domain::Error::Validation(fields) => RpcError::params(
            fields
                .iter()
                .map(|f| match f.field.strip_prefix("variables.") {
                    Some(name) => format!("argument '{name}': {}", f.message),
                    None => format!("{}: {}", f.field, f.message),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => other.into(),
    }
}

pub async fn get(
    state: &AppState,
    auth: &DeliveryAuth,
    spec: &str,
    request: &Request,
) -> Result<Value, RpcError> {
    let name = request
        .string("name")?
        .ok_or_else(|| RpcError::params("name: the prompt's name is required"))?;
    let mut address = Address::parse(name)
        .map_err(|e| RpcError::params(format!("unknown prompt '{name}': {e}")))?;
    if address.prompt.is_none() {
        return Err(RpcError::params(format!(
            "unknown prompt '{name}': a name is project/set@spec/prompt"
        )));
    }
    // Published versions only: an address without a spec means the listing's.
    if address.spec.is_none() {
        address.spec = Some(super::parse_spec(spec)?);
    }
    let (resolved, prompt) =
        resolve_prompt(state, auth, &address)
            .await
            .map_err(|e| match RpcError::from(e) {
                e if e.code == super::INVALID_PARAMS => {
                    RpcError::params(format!("unknown prompt '{name}': {}", e.message))
                }
                e => e,
            })?;
    let vars = variables(&prompt.parameters, request.params.get("arguments"))?;
    let rendered =
        delivery::render(&state.prompts, &resolved, &prompt, &vars).map_err(render_failure)?;
    let content = &prompt.answer.prompt.content;
    let description = match content.description.trim() {
        "" => content.name.clone(),
        d => d.to_string(),
    };
    Ok(json!({
        "description": description,
        "messages": [{"role": "user", "content": {"type": "text", "text": rendered.text}}],
    }))
}
