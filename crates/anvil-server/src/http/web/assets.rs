//! Every asset the pages use, embedded in the binary and served under content-hashed names
//! (`/assets/anvil.3f9c1a2b7d.css`) with immutable caching: a new build changes the name, so a
//! browser never runs yesterday's script against today's page. Nothing is fetched from
//! anywhere else.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "anvil.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("assets/anvil.css"),
    },
    Asset {
        name: "anvil.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("assets/anvil.js"),
    },
];

/// `anvil.css` → `anvil.<10 hex of its SHA-256>.css`, computed once.
fn hashed() -> &'static Vec<(String, &'static Asset)> {
    static NAMES: OnceLock<Vec<(String, &'static Asset)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = hex::encode(Sha256::digest(a.bytes));
                let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
                (format!("{stem}.{}.{ext}", &digest[..10]), a)
            })
            .collect()
    })
}

/// The URL of an asset by its plain name, for templates.
pub fn url(name: &str) -> String {
    hashed()
        .iter()
        .find(|(_, a)| a.name == name)
        .map(|(h, _)| format!("/assets/{h}"))
        .unwrap_or_default()
}

/// `GET /assets/{file}`: only the current hashed names exist.
pub async fn serve(Path(file): Path<String>) -> Response {
    match hashed().iter().find(|(h, _)| *h == file) {
        Some((_, a)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(a.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
