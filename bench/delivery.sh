#!/usr/bin/env bash
# Load benchmark of the delivery hot path: `GET /api/v1/resolve/{address}` and
# `POST /api/v1/render/{address}` at 64 connections against a release build of the forge, on
# SQLite and on PostgreSQL, each next to nginx serving the same response body as a static file
# in the same run. Rewrites the "Delivery" section of BENCHMARKS.md with the figures.
#
#   bash bench/delivery.sh                # both databases
#   bash bench/delivery.sh sqlite         # or only one: sqlite | postgres
#
# Needs wrk and nginx (installed with apt-get when missing), curl, python3, and for PostgreSQL
# psql and a server at $BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432, trust
# auth), where a scratch database is created and dropped. Everything listens on 127.0.0.1 only;
# every process the script starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASES=("$@")
[ ${#DATABASES[@]} -gt 0 ] || DATABASES=(sqlite postgres)
for db in "${DATABASES[@]}"; do
    case "$db" in sqlite | postgres) ;; *) echo "unknown database '$db' (sqlite or postgres)" >&2; exit 2 ;; esac
done
PG_SERVER=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
ADDRESS_SPEC=production
WRK=(wrk -t2 -c64 -d4s --latency)
WARMUP=(wrk -t2 -c64 -d1s)
# nginx and the forge take turns, this many rounds each, so that a drift of the shared
# machine's speed during the run touches both sides alike; the report takes medians.
ROUNDS=5

# --- tools --------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
if [[ " ${DATABASES[*]} " == *" postgres "* ]]; then
    command -v psql >/dev/null || { echo "psql is required for the PostgreSQL run" >&2; exit 1; }
fi

cargo build --release -p anvil-cli
ANVIL=$PWD/target/release/anvil

# --- scratch space and cleanup -------------------------------------------------------------------
WORK=$(mktemp -d /tmp/anvil-delivery.XXXXXX)
chmod 755 "$WORK" # nginx workers (not root) read the static bodies from here
RESULTS=$WORK/results
mkdir -p "$RESULTS" "$WORK/www" "$WORK/nginx"
FORGE_PID=
NGINX_PID=
PG_DB=

stop() { # pid: TERM, then KILL after 10 s
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    set +e
    [ -n "$FORGE_PID" ] && stop "$FORGE_PID"
    [ -n "$NGINX_PID" ] && stop "$NGINX_PID"
    [ -n "$PG_DB" ] && psql "$PG_SERVER/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

json_get() { # file dotted.path
    python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

# --- nginx: the ceiling for "return bytes over HTTP" ---------------------------------------------
NGINX_PORT=$(free_port)
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    default_type application/json;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
    }
}
EOF
"$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!

# --- the forge -----------------------------------------------------------------------------------
start_forge() { # database
    local db=$1
    FORGE_PORT=$(free_port)
    FORGE=http://127.0.0.1:$FORGE_PORT
    mkdir -p "$WORK/$db"
    local env=(RUST_LOG=warn ANVIL_RATE_LIMITS=off ANVIL_LOG_FORMAT=human)
    if [ "$db" = postgres ]; then
        PG_DB=anvil_bench_$$
        psql "$PG_SERVER/postgres" -qAtc "CREATE DATABASE $PG_DB" >/dev/null
        env+=(DATABASE_URL="$PG_SERVER/$PG_DB")
    else
        env+=(DATABASE_URL= ANVIL_DATABASE_URL=)
    fi
    env "${env[@]}" "$ANVIL" serve --bind "127.0.0.1:$FORGE_PORT" --data-dir "$WORK/$db/data" \
        >"$WORK/$db/forge.log" 2>&1 &
    FORGE_PID=$!
    for _ in $(seq 600); do
        curl -sf "$FORGE/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$FORGE_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the forge did not come up on $FORGE ($db):" >&2
    cat "$WORK/$db/forge.log" >&2
    exit 1
}

stop_forge() {
    stop "$FORGE_PID"
    FORGE_PID=
    if [ -n "$PG_DB" ]; then
        psql "$PG_SERVER/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
        PG_DB=
    fi
}

api() { # method path [json] -> body in $WORK/last.json; fails loudly on a non-2xx
    local code data=${3:-'{}'}
    code=$(curl -sS -o "$WORK/last.json" -w '%{http_code}' -b "$WORK/jar" -c "$WORK/jar" \
        -X "$1" "$FORGE/api/v1$2" -H 'content-type: application/json' --data-binary "$data")
    if [ "${code:0:1}" != 2 ]; then
        echo "$1 $2 -> HTTP $code" >&2
        cat "$WORK/last.json" >&2
        echo >&2
        exit 1
    fi
}

seed() { # -> ADDRESS, KEY
    rm -f "$WORK/jar"
    api POST /auth/register '{"email":"bench@example.com","password":"correct horse battery","name":"Bench"}'
    api POST /projects '{"name":"Support"}'
    local project_id project_slug set_id set_slug prompt_slug label
    project_id=$(json_get "$WORK/last.json" project.id)
    project_slug=$(json_get "$WORK/last.json" project.slug)
    api POST "/projects/$project_id/prompt_sets" '{"name":"Emails"}'
    set_id=$(json_get "$WORK/last.json" prompt_set.id)
    set_slug=$(json_get "$WORK/last.json" prompt_set.slug)
    api POST "/prompt_sets/$set_id/prompts" "$(python3 -c 'import json, sys
body = json.load(open(sys.argv[1]))
body["template"] = open(sys.argv[2]).read()
print(json.dumps(body))' bench/delivery/seed.json bench/delivery/welcome.liquid)"
    prompt_slug=$(json_get "$WORK/last.json" prompt.slug)
    api POST "/prompt_sets/$set_id/versions" '{"description":"benchmark fixture"}'
    label=$(json_get "$WORK/last.json" version.label)
    api PUT "/prompt_sets/$set_id/channels/$ADDRESS_SPEC" "{\"version\":\"$label\"}"
    api POST /api_keys '{"name":"bench","scopes":["read"]}'
    KEY=$(json_get "$WORK/last.json" api_key.key)
    ADDRESS=$project_slug/$set_slug@$ADDRESS_SPEC/$prompt_slug
}

fetch() { # name method url [body]: saves the forge's answer as a static file for nginx
    local name=$1 method=$2 url=$3 body=${4:-} code
    local args=(-sS -o "$WORK/www/$name.json" -w '%{http_code}' -X "$method" "$url"
        -H "Authorization: Bearer $KEY")
    [ -z "$body" ] || args+=(-H 'content-type: application/json' --data-binary "$body")
    code=$(curl "${args[@]}")
    if [ "$code" != 200 ]; then
        echo "$method $url -> HTTP $code" >&2
        cat "$WORK/www/$name.json" >&2
        echo >&2
        exit 1
    fi
    chmod 644 "$WORK/www/$name.json"
}

cpu_ticks() { # pid...: user+system clock ticks of these processes and their children
    local total=0 pid
    for pid in "$@"; do
        for p in $pid $(pgrep -P "$pid" 2>/dev/null); do
            [ -r "/proc/$p/stat" ] || continue
            # Fields 14 and 15 (utime, stime), counted after the ')' that ends the command name.
            total=$((total + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
        done
    done
    echo "$total"
}

measured() { # out pid cmd...: runs wrk, saves its output and the server's CPU ticks used
    local out=$1 pid=$2 before after
    shift 2
    before=$(cpu_ticks "$pid")
    "$@" | tee "$out"
    after=$(cpu_ticks "$pid")
    echo "$((after - before)) $(getconf CLK_TCK)" >"$out.cpu"
}

bench() { # db endpoint: nginx with the same body first, then the forge
    local db=$1 endpoint=$2
    local url=$FORGE/api/v1/$endpoint/$ADDRESS static=$db-$endpoint
    local forge_args=(-H "Authorization: Bearer $KEY")
    [ "$endpoint" = resolve ] || forge_args+=(-s bench/delivery/render.lua)
    wc -c <"$WORK/www/$static.json" | tr -d ' ' >"$RESULTS/$db.$endpoint.bytes"
    local round
    for round in $(seq "$ROUNDS"); do
        echo "== $db $endpoint: nginx (round $round of $ROUNDS)"
        "${WARMUP[@]}" "http://127.0.0.1:$NGINX_PORT/$static.json" >/dev/null
        measured "$RESULTS/$db.$endpoint.nginx.$round.txt" "$NGINX_PID" "${WRK[@]}" "http://127.0.0.1:$NGINX_PORT/$static.json"
        echo "== $db $endpoint: anvil (round $round of $ROUNDS)"
        "${WARMUP[@]}" "${forge_args[@]}" "$url" >/dev/null
        measured "$RESULTS/$db.$endpoint.anvil.$round.txt" "$FORGE_PID" "${WRK[@]}" "${forge_args[@]}" "$url"
    done
}

for _ in $(seq 100); do # any HTTP answer (a 404 for /) means nginx is listening
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/")" != 000 ] && break
    kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx did not start:" >&2; cat "$WORK/nginx/error.log" >&2; exit 1; }
    sleep 0.1
done

for db in "${DATABASES[@]}"; do
    echo "== $db: starting the forge and seeding"
    start_forge "$db"
    seed
    fetch "$db-resolve" GET "$FORGE/api/v1/resolve/$ADDRESS"
    fetch "$db-render" POST "$FORGE/api/v1/render/$ADDRESS" '{"variables":{"customer_name":"Ada"}}'
    grep -q 'Ada' "$WORK/www/$db-render.json" || { echo "render did not use the variables" >&2; exit 1; }
    bench "$db" resolve
    bench "$db" render
    stop_forge
done

# --- report --------------------------------------------------------------------------------------
{
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "cores=$(nproc)"
    echo "date=$(date -u +%Y-%m-%d)"
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ -z "$(git --no-optional-locks status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ] || commit="$commit (with uncommitted changes)"
    echo "commit=$commit"
    echo "nginx=$("$NGINX" -v 2>&1 | sed 's|.*nginx/||')"
    echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}' | sed 's|^debian/||; s|-.*||')"
    echo "address=$ADDRESS"
} >"$RESULTS/meta.txt"
cat >"$RESULTS/commands.txt" <<EOF
# FORGE=http://127.0.0.1:<port> (release build), NGINX=http://127.0.0.1:<port>, KEY=ank_live_...
${WRK[*]} -H "Authorization: Bearer \$KEY" \$FORGE/api/v1/resolve/$ADDRESS
${WRK[*]} -H "Authorization: Bearer \$KEY" -s bench/delivery/render.lua \$FORGE/api/v1/render/$ADDRESS
${WRK[*]} \$NGINX/<database>-resolve.json   # the forge's resolve body as a static file
${WRK[*]} \$NGINX/<database>-render.json    # the forge's render body as a static file
# each run follows a 1 s warm-up (${WARMUP[*]} ...); nginx and the forge alternate, $ROUNDS rounds each
EOF
python3 bench/delivery/report.py "$RESULTS" >"$WORK/section.md"
python3 bench/section.py delivery "$WORK/section.md"
sed -n '/^| database/,/^$/p' "$WORK/section.md"
echo "BENCHMARKS.md updated"
