"""Prints a markdown table of criterion results: anvil against the baseline per group."""
import json
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path("target/criterion")


def mean_ns(group: str, name: str) -> float:
    est = ROOT / group / name / "new" / "estimates.json"
    return json.loads(est.read_text())["mean"]["point_estimate"]


def fmt(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main() -> None:
    rows = []
    for stage in ("parse", "render"):
        for case in ("greeting", "prompt_1k", "document_20k"):
            group = f"{stage}_{case}"
            if not (ROOT / group).exists():
                continue
            ours, base = mean_ns(group, "anvil"), mean_ns(group, "liquid")
            rows.append(f"| {stage} | {case} | {fmt(ours)} | {fmt(base)} | {base / ours:.1f}x |")
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    print("## Liquid engine\n")
    print(f"`bash bench/liquid-engine.sh` on {cpu or platform.processor()} "
          f"({subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores). "
          "Criterion means; the baseline is the `liquid` crate 0.26 doing the same work in the "
          "same run (both engines' outputs are checked equal first). Targets: parse at least 5x "
          "faster than the baseline, render at least as fast.\n")
    print("| stage | template | anvil-liquid | liquid 0.26 | speed-up |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print()


if __name__ == "__main__":
    sys.exit(main())
