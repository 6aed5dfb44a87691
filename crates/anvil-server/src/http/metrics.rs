//! Request counters and latency histograms per route, through the `metrics` facade and its
//! Prometheus recorder (lock-free handles, no global lock per request). Each forge has a
//! recorder of its own rather than the process-wide one, so several forges in one process
//! (the tests) keep separate figures.

use metrics::{Unit, counter, describe_counter, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

pub struct Metrics {
    recorder: PrometheusRecorder,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        // Setting buckets fails only for an empty list; ours is fixed and not empty.
        let recorder = match PrometheusBuilder::new().set_buckets(&BUCKETS) {
            Ok(b) => b.build_recorder(),
            Err(_) => PrometheusBuilder::new().build_recorder(),
        };
        metrics::with_local_recorder(&recorder, || {
            describe_counter!(
                "anvil_http_requests_total",
                "HTTP requests by method, route and status."
            );
            describe_histogram!(
                "anvil_http_request_duration_seconds",
                Unit::Seconds,
                "HTTP request latency."
            );
            describe_counter!(
                "anvil_feed_passes_total",
                "Passes over the events table that applied committed events to the caches."
            );
        });
        Metrics { recorder }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        metrics::with_local_recorder(&self.recorder, || {
            counter!(
                "anvil_http_requests_total",
                "method" => method.to_string(),
                "route" => route.to_string(),
                "status" => status.to_string()
            )
            .increment(1);
            histogram!(
                "anvil_http_request_duration_seconds",
                "method" => method.to_string(),
                "route" => route.to_string()
            )
            .record(seconds);
        });
    }

    /// Folds recorded histogram samples into their buckets; call now and then so samples
    /// never pile up between scrapes.
    pub fn upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    /// Prometheus text exposition; `pool` is (open connections, idle connections), `feed`
    /// the feed's passes so far.
    pub fn render(&self, pool: Option<(u32, usize)>, feed_passes: u64) -> String {
        metrics::with_local_recorder(&self.recorder, || {
            if let Some((open, idle)) = pool {
                gauge!("anvil_db_pool_connections", "state" => "open").set(f64::from(open));
                gauge!("anvil_db_pool_connections", "state" => "idle").set(idle as f64);
            }
            counter!("anvil_feed_passes_total").absolute(feed_passes);
        });
        self.recorder.handle().render()
    }
}
