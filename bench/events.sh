#!/usr/bin/env bash
# Fan-out benchmark of the event stream: one release forge (SQLite), a prompt set with two
# versions, SUBSCRIBERS open `GET /api/v1/events` streams and MOVES channel moves, one at a
# time. Reports the time from each move's PUT leaving to the *last* subscriber receiving its
# event (p50, p99) and the forge's resident memory per idle subscriber; the baseline in the
# same invocation is the same run with one subscriber. Rewrites the "Events" section of
# BENCHMARKS.md.
#
#   bash bench/events.sh [SUBSCRIBERS] [MOVES]     # default 1000 100
#
# Needs curl and python3 (standard library only). Listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

SUBSCRIBERS=${1:-1000}
MOVES=${2:-100}
# One socket per subscriber, on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n 8192

cargo build --release -p anvil-cli
ANVIL=$PWD/target/release/anvil
WORK=$(mktemp -d /tmp/anvil-events.XXXXXX)
FORGE_PID=
cleanup() {
    set +e
    if [ -n "$FORGE_PID" ]; then
        kill -TERM "$FORGE_PID" 2>/dev/null
        wait "$FORGE_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FORGE=http://127.0.0.1:$PORT
RUST_LOG=warn ANVIL_RATE_LIMITS=off DATABASE_URL= ANVIL_DATABASE_URL= \
    "$ANVIL" serve --bind "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/forge.log" 2>&1 &
FORGE_PID=$!
for _ in $(seq 300); do curl -sf "$FORGE/healthz" >/dev/null && break; sleep 0.1; done

api() { # method path [json] -> body on stdout; fails on a non-2xx
    local out code
    out=$(curl -sS -w '\n%{http_code}' -b "$WORK/jar" -c "$WORK/jar" -X "$1" "$FORGE/api/v1$2" \
        -H 'content-type: application/json' -H "Origin: $FORGE" --data-binary "${3:-{\}}")
    code=${out##*$'\n'}
    [ "${code:0:1}" = 2 ] || { echo "$1 $2 -> $code: ${out%$'\n'*}" >&2; exit 1; }
    printf '%s' "${out%$'\n'*}"
}
get() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }

api POST /auth/register '{"email":"bench@example.com","password":"correct horse battery","name":"Bench"}' >/dev/null
project=$(api POST /projects '{"name":"Support"}' | get project.id)
set_id=$(api POST "/projects/$project/prompt_sets" '{"name":"Emails"}' | get prompt_set.id)
prompt=$(api POST "/prompt_sets/$set_id/prompts" '{"name":"Welcome","template":"Hello {{ name }}","parameters":[{"name":"name","type":"string"}]}' | get prompt.id)
api POST "/prompt_sets/$set_id/versions" '{"label":"1.0.0"}' >/dev/null
api PATCH "/prompts/$prompt" '{"template":"Hi {{ name }}"}' >/dev/null
api POST "/prompt_sets/$set_id/versions" '{"label":"1.0.1"}' >/dev/null
api PUT "/prompt_sets/$set_id/channels/production" '{"version":"1.0.0"}' >/dev/null
KEY=$(api POST /api_keys '{"name":"bench","scopes":["read","write","admin"]}' | get api_key.key)

echo "baseline: 1 subscriber, $MOVES moves"
python3 bench/events_load.py "$FORGE" "$KEY" "$set_id" "$FORGE_PID" 1 "$MOVES" >"$WORK/one.json"
echo "load: $SUBSCRIBERS subscribers, $MOVES moves"
python3 bench/events_load.py "$FORGE" "$KEY" "$set_id" "$FORGE_PID" "$SUBSCRIBERS" "$MOVES" >"$WORK/many.json"
cat "$WORK/one.json" "$WORK/many.json"

python3 - "$WORK/one.json" "$WORK/many.json" "$(git rev-parse --short HEAD)" <<'PY'
import json, pathlib, re, sys, datetime
one, many = (json.load(open(p)) for p in sys.argv[1:3])
commit = sys.argv[3]
fmt = lambda v: "n/a" if v is None else f"{v:.1f}"
rows = "\n".join(
    f"| {r['subscribers']} | {r['delivered_to_all']}/{r['moves']} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | "
    f"{fmt(r['max_ms'])} | {fmt(r['kib_per_subscriber'])} |"
    for r in (one, many)
)
section = f"""## Events

`bash bench/events.sh` ({datetime.date.today()}, commit {commit}; release build, SQLite, rate
limits off, one machine with 2 cores shared by the forge and the Python client). Each of the
moves is a `PUT /prompt_sets/{{id}}/channels/production` alternating between two versions,
one at a time; latency is from the PUT leaving the client to the **last** subscriber reading
the `channel.moved` event (an upper bound on commit to delivery). Memory is the forge's
resident set with every subscriber connected and idle, minus before they connected, per
subscriber. The one-subscriber run is the baseline of the same invocation.

| subscribers | delivered to all | p50 ms | p99 ms | max ms | KiB per idle subscriber |
|---|---|---|---|---|---|
{rows}

Targets: p99 under 100 ms and under 50 KB per idle subscriber at 1,000 subscribers.
p99 at 1,000 subscribers is {many['p99_ms'] / one['p99_ms'] if one['p99_ms'] else float('nan'):.1f}x the one-subscriber baseline.
"""
sys.path.insert(0, "bench")
from section import write
write("events", section)
print(section)
PY
