#!/usr/bin/env bash
# The SDK's cached render of bench/delivery/welcome.liquid against the engine's own render of
# the same template and the loopback round trip (POST /api/v1/render to a forge in the same
# process), all in one criterion run; rewrites the "SDK render" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p anvil-sdk --bench render -- --warm-up-time 2 "$@"
python3 - <<'PY'
import json, pathlib, re, subprocess, sys
root = pathlib.Path("target/criterion/sdk_render_welcome")
mean = lambda name: json.loads((root / name / "new" / "estimates.json").read_text())["mean"]["point_estimate"]
engine, sdk, trip = mean("engine"), mean("sdk_cached"), mean("loopback_round_trip")
fmt = lambda ns: f"{ns / 1e3:.2f} µs" if ns >= 1e3 else f"{ns:.0f} ns"
over, ratio = sdk - engine, trip / sdk
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
date = subprocess.run(["date", "-u", "+%Y-%m-%d"], capture_output=True, text=True).stdout.strip()
section = f"""## SDK render

`bash bench/sdk.sh` on {cpu} (2 cores), {date}, commit `{commit}`. Criterion means, one run: the Rust SDK rendering `support/emails@1.0.0/welcome` (`bench/delivery/welcome.liquid`, the 1 KB prompt of the delivery benchmark) from its cache; the baseline is anvil-core's engine rendering the same parsed template with the same parameter checks (`PromptEngine::render`), and the comparison the loopback round trip an application without the SDK pays (`POST /api/v1/render/...` with reqwest to a release forge in the same process, SQLite, rate limits off). All three outputs are checked equal first. Targets: the SDK costs at most the engine plus 2 µs (address parsing, cache lookup), and is at least 20x faster than the round trip.

| case | mean | vs the engine |
|---|---|---|
| engine render (baseline) | {fmt(engine)} | 1.00x |
| SDK render, cached | {fmt(sdk)} | {sdk / engine:.2f}x (+{fmt(max(over, 0))}) |
| loopback round trip | {fmt(trip)} | {trip / engine:.1f}x |

SDK overhead over the engine: {fmt(max(over, 0))} (target ≤ 2 µs: {"pass" if over <= 2000 else "FAIL"}). Round trip / SDK: {ratio:.1f}x (target ≥ 20x: {"pass" if ratio >= 20 else "FAIL"}).

"""
sys.path.insert(0, "bench")
from section import write
write("sdk-render", section)
print(section)
PY
