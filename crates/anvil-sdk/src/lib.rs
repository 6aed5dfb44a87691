//! Anvil's Rust SDK: fetch and render prompts by address from an application.
//!
//! A prompt set is fetched once per version from the forge (`GET /api/v1/resolve/...`), its
//! checksum verified, and kept in memory; rendering happens here, with the forge's own engine
//! (`anvil-core`), so a cached prompt renders with no network call and the text is the one
//! the forge would render. Exact versions never expire; specs and channels (`^1.2`,
//! `production`) are looked up again after the cache TTL, with the answer's entity tag, so an
//! unchanged set costs a `304` and nothing is fetched again. When the forge cannot be reached,
//! the last answer for the address (or the fallback bundle) is served, marked `is_fallback`.
//!
//! ```no_run
//! # async fn run() -> Result<(), anvil_sdk::Error> {
//! use std::time::Duration;
//!
//! let anvil = anvil_sdk::Client::builder()
//!     .base_url("http://localhost:4000")
//!     .api_key("ank_live_...")
//!     .default_spec("production")
//!     .cache_ttl(Duration::from_secs(60))
//!     .fallback_bundle("prompts.bundle.json")
//!     .build()?;
//! let welcome = anvil
//!     .render("support/emails/welcome", serde_json::json!({"customer_name": "Ada"}))
//!     .await?;
//! println!("{} (version {})", welcome.text, welcome.resolved_version);
//! # Ok(())
//! # }
//! ```
//!
//! With a persistence directory, every answer is also written to disk and read back when the
//! client is built, so a restarted application renders before the forge answers.
//!
//! An expired spec is served at once and refreshed in the background (stale-while-revalidate).
//! [`Client::subscribe`] follows the forge's event stream, so a channel move or a new version
//! reaches the cache at once; [`Client::changes`] tells the application when an answer
//! changed, and [`Client::state`] whether the forge is answering. In [`Mode::Frozen`] the
//! client serves what it holds and changes only on [`Client::sync`].

pub mod api;
mod cache;
mod error;
mod fetch;
mod live;
mod persist;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anvil_core::address::Address;
use anvil_core::bundle::{Bundle, BundleSet};
use anvil_core::partials::SetPartials;
use anvil_core::render::PromptEngine;
use anvil_core::snapshot::{PinnedDependency, SnapshotPrompt};
use anvil_core::version::VersionSpec;
use serde_json::Value;

pub use error::Error;
pub use live::{Event, Subscription};

/// Whether the client follows the forge on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Refresh expired specs in the background and apply live events (the default).
    #[default]
    Accepting,
    /// Serve what is cached, persisted or bundled; ask the forge only for an address found
    /// nowhere, and change answers only on [`Client::sync`].
    Frozen,
}

/// How the client stands with the forge, as OpenFeature providers report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The forge has not been asked anything yet.
    NotReady,
    /// The forge answered the last request.
    Ready,
    /// The forge could not be reached: answers come from the cache, the persisted cache or
    /// the fallback bundle, marked `is_fallback`.
    Stale,
    /// The forge refused the credential (401/403): a configuration error.
    Error,
}

/// An answer that changed: what `project/set@spec` resolved to before and now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub address: String,
    pub from: String,
    pub to: String,
    /// The new answer's checksum.
    pub checksum: String,
}

/// A prompt set at the version an address resolved to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PromptSet {
    /// `project/set`.
    pub address: String,
    pub name: String,
    pub description: String,
    pub resolved_version: String,
    /// The version's checksum (`sha256:...`), verified against the content.
    pub checksum: String,
    pub yanked: bool,
    pub dependencies: Vec<PinnedDependency>,
    pub prompts: BTreeMap<String, SnapshotPrompt>,
    /// Served from a stale cache entry or the fallback bundle because the forge could not be
    /// reached.
    pub is_fallback: bool,
}

/// One prompt of a resolved set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prompt {
    pub slug: String,
    pub content: SnapshotPrompt,
    pub resolved_version: String,
    pub checksum: String,
    pub is_fallback: bool,
}

/// What an address resolves to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Resolution {
    /// `project/set@spec`, the default spec filled in.
    pub address: String,
    pub resolved_version: String,
    pub checksum: String,
    pub yanked: bool,
    pub is_fallback: bool,
}

/// A rendered prompt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rendered {
    pub text: String,
    pub resolved_version: String,
    pub checksum: String,
    /// Variables given that the prompt does not declare.
    pub ignored_variables: Vec<String>,
    pub is_fallback: bool,
}

/// The credential the client sends.
#[derive(Debug, Clone)]
enum Credential {
    ApiKey(String),
    AccessToken(String),
}

/// Builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    credential: Option<Credential>,
    default_spec: Option<String>,
    cache_ttl: Option<Duration>,
    timeout: Option<Duration>,
    retries: Option<u32>,
    fallback_bundle: Option<PathBuf>,
    persistence_dir: Option<PathBuf>,
    user_agent: Option<String>,
    mode: Mode,
}

impl ClientBuilder {
    /// The forge's URL (`https://forge.example.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// An API key (`ank_live_...`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.credential = Some(Credential::ApiKey(key.into()));
        self
    }

    /// A project access token (`anp_live_...`): published versions of one project.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.credential = Some(Credential::AccessToken(token.into()));
        self
    }

    /// The spec for addresses without one (default `stable`).
    pub fn default_spec(mut self, spec: impl Into<String>) -> Self {
        self.default_spec = Some(spec.into());
        self
    }

    /// How long an answer for a spec or channel is used before asking again (default 60 s).
    /// Exact versions never expire.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// How long one request may take (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retries after a connection error, a timeout or a 5xx (default 2; never after a 4xx).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// An `anvil.bundle/v1` file to serve from when the forge cannot be reached and nothing
    /// is cached for an address (read and verified when the client is built).
    pub fn fallback_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.fallback_bundle = Some(path.into());
        self
    }

    /// A directory to keep the cache in: every answer is written there (atomically), and what
    /// an earlier run left is read when the client is built, so a restarted application
    /// renders before the forge answers, or when it never does. Files that do not read or
    /// verify are reported ([`Client::problems`]) and ignored.
    pub fn persistence_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.persistence_dir = Some(dir.into());
        self
    }

    /// `Accepting` (the default) or `Frozen`.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let base_url = self
            .base_url
            .ok_or_else(|| Error::Config("base_url is required".into()))?
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "base_url '{base_url}' is not an http(s) URL"
            )));
        }
        let default_spec = self.default_spec.unwrap_or_else(|| "stable".to_string());
        VersionSpec::parse(&default_spec)
            .map_err(|e| Error::Config(format!("default_spec: {e}")))?;
        let fallback = match &self.fallback_bundle {
            None => Vec::new(),
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    Error::Config(format!("fallback bundle {}: {e}", path.display()))
                })?;
                Bundle::parse(&bytes)
                    .map_err(|e| Error::Config(format!("fallback bundle {}: {e}", path.display())))?
                    .prompt_sets
            }
        };
        let timeout = self.timeout.unwrap_or(Duration::from_secs(5));
        let agent = self
            .user_agent
            .unwrap_or_else(|| concat!("anvil-sdk-rust/", env!("CARGO_PKG_VERSION")).into());
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        // The event stream stays open: only connecting is bounded (reading is watched by
        // the idle timeout in `live`).
        let stream_http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .user_agent(agent)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        let ttl = self.cache_ttl.unwrap_or(Duration::from_secs(60));
        let cache = cache::Cache::new(ttl);
        let engine = PromptEngine::default();
        let store = self
            .persistence_dir
            .map(|d| Arc::new(persist::Store::new(d)));
        let mut problems = Vec::new();
        if let Some(store) = &store {
            let disk = store.load();
            problems.extend(disk.problems);
            for (key, label) in &disk.index {
                let Ok(a) = Address::parse(key) else {
                    problems.push(format!("index entry '{key}' is not an address"));
                    continue;
                };
                match fetch::from_bundle(&disk.sets, &engine, &a, label, false) {
                    Ok(Some(loaded)) => {
                        let loaded = Arc::new(loaded);
                        // The version itself never expires, as in memory.
                        cache.put(
                            format!("{}@{label}", loaded.set.address),
                            true,
                            loaded.clone(),
                        );
                        let exact = a
                            .spec
                            .as_ref()
                            .is_some_and(|s| matches!(s, VersionSpec::Exact(_)));
                        if exact {
                            cache.put(key.clone(), true, loaded);
                        } else {
                            // Served at once, as not confirmed by the forge, and refreshed.
                            cache.put_stale(key.clone(), Arc::new(loaded.with_fallback(true)));
                        }
                    }
                    Ok(None) => problems.push(format!("{key}: {label} is not on disk whole")),
                    Err(e) => problems.push(format!("{key}: {e}")),
                }
            }
        }
        Ok(Client {
            inner: Arc::new(Inner {
                addresses: std::sync::RwLock::new(HashMap::new()),
                store,
                problems: std::sync::Mutex::new(problems),
                fetcher: fetch::Fetcher {
                    http,
                    base_url,
                    bearer: match self.credential {
                        Some(Credential::ApiKey(k)) | Some(Credential::AccessToken(k)) => Some(k),
                        None => None,
                    },
                    retries: self.retries.unwrap_or(2),
                },
                stream_http,
                default_spec,
                cache,
                fallback,
                engine,
                mode: self.mode,
                state: tokio::sync::watch::channel(State::NotReady).0,
                changes: tokio::sync::broadcast::channel(64).0,
                refreshing: std::sync::Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// Parsed addresses kept, beyond which new ones are parsed on every call.
const MAX_ADDRESSES: usize = 4096;

/// An address as parsed once, with its cache key.
struct Parsed {
    address: Address,
    key: String,
}

struct Inner {
    addresses: std::sync::RwLock<HashMap<String, Arc<Parsed>>>,
    store: Option<Arc<persist::Store>>,
    /// Persisted files that could not be used or written.
    problems: std::sync::Mutex<Vec<String>>,
    fetcher: fetch::Fetcher,
    /// For the event stream, which has no overall timeout.
    stream_http: reqwest::Client,
    default_spec: String,
    cache: cache::Cache,
    fallback: Vec<BundleSet>,
    engine: PromptEngine,
    mode: Mode,
    state: tokio::sync::watch::Sender<State>,
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Keys being refreshed in the background → whether to refresh again when done (an
    /// event arrived meanwhile).
    refreshing: std::sync::Mutex<HashMap<String, bool>>,
}

/// A handle on one forge; cheap to clone, share it across tasks.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.fetcher.base_url)
            .finish_non_exhaustive()
    }
}

/// A set as the cache keeps it: its content and its templates parsed, with its dependencies'.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub set: PromptSet,
    pub partials: SetPartials,
    pub templates: BTreeMap<String, Arc<anvil_liquid::Template>>,
    /// The forge's entity tag for the answer, for a conditional refresh.
    pub etag: Option<String>,
}

impl Loaded {
    pub(crate) fn with_fallback(&self, is_fallback: bool) -> Loaded {
        Loaded {
            set: PromptSet {
                is_fallback,
                ..self.set.clone()
            },
            partials: self.partials.clone(),
            templates: self.templates.clone(),
            etag: self.etag.clone(),
        }
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Persisted cache files that could not be read, verified or written, with why.
    pub fn problems(&self) -> Vec<String> {
        self.inner
            .problems
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// The address parsed, with its cache key `project/set@spec` (the default spec when it
    /// has none). Applications render the same few addresses over and over, so parsed ones
    /// are kept (up to [`MAX_ADDRESSES`]): a cached render does not parse at all.
    fn set_address(&self, address: &str) -> Result<Arc<Parsed>, Error> {
        let held = match self.inner.addresses.read() {
            Ok(m) => m.get(address).cloned(),
            Err(_) => None,
        };
        if let Some(p) = held {
            return Ok(p);
        }
        let a = Address::parse(address).map_err(|e| Error::InvalidAddress {
            address: address.to_string(),
            message: e.to_string(),
        })?;
        let spec = a
            .spec
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| self.inner.default_spec.clone());
        let key = format!("{}/{}@{spec}", a.project, a.prompt_set);
        let parsed = Arc::new(Parsed { address: a, key });
        if let Ok(mut m) = self.inner.addresses.write()
            && m.len() < MAX_ADDRESSES
        {
            m.insert(address.to_string(), parsed.clone());
        }
        Ok(parsed)
    }

    /// The set an address names (its prompt part ignored), at the version its spec picks.
    pub async fn get_set(&self, address: &str) -> Result<PromptSet, Error> {
        let parsed = self.set_address(address)?;
        Ok(self.load(&parsed).await?.set.clone())
    }

    /// The prompt an address names (`project/set@spec/prompt`).
    pub async fn get_prompt(&self, address: &str) -> Result<Prompt, Error> {
        let parsed = self.set_address(address)?;
        let a = &parsed.address;
        let slug = a.prompt.clone().ok_or_else(|| Error::InvalidAddress {
            address: address.to_string(),
            message: "must name a prompt (project/set@spec/prompt)".into(),
        })?;
        let loaded = self.load(&parsed).await?;
        let content = loaded
            .set
            .prompts
            .get(&slug)
            .cloned()
            .ok_or_else(|| missing_prompt(address, &loaded.set, &slug))?;
        Ok(Prompt {
            slug,
            content,
            resolved_version: loaded.set.resolved_version.clone(),
            checksum: loaded.set.checksum.clone(),
            is_fallback: loaded.set.is_fallback,
        })
    }

    /// The version an address resolves to, with its checksum.
    pub async fn resolve(&self, address: &str) -> Result<Resolution, Error> {
        let parsed = self.set_address(address)?;
        let set = &self.load(&parsed).await?.set;
        Ok(Resolution {
            address: parsed.key.clone(),
            resolved_version: set.resolved_version.clone(),
            checksum: set.checksum.clone(),
            yanked: set.yanked,
            is_fallback: set.is_fallback,
        })
    }

    /// Renders the prompt an address names with `variables` (a JSON object), checking them
    /// against its parameters as the forge does.
    pub async fn render(&self, address: &str, variables: Value) -> Result<Rendered, Error> {
        let parsed = self.set_address(address)?;
        let a = &parsed.address;
        let slug = a.prompt.clone().ok_or_else(|| Error::InvalidAddress {
            address: address.to_string(),
            message: "must name a prompt (project/set@spec/prompt)".into(),
        })?;
        let Value::Object(vars) = variables else {
            return Err(Error::InvalidVariables {
                address: address.to_string(),
                problems: vec![("variables".into(), "must be a JSON object".into())],
            });
        };
        let loaded = self.load(&parsed).await?;
        let (Some(template), Some(prompt)) =
            (loaded.templates.get(&slug), loaded.set.prompts.get(&slug))
        else {
            return Err(missing_prompt(address, &loaded.set, &slug));
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let r = self
            .inner
            .engine
            .render(template, &prompt.parameters, &vars, &loaded.partials, now)
            .map_err(|e| match e {
                anvil_core::render::RenderError::Variables(issues) => Error::InvalidVariables {
                    address: address.to_string(),
                    problems: issues.into_iter().map(|i| (i.field, i.message)).collect(),
                },
                anvil_core::render::RenderError::Template(t) => Error::Render {
                    address: address.to_string(),
                    message: t.to_string(),
                },
            })?;
        Ok(Rendered {
            text: r.text,
            resolved_version: loaded.set.resolved_version.clone(),
            checksum: loaded.set.checksum.clone(),
            ignored_variables: r.ignored_variables,
            is_fallback: loaded.set.is_fallback,
        })
    }

    /// How the client stands with the forge now.
    pub fn state(&self) -> State {
        *self.inner.state.borrow()
    }

    /// The state as it changes (`wait_for`, `changed`).
    pub fn watch_state(&self) -> tokio::sync::watch::Receiver<State> {
        self.inner.state.subscribe()
    }

    /// Every answer that changes from here on: a refresh, a live event or a sync that
    /// resolved a spec to another version.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    /// Asks the forge about every spec and channel held, now (in either mode; in `frozen`
    /// mode this is the only way answers change). Returns what changed.
    pub async fn sync(&self) -> Result<Vec<Change>, Error> {
        let mut changed = Vec::new();
        for key in self.inner.cache.spec_keys() {
            if let (_, Some(c)) = self.fetch(&key).await? {
                changed.push(c);
            }
        }
        Ok(changed)
    }

    pub(crate) fn set_state(&self, new: State) {
        self.inner.state.send_if_modified(|s| {
            let differs = *s != new;
            *s = new;
            differs
        });
    }

    /// Fetches `key` from the forge into the cache, keeping the state and telling
    /// subscribers of [`Client::changes`] when the answer moved.
    async fn fetch(&self, key: &str) -> Result<(Arc<Loaded>, Option<Change>), Error> {
        let before = self.inner.cache.any(key);
        let result = fetch::load_set(
            &self.inner.fetcher,
            &self.inner.engine,
            &self.inner.cache,
            self.inner.store.as_ref(),
            &self.inner.problems,
            key,
        )
        .await;
        match result {
            Ok(loaded) => {
                self.set_state(State::Ready);
                let change = before
                    .filter(|b| {
                        b.set.resolved_version != loaded.set.resolved_version
                            || b.set.checksum != loaded.set.checksum
                    })
                    .map(|b| Change {
                        address: key.to_string(),
                        from: b.set.resolved_version.clone(),
                        to: loaded.set.resolved_version.clone(),
                        checksum: loaded.set.checksum.clone(),
                    });
                if let Some(c) = &change {
                    let _ = self.inner.changes.send(c.clone());
                }
                Ok((loaded, change))
            }
            Err(e) => {
                match &e {
                    Error::Unreachable { .. } => {
                        self.set_state(State::Stale);
                        self.inner.cache.mark_fallback(key);
                    }
                    Error::Refused {
                        status: 401 | 403, ..
                    } => self.set_state(State::Error),
                    _ => {}
                }
                Err(e)
            }
        }
    }

    /// Refreshes `key` on a task of its own, once at a time per key (a request made while
    /// one runs makes it run again after, so a change is never missed).
    pub(crate) fn refresh_in_background(&self, key: String) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let Ok(mut running) = self.inner.refreshing.lock() else {
                return;
            };
            if let Some(again) = running.get_mut(&key) {
                *again = true;
                return;
            }
            running.insert(key.clone(), false);
        }
        let client = self.clone();
        runtime.spawn(async move {
            loop {
                let _ = client.fetch(&key).await;
                let Ok(mut running) = client.inner.refreshing.lock() else {
                    return;
                };
                if running.get(&key) == Some(&true) {
                    running.insert(key.clone(), false);
                } else {
                    running.remove(&key);
                    return;
                }
            }
        });
    }

    /// The set for an address: from the cache (a stale entry is served and refreshed in the
    /// background), else from the fallback bundle (likewise), else from the forge; when the
    /// forge cannot be reached, the last answer held, marked `is_fallback`.
    async fn load(&self, parsed: &Parsed) -> Result<Arc<Loaded>, Error> {
        let (a, key) = (&parsed.address, &parsed.key);
        let accepting = self.inner.mode == Mode::Accepting;
        let missing = match self.inner.cache.lookup(key) {
            cache::Lookup::Fresh(l) => return Ok(l),
            cache::Lookup::Stale(l) => {
                if accepting {
                    self.refresh_in_background(key.clone());
                }
                return Ok(l);
            }
            cache::Lookup::Invalid => false,
            cache::Lookup::Missing => true,
        };
        let spec = key.rsplit_once('@').map(|(_, s)| s).unwrap_or("stable");
        let bundled =
            || fetch::from_bundle(&self.inner.fallback, &self.inner.engine, a, spec, true);
        if missing && let Some(b) = bundled()? {
            let b = Arc::new(b);
            self.inner.cache.put_stale(key.clone(), b.clone());
            if accepting {
                self.refresh_in_background(key.clone());
            }
            return Ok(b);
        }
        match self.fetch(key).await {
            Ok((loaded, _)) => Ok(loaded),
            Err(e @ Error::Unreachable { .. }) => {
                if let Some(held) = self.inner.cache.any(key) {
                    return Ok(held);
                }
                match bundled()? {
                    Some(b) => Ok(Arc::new(b)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}

fn missing_prompt(address: &str, set: &PromptSet, slug: &str) -> Error {
    Error::NotFound {
        address: address.to_string(),
        message: format!(
            "{}@{} has no prompt '{slug}' (prompts: {})",
            set.address,
            set.resolved_version,
            set.prompts.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}
