"""Turns the wrk outputs of bench/delivery.sh into the "Delivery" section of BENCHMARKS.md.

Usage: python3 bench/delivery/report.py RESULTS_DIR

RESULTS_DIR holds `{database}.{endpoint}.{anvil|nginx}.txt` (wrk --latency output),
`{database}.{endpoint}.bytes` (response body size), `commands.txt` (the wrk command lines) and
`meta.txt` (key=value lines). Prints the section on stdout; exits 1 when a run had non-2xx
responses or socket errors, so that a broken run never lands in BENCHMARKS.md.
"""
import pathlib
import re
import statistics
import sys

TARGETS = {"resolve": 0.50, "render": 0.35}
# Server CPU per request, in microseconds, where there is a target.
CPU_TARGETS_US = {"resolve": 40.0}
P99_TARGET_MS = 5.0
DATABASES = (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unparsed latency {text!r}")
    return float(m.group(1)) * UNITS_MS[m.group(2)]


def parse(path: pathlib.Path) -> dict:
    out = path.read_text()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (rps and p50 and p99):
        raise SystemExit(f"{path}: no wrk figures in\n{out}")
    total = re.search(r"^\s*(\d+) requests in", out, re.M)
    cpu = path.with_name(path.name + ".cpu")
    cpu_us = None
    if cpu.exists() and total:
        ticks, hz = map(int, cpu.read_text().split())
        cpu_us = ticks / hz * 1e6 / int(total.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "p50": ms(p50.group(1)),
        "p99": ms(p99.group(1)),
        "cpu_us": cpu_us,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket": sum(map(int, sock.groups())) if sock else 0,
    }


def combined(paths: list) -> dict:
    """Rounds of one side: median throughput and latencies, CPU over all requests."""
    runs = [parse(p) for p in paths]
    med = lambda key: statistics.median(r[key] for r in runs)
    cpu = [r["cpu_us"] for r in runs]
    return {
        "rps": med("rps"),
        "p50": med("p50"),
        "p99": med("p99"),
        "cpu_us": statistics.median(cpu) if all(c is not None for c in cpu) else None,
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket": sum(r["socket"] for r in runs),
        "rounds": len(runs),
    }


def fmt_ms(v: float) -> str:
    return f"{v * 1e3:.0f} µs" if v < 1 else f"{v:.2f} ms"


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    meta = dict(
        line.split("=", 1) for line in (root / "meta.txt").read_text().splitlines() if "=" in line
    )
    rows, errors = [], []
    for db, db_name in DATABASES:
        for endpoint, target in TARGETS.items():
            ours_paths = sorted(root.glob(f"{db}.{endpoint}.anvil.*.txt"))
            if not ours_paths:
                continue
            ours = combined(ours_paths)
            base = combined(sorted(root.glob(f"{db}.{endpoint}.nginx.*.txt")))
            for who, r in (("anvil", ours), ("nginx", base)):
                if r["non2xx"] or r["socket"]:
                    errors.append(f"{db} {endpoint} {who}: {r['non2xx']} non-2xx responses, "
                                  f"{r['socket']} socket errors")
            ratio = ours["rps"] / base["rps"]
            ok_ratio, ok_p99 = ratio >= target, ours["p99"] < P99_TARGET_MS
            cpu_target = CPU_TARGETS_US.get(endpoint)
            ok_cpu = cpu_target is None or (ours["cpu_us"] is not None and ours["cpu_us"] <= cpu_target)
            if ok_ratio and ok_p99 and ok_cpu:
                result = "pass"
            else:
                misses = (([] if ok_ratio else ["ratio"]) + ([] if ok_p99 else ["p99"])
                          + ([] if ok_cpu else ["CPU"]))
                result = "**fail** (" + ", ".join(misses) + ")"
            size = (root / f"{db}.{endpoint}.bytes").read_text().strip()
            method = "GET" if endpoint == "resolve" else "POST"
            cpu = lambda r: "?" if r["cpu_us"] is None else f"{r['cpu_us']:.0f} µs"
            cpu_goal = f", ≤ {cpu_target:g} µs CPU" if cpu_target else ""
            rows.append(
                f"| {db_name} | `{method} /{endpoint}` | {size} B | {ours['rps']:,.0f} | "
                f"{fmt_ms(ours['p50'])} | {fmt_ms(ours['p99'])} | {cpu(ours)} | {base['rps']:,.0f} | "
                f"{fmt_ms(base['p99'])} | {cpu(base)} | {ratio:.0%} | "
                f"≥ {target:.0%}, p99 < {P99_TARGET_MS:g} ms{cpu_goal} | {result} |"
            )
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    commands = (root / "commands.txt").read_text().rstrip("\n")
    print("## Delivery\n")
    print(
        f"`bash bench/delivery.sh` on {meta.get('cpu', '?')} ({meta.get('cores', '?')} cores), "
        f"{meta.get('date', '?')}, commit `{meta.get('commit', '?')}`. A release build of the "
        f"forge (`RUST_LOG=warn`, `ANVIL_RATE_LIMITS=off`) on 127.0.0.1, seeded over HTTP with "
        f"one prompt set (`bench/delivery/welcome.liquid`, a 1 KB template with loops, "
        f"cut as 1.0.0 and put on `production`), called with an API key at "
        f"`{meta.get('address', '?')}`. The baseline is nginx {meta.get('nginx', '?')} "
        f"(`worker_processes auto`, `access_log off`) serving, as a static file, the body the "
        f"forge returned for that endpoint. wrk {meta.get('wrk', '?')} with 64 connections over "
        f"2 threads for 4 s after a 1 s warm-up; nginx and the forge take turns, five rounds "
        f"each, and the table shows the medians; wrk, the forge and nginx share the machine's "
        f"cores. CPU per request is the "
        f"server's user and system time (from /proc, nginx's workers included) during the "
        f"measured run divided by the requests wrk completed. Targets: resolve at least 50% of "
        f"nginx's requests/second and at most 40 µs of CPU per request, render at least 35%, "
        f"p99 under 5 ms.\n"
    )
    print("| database | endpoint | body | anvil req/s | anvil p50 | anvil p99 | anvil CPU/req "
          "| nginx req/s | nginx p99 | nginx CPU/req | anvil / nginx | target | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\nThe wrk commands (the key is a fresh `read` API key; nginx gets a GET for both "
          "bodies, since a static file does not take a POST):\n")
    print("```sh")
    print(commands)
    print("```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
