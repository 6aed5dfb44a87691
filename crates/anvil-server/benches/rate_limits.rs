//! The rate-limit bucket store under a flood of distinct keys (what invented credentials
//! used to cause): a new key must cost the same after ten times the store's bound in keys as
//! in a fresh store (the baseline, in the same run), and the store must stay within its
//! bound. One steady key shows what a plain lookup costs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use anvil_server::domain::rate_limit::{MAX_KEYS, TokenBuckets};
use criterion::{Criterion, criterion_group, criterion_main};

/// Distinct keys pushed through the store before the flood is measured: ten times its bound.
const FLOOD: u64 = 1_000_000;

fn takes(c: &mut Criterion) {
    let mut g = c.benchmark_group("rate_limit_take");
    let steady = TokenBuckets::new(1_000_000, 1_000_000.0);
    g.bench_function("one_key", |b| {
        b.iter(|| black_box(steady.take("key:steady")))
    });

    let fresh = TokenBuckets::new(1_000, 1.0);
    let mut m = 0u64;
    g.bench_function("distinct_keys_fresh_store", |b| {
        b.iter(|| {
            m += 1;
            black_box(fresh.take(&format!("ip:fresh-{m}")))
        })
    });

    let flooded = TokenBuckets::new(1_000, 1.0);
    for i in 0..FLOOD {
        flooded.take(&format!("ip:flood-{i}"));
    }
    let mut n = FLOOD;
    g.bench_function("distinct_keys_after_flood", |b| {
        b.iter(|| {
            n += 1;
            black_box(flooded.take(&format!("ip:flood-{n}")))
        })
    });
    g.finish();
    // Read by bench/rate-limits.sh.
    println!(
        "STORE keys_pushed={} held={} bound={MAX_KEYS}",
        n,
        flooded.len()
    );
}

criterion_group!(benches, takes);
criterion_main!(benches);
