//! The in-memory cache: answers by `project/set@spec`. Exact versions never expire; a spec
//! or channel is fresh for the TTL, then stale: still served while a refresh runs in the
//! background (stale-while-revalidate). A live event about a project makes its specs
//! invalid: the next call asks the forge before answering, so it sees the change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Loaded;

/// When an entry was stored, whether it is an exact version, and the set.
struct Entry {
    at: Instant,
    exact: bool,
    /// A live event said the answer may have changed.
    invalid: bool,
    loaded: Arc<Loaded>,
}

/// What the cache holds for a key.
pub(crate) enum Lookup {
    Fresh(Arc<Loaded>),
    /// Past its TTL: serve it and refresh in the background.
    Stale(Arc<Loaded>),
    /// Known to be out of date: ask the forge first.
    Invalid,
    Missing,
}

pub(crate) struct Cache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Cache {
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn lookup(&self, key: &str) -> Lookup {
        let entries = self.lock();
        match entries.get(key) {
            None => Lookup::Missing,
            Some(e) if e.exact => Lookup::Fresh(e.loaded.clone()),
            Some(e) if e.invalid => Lookup::Invalid,
            Some(e) if e.at.elapsed() < self.ttl => Lookup::Fresh(e.loaded.clone()),
            Some(e) => Lookup::Stale(e.loaded.clone()),
        }
    }

    /// Any entry, however old.
    pub fn any(&self, key: &str) -> Option<Arc<Loaded>> {
        self.lock().get(key).map(|e| e.loaded.clone())
    }

    /// Stores an entry that is already due for a refresh (read from disk or the fallback
    /// bundle): served at once, and refreshed in the background.
    pub fn put_stale(&self, key: String, loaded: Arc<Loaded>) {
        let at = Instant::now()
            .checked_sub(self.ttl + Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        self.lock().insert(
            key,
            Entry {
                at,
                exact: false,
                invalid: false,
                loaded,
            },
        );
    }

    pub fn put(&self, key: String, exact: bool, loaded: Arc<Loaded>) {
        self.lock().insert(
            key,
            Entry {
                at: Instant::now(),
                exact,
                invalid: false,
                loaded,
            },
        );
    }

    /// Marks the entry of `key` as not confirmed by the forge (its refresh could not reach
    /// it), keeping its age, so what serves it says `is_fallback`.
    pub fn mark_fallback(&self, key: &str) {
        if let Some(e) = self.lock().get_mut(key)
            && !e.loaded.set.is_fallback
        {
            e.loaded = Arc::new(e.loaded.with_fallback(true));
        }
    }

    /// Makes every spec of `project` invalid; returns their keys.
    pub fn invalidate_project(&self, project: &str) -> Vec<String> {
        let prefix = format!("{project}/");
        let mut keys = Vec::new();
        for (k, e) in self.lock().iter_mut() {
            if !e.exact && k.starts_with(&prefix) {
                e.invalid = true;
                keys.push(k.clone());
            }
        }
        keys
    }

    /// The keys of every spec and channel held (what a sync refreshes).
    pub fn spec_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, e)| !e.exact)
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        keys
    }
}
