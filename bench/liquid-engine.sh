#!/usr/bin/env bash
# Runs the Liquid engine benchmark (criterion: anvil-liquid against the `liquid` crate in the
# same run) and rewrites the "Liquid engine" section of BENCHMARKS.md with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p anvil-liquid --bench engine -- --warm-up-time 2 --measurement-time 5 "$@"
python3 bench/criterion_table.py liquid-engine >bench/.liquid-engine.md
python3 - <<'PY'
import re, pathlib
path = pathlib.Path("BENCHMARKS.md")
section = pathlib.Path("bench/.liquid-engine.md").read_text()
text = path.read_text() if path.exists() else "# Benchmarks\n"
begin, end = "<!-- liquid-engine:begin -->", "<!-- liquid-engine:end -->"
block = f"{begin}\n{section}{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
path.write_text(text)
PY
rm -f bench/.liquid-engine.md
echo "BENCHMARKS.md updated"
