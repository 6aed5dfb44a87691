//! Request counters and latency histograms per route, rendered as Prometheus text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut inner = match self.inner.lock() {
            Ok(i) => i,
            Err(p) => p.into_inner(),
        };
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let h = inner
            .latency
            .entry((method.to_string(), route.to_string()))
            .or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Prometheus text exposition; `pool` is (open connections, idle connections).
    pub fn render(&self, pool: Option<(u32, usize)>) -> String {
        let inner = match self.inner.lock() {
            Ok(i) => i,
            Err(p) => p.into_inner(),
        };
        let mut out = String::new();
        out.push_str(
            "# HELP anvil_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE anvil_http_requests_total counter\n");
        for ((m, r, s), n) in &inner.requests {
            let _ = writeln!(
                out,
                "anvil_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{s}\"}} {n}",
                escape(m),
                escape(r)
            );
        }
        out.push_str("# HELP anvil_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE anvil_http_request_duration_seconds histogram\n");
        for ((m, r), h) in &inner.latency {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(m), escape(r));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "anvil_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "anvil_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "anvil_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "anvil_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        if let Some((open, idle)) = pool {
            out.push_str("# HELP anvil_db_pool_connections Database pool connections by state.\n");
            out.push_str("# TYPE anvil_db_pool_connections gauge\n");
            let _ = writeln!(out, "anvil_db_pool_connections{{state=\"open\"}} {open}");
            let _ = writeln!(out, "anvil_db_pool_connections{{state=\"idle\"}} {idle}");
        }
        out
    }
}
