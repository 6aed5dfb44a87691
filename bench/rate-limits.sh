#!/usr/bin/env bash
# The rate-limit bucket store under a flood of distinct keys (criterion), against one steady
# key in the same run; rewrites the "Rate-limit store" section of BENCHMARKS.md with the
# figures and the store's size after ten times its bound in distinct keys.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo bench -p anvil-server --bench rate_limits -- --warm-up-time 1 --measurement-time 3 | tee "$out"
store=$(grep '^STORE ' "$out" | tail -1)
python3 - "$store" <<'PY'
import json, pathlib, re, sys, subprocess
root = pathlib.Path("target/criterion/rate_limit_take")
mean = lambda n: json.loads((root / n / "new" / "estimates.json").read_text())["mean"]["point_estimate"]
one, fresh, flood = mean("one_key"), mean("distinct_keys_fresh_store"), mean("distinct_keys_after_flood")
fields = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
held, bound = int(fields["held"]), int(fields["bound"])
ratio = flood / fresh
ok = "pass" if held <= bound and ratio <= 2 else "**fail**"
section = f"""## Rate-limit store

`bash bench/rate-limits.sh` on {cpu}, commit `{commit}`. Criterion means of one `take`. The
baseline is a new key on every take in a fresh store; the flood is the same after
{int(fields['keys_pushed']):,} distinct keys went through a store bounded at {bound:,}, so every
take also evicts. One steady key (a lookup, no insert) is shown for scale. Targets: the store
never holds more than its bound, and a take in the flood costs at most 2x the baseline (no
cost that grows with the number of keys seen, as the old sweep under a global lock had).

| case | mean | vs. baseline |
|---|---|---|
| a new key, fresh store (baseline) | {fresh:.0f} ns | 1.0x |
| a new key after the flood | {flood:.0f} ns | {ratio:.2f}x |
| one steady key | {one:.0f} ns | {one / fresh:.2f}x |

Keys held after the flood: {held:,} of at most {bound:,}. Result: {ok}.
"""
sys.path.insert(0, "bench")
from section import write
write("rate-limits", section)
print(section)
PY
