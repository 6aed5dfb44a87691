//! Talking to the forge: `GET /api/v1/resolve/{project/set@spec}` with retries, checksum
//! verification, and the pinned dependencies a set's prompts may render; and the same shape
//! built from a fallback bundle.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anvil_core::address::Address;
use anvil_core::bundle::{BundleSet, BundleVersion};
use anvil_core::partials::SetPartials;
use anvil_core::render::PromptEngine;
use anvil_core::snapshot::{PinnedDependency, Snapshot, SnapshotPrompt};
use anvil_core::version::{Candidate, Label, VersionSpec};
use rand::Rng;
use serde::Deserialize;

use crate::cache::Cache;
use crate::{Error, Loaded, PromptSet};

/// Sets one render may reach through dependencies, its own included (as on the forge).
const MAX_SETS: usize = 50;

pub(crate) struct Fetcher {
    pub http: reqwest::Client,
    pub base_url: String,
    pub bearer: Option<String>,
    pub retries: u32,
}

/// `GET /resolve` of a set address, as the forge answers it.
#[derive(Debug, Deserialize)]
struct SetAnswer {
    slug: String,
    project: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    dependencies: Vec<PinnedDependency>,
    prompts: BTreeMap<String, SnapshotPrompt>,
    version: Option<BundleVersion>,
    resolved_version: Option<String>,
    checksum: String,
    #[serde(default)]
    yanked: bool,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    message: String,
}

/// Exponential backoff with jitter before retry number `attempt + 1`: 100 ms, 200 ms, ...
/// (up to 6.4 s), each ±25%, so clients that failed together do not retry together.
pub(crate) async fn pause_before_retry(attempt: u32) {
    let base = 100u64 << attempt.min(6);
    let jitter = rand::rng().random_range(0.75..1.25);
    tokio::time::sleep(Duration::from_millis((base as f64 * jitter) as u64)).await;
}

/// The message of the forge's error body (`{"error": {"message": ...}}`), or the status.
pub(crate) async fn error_message(res: reqwest::Response) -> String {
    let status = res.status().as_u16();
    res.json::<ErrorBody>()
        .await
        .map(|b| b.error.message)
        .unwrap_or_else(|_| format!("HTTP {status}"))
}

/// Characters an address may not carry raw in a path.
fn encode(address: &str) -> String {
    address
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace(',', "%2C")
}

impl Fetcher {
    /// The resolved set at `key` (`project/set@spec`), retried on connection errors, timeouts
    /// and 5xx with exponential backoff and jitter, never on a 4xx. With `etag`, a `304`
    /// answers `None`: what the caller holds is current.
    async fn resolve(
        &self,
        key: &str,
        etag: Option<&str>,
    ) -> Result<Option<(SetAnswer, Option<String>)>, Error> {
        let url = format!("{}/api/v1/resolve/{}", self.base_url, encode(key));
        let mut attempt = 0;
        loop {
            let mut req = self.http.get(&url);
            if let Some(b) = &self.bearer {
                req = req.bearer_auth(b);
            }
            if let Some(tag) = etag {
                req = req.header("if-none-match", tag);
            }
            let retryable = match req.send().await {
                Ok(res) if res.status() == reqwest::StatusCode::NOT_MODIFIED => return Ok(None),
                Ok(res) if res.status().is_success() => {
                    let tag = res
                        .headers()
                        .get("etag")
                        .and_then(|v| v.to_str().ok())
                        .map(String::from);
                    let answer = res.json::<SetAnswer>().await.map_err(|e| Error::Refused {
                        address: key.to_string(),
                        status: 200,
                        message: format!("the answer is not a prompt set: {e}"),
                    })?;
                    return Ok(Some((answer, tag)));
                }
                Ok(res) if res.status().is_client_error() => {
                    let status = res.status().as_u16();
                    let message = error_message(res).await;
                    return Err(if status == 404 {
                        Error::NotFound {
                            address: key.to_string(),
                            message,
                        }
                    } else {
                        Error::Refused {
                            address: key.to_string(),
                            status,
                            message,
                        }
                    });
                }
                Ok(res) => format!("HTTP {}", res.status().as_u16()),
                Err(e) => e.to_string(),
            };
            if attempt >= self.retries {
                return Err(Error::Unreachable {
                    url: self.base_url.clone(),
                    message: retryable,
                });
            }
            pause_before_retry(attempt).await;
            attempt += 1;
        }
    }
}

impl SetAnswer {
    /// The answer as a bundle entry (what the persisted cache keeps).
    fn entry(&self) -> Option<BundleSet> {
        Some(BundleSet {
            project: self.project.clone(),
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            version: self.version.clone()?,
            dependencies: self.dependencies.clone(),
            prompts: self.prompts.clone(),
            channels: None,
        })
    }
}

/// An answer must be the set asked for (`project/set@...`), not some other one.
fn check_names(key: &str, a: &SetAnswer) -> Result<(), Error> {
    let asked = key.split_once('@').map(|(set, _)| set).unwrap_or(key);
    if asked == format!("{}/{}", a.project, a.slug) {
        Ok(())
    } else {
        Err(Error::Refused {
            address: key.to_string(),
            status: 200,
            message: format!("the forge answered {}/{} instead", a.project, a.slug),
        })
    }
}

/// The checksum a set's content must have.
fn verify(address: &str, s: &Snapshot, expected: &str) -> Result<(), Error> {
    if s.checksum() == expected {
        Ok(())
    } else {
        Err(Error::Checksum {
            address: address.to_string(),
            expected: expected.to_string(),
        })
    }
}

fn parse_templates(
    engine: &PromptEngine,
    address: &str,
    set: &str,
    prompts: &BTreeMap<String, SnapshotPrompt>,
    partials: &mut SetPartials,
) -> Result<BTreeMap<String, Arc<anvil_liquid::Template>>, Error> {
    let mut out = BTreeMap::new();
    for (slug, p) in prompts {
        let t = Arc::new(engine.parse(&p.template).map_err(|e| Error::Render {
            address: address.to_string(),
            message: format!("{set}/{slug}: {e}"),
        })?);
        partials.insert(set, slug, t.clone());
        out.insert(slug.clone(), t);
    }
    Ok(out)
}

/// Fetches `key`, verifies it, fetches its pinned dependencies (exact versions, each once),
/// parses every template, and caches the result.
pub(crate) async fn load_set(
    fetcher: &Fetcher,
    engine: &PromptEngine,
    cache: &Cache,
    store: Option<&Arc<crate::persist::Store>>,
    problems: &std::sync::Mutex<Vec<String>>,
    key: &str,
) -> Result<Arc<Loaded>, Error> {
    let exact = key
        .rsplit_once('@')
        .is_some_and(|(_, spec)| matches!(VersionSpec::parse(spec), Ok(VersionSpec::Exact(_))));
    // An entry past its TTL is asked about with its entity tag: a 304 keeps it.
    let previous = cache.any(key);
    let Some((answer, etag)) = fetcher
        .resolve(key, previous.as_ref().and_then(|p| p.etag.as_deref()))
        .await?
    else {
        return match previous {
            Some(p) => {
                // The forge confirmed it: no longer a fallback, if it was one.
                let p = if p.set.is_fallback {
                    Arc::new(p.with_fallback(false))
                } else {
                    p
                };
                cache.put(key.to_string(), exact, p.clone());
                Ok(p)
            }
            None => Err(Error::Refused {
                address: key.to_string(),
                status: 304,
                message: "not modified, but nothing is cached".into(),
            }),
        };
    };
    check_names(key, &answer)?;
    let mut entries: Vec<BundleSet> = answer.entry().into_iter().collect();
    let Some(label) = answer.resolved_version.clone() else {
        return Err(Error::Refused {
            address: key.to_string(),
            status: 200,
            message: "the forge answered the working copy; the SDK reads published versions".into(),
        });
    };
    let snapshot = Snapshot {
        name: answer.name.clone(),
        description: answer.description.clone(),
        dependencies: answer.dependencies.clone(),
        prompts: answer.prompts.clone(),
    };
    verify(key, &snapshot, &answer.checksum)?;
    let top = format!("{}/{}", answer.project, answer.slug);
    let mut partials = SetPartials::new(&top);
    let templates = parse_templates(engine, key, &top, &answer.prompts, &mut partials)?;
    // Dependencies, breadth first, each set once.
    let mut seen: HashSet<String> = HashSet::from([top.clone()]);
    let mut queue: Vec<PinnedDependency> = answer.dependencies.clone();
    while let Some(dep) = queue.pop() {
        let a = Address::parse(&dep.address).map_err(|e| Error::Refused {
            address: key.to_string(),
            status: 200,
            message: format!("a dependency is not an address: {e}"),
        })?;
        let name = format!("{}/{}", a.project, a.prompt_set);
        if !seen.insert(name.clone()) {
            continue;
        }
        if seen.len() > MAX_SETS {
            return Err(Error::Refused {
                address: key.to_string(),
                status: 200,
                message: format!("the set reaches more than {MAX_SETS} sets"),
            });
        }
        let dep_key = format!("{name}@{}", dep.resolved);
        let Some((d, _)) = fetcher.resolve(&dep_key, None).await? else {
            continue;
        };
        check_names(&dep_key, &d)?;
        let snap = Snapshot {
            name: d.name.clone(),
            description: d.description.clone(),
            dependencies: d.dependencies.clone(),
            prompts: d.prompts.clone(),
        };
        verify(&dep_key, &snap, &d.checksum)?;
        parse_templates(engine, key, &name, &d.prompts, &mut partials)?;
        entries.extend(d.entry());
        queue.extend(d.dependencies);
    }
    let loaded = Arc::new(Loaded {
        set: PromptSet {
            address: top.clone(),
            name: answer.name,
            description: answer.description,
            resolved_version: label.clone(),
            checksum: answer.checksum,
            yanked: answer.yanked,
            dependencies: answer.dependencies,
            prompts: answer.prompts,
            is_fallback: false,
        },
        partials,
        templates,
        etag,
    });
    cache.put(key.to_string(), exact, loaded.clone());
    cache.put(format!("{top}@{label}"), true, loaded.clone());
    if let Some(store) = store {
        // File writes block: off the async threads.
        let (store, owned_key, owned_label) = (store.clone(), key.to_string(), label.clone());
        let saved =
            tokio::task::spawn_blocking(move || store.save(&owned_key, &owned_label, &entries))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = saved
            && let Ok(mut p) = problems.lock()
        {
            p.push(format!("persisting {key}: {e}"));
        }
    }
    Ok(loaded)
}

/// Whether `spec` picks the version of `entry` (its channels count).
fn accepts(entry: &BundleSet, spec: &str) -> bool {
    let (Ok(spec), Ok(label)) = (VersionSpec::parse(spec), Label::parse(&entry.version.label))
    else {
        return false;
    };
    let channels: Vec<(String, Label)> = entry
        .channels
        .iter()
        .flatten()
        .filter_map(|(n, c)| Label::parse(&c.version).ok().map(|l| (n.clone(), l)))
        .collect();
    let candidates = [Candidate {
        label,
        yanked: false,
    }];
    anvil_core::version::resolve(&spec, &candidates, &channels).is_ok()
}

/// The set an address names, from the fallback bundle, if the bundle has it at a version the
/// spec accepts (its channels count); every dependency must be in the bundle too.
pub(crate) fn from_bundle(
    sets: &[BundleSet],
    engine: &PromptEngine,
    address: &Address,
    spec: &str,
    is_fallback: bool,
) -> Result<Option<Loaded>, Error> {
    // The entry the spec accepts: a persisted cache may hold several versions of a set.
    let Some(entry) = sets
        .iter()
        .filter(|s| s.project == address.project && s.slug == address.prompt_set)
        .find(|s| accepts(s, spec))
    else {
        return Ok(None);
    };
    let shown = format!("{}/{}@{spec}", address.project, address.prompt_set);
    let top = entry.address();
    let mut partials = SetPartials::new(&top);
    let templates = parse_templates(engine, &shown, &top, &entry.prompts, &mut partials)?;
    let mut seen: HashSet<String> = HashSet::from([top.clone()]);
    let mut queue: Vec<PinnedDependency> = entry.dependencies.clone();
    while let Some(dep) = queue.pop() {
        let Ok(a) = Address::parse(&dep.address) else {
            return Ok(None);
        };
        if !seen.insert(format!("{}/{}", a.project, a.prompt_set)) {
            continue;
        }
        let Some(d) = sets.iter().find(|s| {
            s.project == a.project && s.slug == a.prompt_set && s.version.label == dep.resolved
        }) else {
            return Ok(None);
        };
        parse_templates(engine, &shown, &d.address(), &d.prompts, &mut partials)?;
        queue.extend(d.dependencies.iter().cloned());
    }
    Ok(Some(Loaded {
        set: PromptSet {
            address: top,
            name: entry.name.clone(),
            description: entry.description.clone(),
            resolved_version: entry.version.label.clone(),
            checksum: entry.version.checksum.clone(),
            yanked: false,
            dependencies: entry.dependencies.clone(),
            prompts: entry.prompts.clone(),
            is_fallback,
        },
        partials,
        templates,
        etag: None,
    }))
}
