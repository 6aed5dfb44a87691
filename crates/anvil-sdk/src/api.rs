//! The forge's REST API beyond delivery (sets, versions, channels, bundles), as JSON, for
//! tools such as the `anvil` CLI: the client's credential, timeout and error handling, with
//! retries for reads only (a write is never sent twice).

use serde::Deserialize;
use serde_json::Value;

pub use reqwest::Method;

use crate::{Client, Error};

/// A handle on the API; see [`Client::api`].
pub struct Api<'a> {
    client: &'a Client,
}

/// A body to send.
pub enum Body {
    Json(Value),
    /// Bytes with their content type (a bundle file).
    Bytes(Vec<u8>, &'static str),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
    #[serde(default)]
    details: Vec<FieldDetail>,
}

#[derive(Deserialize)]
struct FieldDetail {
    field: String,
    message: String,
}

impl Client {
    /// The REST API of the forge, as the client's credential.
    pub fn api(&self) -> Api<'_> {
        Api { client: self }
    }
}

impl Api<'_> {
    /// `GET /api/v1{path}` as JSON.
    pub async fn get(&self, path: &str) -> Result<Value, Error> {
        let bytes = self.call(Method::GET, path, None).await?;
        parse(path, &bytes)
    }

    /// Every item of a paginated list (`{"<key>": [...], "meta": {"cursor"}}`).
    pub async fn get_all(&self, path: &str, key: &str) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        // A forge that never ends its list is not followed for ever.
        for _ in 0..10_000 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let page_path = match &cursor {
                Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
                None => format!("{path}{sep}limit=200"),
            };
            let mut page = self.get(&page_path).await?;
            if let Some(Value::Array(list)) = page.get_mut(key).map(Value::take) {
                items.extend(list);
            }
            cursor = page["meta"]["cursor"].as_str().map(String::from);
            if cursor.is_none() {
                break;
            }
        }
        Ok(items)
    }

    /// `GET /api/v1{path}`, the body as it came (a bundle).
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.call(Method::GET, path, None).await
    }

    /// A write (or any method) with an optional body; the answer as JSON (`null` when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Body>,
    ) -> Result<Value, Error> {
        let bytes = self.call(method, path, body).await?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        parse(path, &bytes)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Body>) -> Result<Vec<u8>, Error> {
        let f = &self.client.inner.fetcher;
        let url = format!("{}/api/v1{path}", f.base_url);
        let retries = if method == Method::GET { f.retries } else { 0 };
        let mut attempt = 0;
        loop {
            let mut req = f.http.request(method.clone(), &url);
            if let Some(b) = &f.bearer {
                req = req.bearer_auth(b);
            }
            req = match &body {
                Some(Body::Json(v)) => req.json(v),
                Some(Body::Bytes(b, kind)) => req.header("content-type", *kind).body(b.clone()),
                None => req,
            };
            let retryable =
                match req.send().await {
                    Ok(res) if res.status().is_success() => {
                        return res.bytes().await.map(|b| b.to_vec()).map_err(|e| {
                            Error::Unreachable {
                                url: f.base_url.clone(),
                                message: e.to_string(),
                            }
                        });
                    }
                    Ok(res) if res.status().is_client_error() => {
                        return Err(client_error(path, res).await);
                    }
                    Ok(res) => format!("HTTP {}", res.status().as_u16()),
                    Err(e) => e.to_string(),
                };
            if attempt >= retries {
                return Err(Error::Unreachable {
                    url: f.base_url.clone(),
                    message: retryable,
                });
            }
            crate::fetch::pause_before_retry(attempt).await;
            attempt += 1;
        }
    }
}

fn parse(path: &str, bytes: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Refused {
        address: path.to_string(),
        status: 200,
        message: format!("the answer is not JSON: {e}"),
    })
}

/// A 4xx as an error that says what was wrong: a 404 is not found, a 400/422 names each
/// field, anything else is a refusal with its status.
async fn client_error(path: &str, res: reqwest::Response) -> Error {
    let status = res.status().as_u16();
    let (message, problems) = match res.json::<ErrorBody>().await {
        Ok(b) => (
            b.error.message,
            b.error
                .details
                .into_iter()
                .map(|d| (d.field, d.message))
                .collect(),
        ),
        Err(_) => (format!("HTTP {status}"), Vec::new()),
    };
    let address = path.to_string();
    match status {
        404 => Error::NotFound { address, message },
        400 | 422 => Error::Invalid {
            address,
            message,
            problems,
        },
        _ => Error::Refused {
            address,
            status,
            message,
        },
    }
}
