//! The in-memory cache: answers by `project/set@spec`. Exact versions never expire; a spec
//! or channel is fresh for the TTL, after which the next call asks the forge again (and
//! the stale entry is what serves if the forge cannot be reached).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Loaded;

/// When an entry was stored, whether it is an exact version, and the set.
struct Entry {
    at: Instant,
    exact: bool,
    loaded: Arc<Loaded>,
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

    /// An entry still fresh: an exact version, or a spec within the TTL.
    pub fn fresh(&self, key: &str) -> Option<Arc<Loaded>> {
        let entries = self.lock();
        let e = entries.get(key)?;
        (e.exact || e.at.elapsed() < self.ttl).then(|| e.loaded.clone())
    }

    /// Any entry, however old.
    pub fn any(&self, key: &str) -> Option<Arc<Loaded>> {
        self.lock().get(key).map(|e| e.loaded.clone())
    }

    /// Stores an entry that is already due for a refresh (read from disk at start): served
    /// only when the forge cannot be asked.
    pub fn put_stale(&self, key: String, loaded: Arc<Loaded>) {
        let at = Instant::now()
            .checked_sub(self.ttl + Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        self.lock().insert(
            key,
            Entry {
                at,
                exact: false,
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
                loaded,
            },
        );
    }
}
