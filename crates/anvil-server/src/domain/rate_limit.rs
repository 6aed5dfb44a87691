//! Fixed-window rate limits kept in memory (per process).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for `key`; `Err(seconds)` when the limit is reached, with the time
    /// until the window resets.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() > 100_000 {
            let window = self.window;
            buckets.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = buckets.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Token buckets per key: `capacity` requests at once, refilled at `per_second`. Both an
/// hourly quota (capacity N, refill N per hour) and a sustained rate with bursts fit it.
#[derive(Debug)]
pub struct TokenBuckets {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, (Instant, f64)>>,
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

/// Keys kept at most; beyond it, buckets that have refilled completely are dropped.
const MAX_KEYS: usize = 100_000;

impl TokenBuckets {
    pub fn new(capacity: u32, per_second: f64) -> Self {
        TokenBuckets {
            capacity: f64::from(capacity.max(1)),
            per_second: per_second.max(f64::MIN_POSITIVE),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `limit` requests an hour.
    pub fn per_hour(limit: u32) -> Self {
        TokenBuckets::new(limit, f64::from(limit) / 3600.0)
    }

    /// Takes one token for `key` if there is one.
    pub fn take(&self, key: &str) -> Quota {
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() > MAX_KEYS {
            let (cap, rate) = (self.capacity, self.per_second);
            buckets.retain(|_, (at, tokens)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < cap
            });
        }
        let (at, tokens) = buckets
            .entry(key.to_string())
            .or_insert((now, self.capacity));
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
    fn allows_the_limit_then_refuses_with_a_retry_time() {
        let rl = RateLimiter::new(2, Duration::from_secs(60));
        assert!(rl.check("a").is_ok());
        assert!(rl.check("a").is_ok());
        let retry = rl.check("a").expect_err("third attempt is limited");
        assert!((1..=60).contains(&retry));
        assert!(rl.check("b").is_ok(), "keys are independent");
    }
}
