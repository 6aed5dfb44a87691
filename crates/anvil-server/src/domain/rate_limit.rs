//! Rate limits kept in memory (per process), in bounded stores: at most [`MAX_KEYS`] keys,
//! evicted in O(1) (moka), and a key idle long enough to be back at its full allowance is
//! dropped, so forgetting it changes nothing. A flood of distinct keys costs memory up to
//! the bound and never a sweep.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;

/// Keys kept at most per store.
pub const MAX_KEYS: u64 = 100_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Fixed-window limits: `limit` attempts per `window` and key.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Cache<String, Arc<Mutex<(Instant, u32)>>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            // A window that has ended is as good as none.
            windows: Cache::builder()
                .max_capacity(MAX_KEYS)
                .time_to_live(window)
                .build(),
        }
    }

    /// Counts an attempt for `key`; `Err(seconds)` when the limit is reached, with the time
    /// until the window resets.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let entry = self
            .windows
            .get_with_by_ref(key, || Arc::new(Mutex::new((now, 0))));
        let mut w = lock(&entry);
        if now.duration_since(w.0) >= self.window {
            *w = (now, 0);
        }
        if w.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(w.0));
            return Err(left.as_secs().max(1));
        }
        w.1 += 1;
        Ok(())
    }
}

/// Token buckets per key: `capacity` requests at once, refilled at `per_second`. Both an
/// hourly quota (capacity N, refill N per hour) and a sustained rate with bursts fit it.
#[derive(Debug)]
pub struct TokenBuckets {
    capacity: f64,
    per_second: f64,
    buckets: Cache<String, Arc<Mutex<(Instant, f64)>>>,
}

/// The state of a bucket after a request, for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the bucket is full again.
    pub reset: u64,
    /// When refused: seconds until a request would pass.
    pub retry_after: Option<u64>,
}

impl TokenBuckets {
    pub fn new(capacity: u32, per_second: f64) -> Self {
        Self::bounded(capacity, per_second, MAX_KEYS)
    }

    /// At most `max_keys` buckets.
    pub fn bounded(capacity: u32, per_second: f64, max_keys: u64) -> Self {
        let capacity = f64::from(capacity.max(1));
        let per_second = per_second.max(f64::MIN_POSITIVE);
        // An untouched bucket is full again after this long; dropping it then loses nothing.
        let refill = Duration::try_from_secs_f64(capacity / per_second)
            .unwrap_or(Duration::from_secs(86_400))
            .clamp(Duration::from_secs(1), Duration::from_secs(86_400));
        TokenBuckets {
            capacity,
            per_second,
            buckets: Cache::builder()
                .max_capacity(max_keys)
                .time_to_idle(refill)
                .build(),
        }
    }

    /// `limit` requests an hour.
    pub fn per_hour(limit: u32) -> Self {
        TokenBuckets::new(limit, f64::from(limit) / 3600.0)
    }

    /// Buckets held now (after pending evictions run).
    pub fn len(&self) -> u64 {
        self.buckets.run_pending_tasks();
        self.buckets.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one token for `key` if there is one.
    pub fn take(&self, key: &str) -> Quota {
        let now = Instant::now();
        let capacity = self.capacity;
        let entry = self
            .buckets
            .get_with_by_ref(key, || Arc::new(Mutex::new((now, capacity))));
        let mut bucket = lock(&entry);
        let (at, tokens) = &mut *bucket;
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.capacity);
        let (left, retry_after) = if refilled >= 1.0 {
            (refilled - 1.0, None)
        } else {
            (
                refilled,
                Some(((1.0 - refilled) / self.per_second).ceil() as u64),
            )
        };
        *at = now;
        *tokens = left;
        Quota {
            limit: self.capacity as u64,
            remaining: left.floor() as u64,
            reset: ((self.capacity - left) / self.per_second).ceil() as u64,
            retry_after: retry_after.map(|s| s.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_bursts_then_refuse_with_the_wait() {
        let b = TokenBuckets::new(3, 1.0);
        let q = b.take("k");
        assert_eq!((q.limit, q.remaining, q.retry_after), (3, 2, None));
        assert!(q.reset >= 1);
        b.take("k");
        assert_eq!(b.take("k").remaining, 0);
        let refused = b.take("k");
        assert_eq!(refused.retry_after, Some(1));
        assert_eq!(b.take("other").remaining, 2, "keys are independent");
        let hourly = TokenBuckets::per_hour(2);
        hourly.take("k");
        hourly.take("k");
        let q = hourly.take("k");
        assert!(
            q.retry_after.is_some_and(|s| (1..=1800).contains(&s)),
            "{q:?}"
        );
    }

    #[test]
    fn the_store_stays_within_its_bound_under_a_flood_of_keys() {
        let b = TokenBuckets::bounded(10, 1.0, 1_000);
        for i in 0..20_000 {
            b.take(&format!("junk-{i}"));
        }
        assert!(b.len() <= 1_000, "{} buckets", b.len());
        // A key in use keeps its state through the flood's evictions of others.
        let b = TokenBuckets::bounded(2, 0.001, 1_000);
        b.take("steady");
        b.take("steady");
        assert!(b.take("steady").retry_after.is_some());
    }

    #[test]
    fn allows_the_limit_then_refuses_with_a_retry_time() {
        let rl = RateLimiter::new(2, Duration::from_secs(60));
        assert!(rl.check("a").is_ok());
        assert!(rl.check("a").is_ok());
        let retry = rl.check("a").expect_err("third attempt is limited");
        assert!((1..=60).contains(&retry));
        assert!(rl.check("b").is_ok(), "keys are independent");
    }
}
