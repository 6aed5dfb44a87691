//! `?limit=&cursor=` and the `meta` of list responses. Cursors are opaque and signed with the
//! instance key, so a tampered cursor is a 400 rather than a query over arbitrary ids.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::AppState;
use super::error::ApiError;
use crate::domain::page::{DEFAULT_LIMIT, MAX_LIMIT, Page};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (1 to 200, default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// `meta.cursor` of the previous page.
    pub cursor: Option<String>,
}

fn mac(state: &AppState, id: &str) -> Option<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(&state.secret_key).ok()?;
    m.update(b"cursor:");
    m.update(id.as_bytes());
    Some(m)
}

pub(crate) fn sign(state: &AppState, id: &str) -> String {
    let tag = mac(state, id)
        .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{}.{tag}", URL_SAFE_NO_PAD.encode(id))
}

fn verify(state: &AppState, cursor: &str) -> Option<String> {
    let (id_part, tag_part) = cursor.split_once('.')?;
    let id = String::from_utf8(URL_SAFE_NO_PAD.decode(id_part).ok()?).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag_part).ok()?;
    // verify_slice compares in constant time.
    mac(state, &id)?.verify_slice(&tag).ok()?;
    Some(id)
}

impl PageQuery {
    pub fn page(&self, state: &AppState) -> Result<Page, ApiError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::InvalidRequest(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}"
                    )));
                }
            },
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(verify(state, c).ok_or_else(|| {
                ApiError::InvalidRequest("cursor is invalid; use the one from meta.cursor".into())
            })?),
        };
        Ok(Page { after, limit })
    }
}
