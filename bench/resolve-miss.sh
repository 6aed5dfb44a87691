#!/usr/bin/env bash
# Cache-miss cost of resolution in a prompt set with 1,000 versions, on SQLite and
# PostgreSQL: bench/resolve_miss.py seeds a fresh release forge and times 199 exact-label and
# 199 range resolutions that miss the cache, then the same requests as hits (the baseline of
# the same run). Rewrites the "Resolve misses" section of BENCHMARKS.md. Target: a miss in
# under 5 ms. Everything listens on 127.0.0.1; the script stops what it starts.
#
#   bash bench/resolve-miss.sh            # both databases
#   bash bench/resolve-miss.sh sqlite     # or one: sqlite | postgres
set -euo pipefail
cd "$(dirname "$0")/.."
DATABASES=("$@")
[ ${#DATABASES[@]} -gt 0 ] || DATABASES=(sqlite postgres)
PG_SERVER=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
cargo build --release -p anvil-cli
WORK=$(mktemp -d /tmp/anvil-miss.XXXXXX)
PID=
PG_DB=
cleanup() {
    set +e
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -n "$PG_DB" ] && psql "$PG_SERVER/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
rows=""
for db in "${DATABASES[@]}"; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    env=(RUST_LOG=warn ANVIL_RATE_LIMITS=off)
    if [ "$db" = postgres ]; then
        PG_DB=anvil_miss_$$
        psql "$PG_SERVER/postgres" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
        env+=(DATABASE_URL="$PG_SERVER/$PG_DB")
    else
        env+=(DATABASE_URL= ANVIL_DATABASE_URL=)
    fi
    env "${env[@]}" target/release/anvil serve --bind "127.0.0.1:$port" --data-dir "$WORK/$db" >"$WORK/$db.log" 2>&1 &
    PID=$!
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    result=$(python3 bench/resolve_miss.py "http://127.0.0.1:$port" 1000 200 | tail -1)
    echo "$db: $result"
    rows+=$(python3 - "$db" "$result" <<'PY'
import json, sys
name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[sys.argv[1]]
r = json.loads(sys.argv[2])
for kind, label in (("exact", "exact label (`@1.0.i`)"), ("range", "range (`@^1.0.i`)")):
    k = r[kind]
    ok = "pass" if k["miss_p50_ms"] < 5 and k["miss_p99_ms"] < 5 else "**fail**"
    print(f"| {name} | {label} | {k['miss_p50_ms']:.2f} ms | {k['miss_p99_ms']:.2f} ms | "
          f"{k['hit_p50_ms']:.2f} ms | {k['miss_p50_ms'] / k['hit_p50_ms']:.0f}x | < 5 ms | {ok} |")
PY
)$'\n'
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    if [ -n "$PG_DB" ]; then
        psql "$PG_SERVER/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
        PG_DB=
    fi
done
commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain -- crates Cargo.toml Cargo.lock)" ] || commit="$commit (with uncommitted changes)"
section="## Resolve misses

\`bash bench/resolve-miss.sh\` on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) cores), $(date -u +%Y-%m-%d), commit \`$commit\`. A release forge with one prompt set of 1,000 versions; 199 resolutions of distinct addresses, each a cache miss (every address is its own cache key), timed by the client over one keep-alive connection; the baseline is the same requests again in the same run, now cache hits. Target: a miss under 5 ms.

| database | spec | miss p50 | miss p99 | hit p50 | miss / hit | target | result |
|---|---|---|---|---|---|---|---|
${rows}"
printf '%s' "$section" | python3 bench/section.py resolve-miss -
echo "BENCHMARKS.md updated"
