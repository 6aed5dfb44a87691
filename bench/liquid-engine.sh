#!/usr/bin/env bash
# Runs the Liquid engine benchmark (criterion: anvil-liquid against the `liquid` crate in the
# same run) and rewrites the "Liquid engine" section of BENCHMARKS.md with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p anvil-liquid --bench engine -- --warm-up-time 2 --measurement-time 5 "$@"
python3 bench/criterion_table.py liquid-engine >bench/.liquid-engine.md
python3 bench/section.py liquid-engine bench/.liquid-engine.md
rm -f bench/.liquid-engine.md
echo "BENCHMARKS.md updated"
