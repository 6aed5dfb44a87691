#!/usr/bin/env bash
# Fuzzes the API against its own OpenAPI document with schemathesis (`--checks all`, every
# phase, a fixed seed) on a fresh forge holding two organisations' content. Fails on any
# failure schemathesis reports.
#
#   bash .ci/schemathesis.sh [path/to/anvil]   (default: target/debug/anvil)
#
# Needs `schemathesis` (PyPI), `curl` and `jq`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-target/debug/anvil}
examples=${SCHEMATHESIS_EXAMPLES:-20}
seed=${SCHEMATHESIS_SEED:-20261201}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Rate limits off: the fuzzer sends thousands of requests from one address.
ANVIL_RATE_LIMITS=off ANVIL_LOG_FORMAT=json \
  "$bin" serve --bind "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$base/readyz" >/dev/null

# One call with a session cookie (same-origin) or a key; prints the body, fails on >= 400.
call() {
  local method=$1 path=$2 body=${3:-}
  local auth=()
  if [ -n "${key:-}" ]; then auth=(-H "Authorization: Bearer $key"); else auth=(-b "$jar" -c "$jar" -H "Origin: $base"); fi
  curl -fsS -X "$method" "$base/api/v1$path" "${auth[@]}" \
    -H 'Content-Type: application/json' ${body:+--data "$body"}
}

# An organisation with a project, a set with two prompts, two versions and a channel; prints
# the API key of its owner.
seed() {
  local who=$1
  jar="$work/$who.cookies"
  key=
  call POST /auth/register "{\"email\":\"$who@example.com\",\"password\":\"correct horse $who\",\"name\":\"$who\"}" >/dev/null
  org=$(call POST /organisations "{\"name\":\"$who org\"}" | jq -r .organisation.id)
  key=$(call POST /api_keys "{\"name\":\"fuzz\",\"scopes\":[\"read\",\"write\",\"admin\"],\"organisation_id\":\"$org\"}" | jq -r .api_key.key)
  project=$(call POST /projects '{"name":"Support","slug":"support"}' | jq -r .project.id)
  set=$(call POST "/projects/$project/prompt_sets" '{"name":"Replies","slug":"replies"}' | jq -r .prompt_set.id)
  call POST "/prompt_sets/$set/prompts" '{"name":"Greeting","slug":"greeting","template":"Hello {{ name | default: \"there\" }}!","parameters":[{"name":"name","type":"string"}]}' >/dev/null
  call POST "/prompt_sets/$set/prompts" '{"name":"Closing","slug":"closing","template":"{% for t in topics %}{{ forloop.index }}. {{ t }}\n{% endfor %}Bye.","parameters":[{"name":"topics","type":"array","required":true}]}' >/dev/null
  call POST "/prompt_sets/$set/versions" '{"label":"1.0.0","description":"first"}' >/dev/null
  call PATCH "/prompt_sets/$set" '{"description":"second"}' >/dev/null
  call POST "/prompt_sets/$set/versions" '{"label":"1.1.0"}' >/dev/null
  call PUT "/prompt_sets/$set/channels/production" '{"version":"1.0.0"}' >/dev/null
  call POST "/projects/$project/access_tokens" '{"name":"app"}' >/dev/null
  echo "$key"
}

key_a=$(seed alice)
seed bob >/dev/null

# Operations left out: those that end the run's own credential (revoking its key, deleting its
# organisation, leaving it), since the rest of the run would be 401s; the event stream, which
# never ends by itself; and creating or changing webhooks, which would send traffic beyond this
# machine (their own tests deliver to a receiver on loopback).
set +e
schemathesis --config-file .ci/schemathesis.toml run "$base/api/v1/openapi.json" \
  --url "$base" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$examples" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 10 \
  --header "Authorization: Bearer $key_a" \
  --exclude-operation-id credentials_revoke \
  --exclude-operation-id delete_organisation \
  --exclude-operation-id delete_member \
  --exclude-operation-id stream \
  --exclude-operation-id webhooks_create \
  --exclude-operation-id webhooks_update \
  --report junit --report-dir "$work/report" \
  2>&1 | tee "$work/schemathesis.out"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "schemathesis reported failures (exit $status); server log tail:" >&2
  tail -n 40 "$work/server.log" >&2
fi
exit "$status"
