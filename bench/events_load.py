"""Fan-out load for GET /api/v1/events: N subscribers on one forge, M channel moves.

Opens N Server-Sent Events streams (raw asyncio sockets, standard library only), waits until
all are connected, reads the forge's resident memory, then moves a channel back and forth M
times, one move at a time. For each move it records when the PUT was sent and when each
subscriber read the event, and reports the time from the PUT leaving to the *last* subscriber
receiving it (an upper bound on commit-to-delivery: the forge commits and publishes before it
answers the PUT).

    python3 bench/events_load.py BASE_URL KEY SET_ID PID SUBSCRIBERS MOVES > result.json
"""

import asyncio
import json
import sys
import time
import urllib.request
from urllib.parse import urlparse


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def subscriber(host, port, key, received, ready):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(
        (
            f"GET /api/v1/events?types=channel.* HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # headers
    ready()
    # Chunked transfer encoding: a size line, then data; we only look for `id:` lines.
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"id:"):
            received.setdefault(int(line[3:].strip()), []).append(time.perf_counter())


def move(base, key, set_id, label):
    req = urllib.request.Request(
        f"{base}/api/v1/prompt_sets/{set_id}/channels/production",
        data=json.dumps({"version": label}).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as res:
        res.read()


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def main():
    base, key, set_id, pid, n, moves = sys.argv[1:7]
    n, moves, pid = int(n), int(moves), int(pid)
    u = urlparse(base)
    received = {}
    connected = 0
    all_ready = asyncio.Event()

    def ready():
        nonlocal connected
        connected += 1
        if connected == n:
            all_ready.set()

    before = rss_kib(pid)
    tasks = [
        asyncio.create_task(subscriber(u.hostname, u.port, key, received, ready)) for _ in range(n)
    ]
    await asyncio.wait_for(all_ready.wait(), timeout=120)
    await asyncio.sleep(1.0)
    idle = rss_kib(pid)
    loop = asyncio.get_running_loop()
    latencies = []
    missing = 0
    for i in range(moves):
        label = "1.0.1" if i % 2 == 0 else "1.0.0"
        before_ids = set(received)
        sent = time.perf_counter()
        await loop.run_in_executor(None, move, base, key, set_id, label)
        # Wait for every subscriber to have the new event (or give up after 5 s).
        deadline = time.perf_counter() + 5
        new_id = None
        while time.perf_counter() < deadline:
            fresh = [k for k in received if k not in before_ids]
            if fresh and len(received[fresh[0]]) >= n:
                new_id = fresh[0]
                break
            await asyncio.sleep(0.001)
        if new_id is None:
            missing += 1
            continue
        latencies.append((max(received[new_id]) - sent) * 1000)
    for t in tasks:
        t.cancel()
    latencies.sort()
    print(
        json.dumps(
            {
                "subscribers": n,
                "moves": moves,
                "delivered_to_all": len(latencies),
                "incomplete": missing,
                "p50_ms": percentile(latencies, 50),
                "p99_ms": percentile(latencies, 99),
                "max_ms": latencies[-1] if latencies else None,
                "rss_before_kib": before,
                "rss_idle_kib": idle,
                "kib_per_subscriber": (idle - before) / n,
            }
        )
    )


asyncio.run(main())
