//! Every asset the pages use, embedded in the binary and served under content-hashed names
//! (`/assets/anvil.3f9c1a2b7d.css`) with immutable caching: a new build changes the name, so a
//! browser never runs yesterday's script against today's page. Nothing is fetched from
//! anywhere else. Each asset also has its gzip and brotli bodies, made once by
//! `crates/anvil-server/web`'s build (`npm run build`) and committed beside it, so a request
//! costs no compression; a test checks that they still decompress to the asset.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub(crate) struct Asset {
    pub(crate) name: &'static str,
    content_type: &'static str,
    pub(crate) bytes: &'static [u8],
    pub(crate) gzip: &'static [u8],
    pub(crate) br: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("assets/", $name)),
            gzip: include_bytes!(concat!("assets/", $name, ".gz")),
            br: include_bytes!(concat!("assets/", $name, ".br")),
        }
    };
}

pub(crate) const ASSETS: &[Asset] = &[
    asset!("anvil.css", "text/css; charset=utf-8"),
    asset!("anvil.js", "text/javascript; charset=utf-8"),
    // Loaded in <head>, not deferred: applies the stored theme before the first paint.
    asset!("theme.js", "text/javascript; charset=utf-8"),
    // The prompt editor (CodeMirror 6), bundled by esbuild from `web/src/editor.js`.
    asset!("editor.js", "text/javascript; charset=utf-8"),
    // htmx 2, as its package ships it.
    asset!("htmx.min.js", "text/javascript; charset=utf-8"),
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

/// The encoding to send: brotli, else gzip, else none, by what the request accepts (a
/// coding listed with `q=0` is refused).
fn encoding(headers: &HeaderMap) -> Option<&'static str> {
    let accepted = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next()?.to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (!refused).then_some(coding)
        })
        .collect::<Vec<_>>();
    ["br", "gzip"]
        .into_iter()
        .find(|c| accepted.iter().any(|a| a == c))
}

/// `GET /assets/{file}`: only the current hashed names exist.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some((_, a)) = hashed().iter().find(|(h, _)| *h == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (body, coding) = match encoding(&headers) {
        Some("br") => (a.br, Some("br")),
        Some(_) => (a.gzip, Some("gzip")),
        None => (a.bytes, None),
    };
    let mut res = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
        ],
        body,
    )
        .into_response();
    if let Some(c) = coding {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    res
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::ASSETS;

    /// The committed gzip and brotli bodies must be the asset they stand for; after editing
    /// an asset, `npm run build` in `crates/anvil-server/web` makes them again.
    #[test]
    fn precompressed_bodies_match_their_assets() {
        for a in ASSETS {
            let mut gunzipped = Vec::new();
            flate2::read::GzDecoder::new(a.gzip)
                .read_to_end(&mut gunzipped)
                .unwrap_or_else(|e| panic!("{}.gz does not decompress: {e}", a.name));
            assert!(
                gunzipped == a.bytes,
                "{}.gz is stale: run `npm ci && npm run build` in crates/anvil-server/web",
                a.name
            );
            let mut unbrotlied = Vec::new();
            brotli_decompressor::Decompressor::new(a.br, 4096)
                .read_to_end(&mut unbrotlied)
                .unwrap_or_else(|e| panic!("{}.br does not decompress: {e}", a.name));
            assert!(
                unbrotlied == a.bytes,
                "{}.br is stale: run `npm ci && npm run build` in crates/anvil-server/web",
                a.name
            );
        }
    }
}
