"""Cache-miss cost of resolving an address in a prompt set with many versions.

Usage: python3 bench/resolve_miss.py FORGE_URL [VERSIONS] [SAMPLES]

Seeds FORGE_URL (a fresh forge, rate limits off) with one prompt set holding VERSIONS
versions (default 1000), then resolves SAMPLES (default 200) distinct exact versions once
each: every one is a cache miss (its own cache key), which reads the set's versions, picks
one and builds its answer. The baseline, in the same run, is the same requests again, now
cache hits. Prints a Markdown table row set and JSON figures on the last line.
"""
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse


class Client:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.cookie = None
        self.key = None

    def call(self, method, path, body=None, expect=(200, 201)):
        headers = {"content-type": "application/json"}
        if self.key:
            headers["authorization"] = f"Bearer {self.key}"
        elif self.cookie:
            headers["cookie"] = self.cookie
        data = None if body is None else json.dumps(body)
        self.conn.request(method, "/api/v1" + path, body=data, headers=headers)
        res = self.conn.getresponse()
        raw = res.read()
        cookie = res.getheader("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if res.status not in expect:
            raise SystemExit(f"{method} {path} -> {res.status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None


def timed(c, path, n=1):
    t = time.perf_counter()
    c.call("GET", path)
    return (time.perf_counter() - t) * 1e3


def main():
    base = sys.argv[1]
    versions = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    c = Client(base)
    c.call("POST", "/auth/register", {"email": "miss@example.com", "password": "correct horse battery"})
    project = c.call("POST", "/projects", {"name": "Support"})["project"]
    s = c.call("POST", f"/projects/{project['id']}/prompt_sets", {"name": "Emails"})["prompt_set"]
    p = c.call("POST", f"/prompt_sets/{s['id']}/prompts",
               {"name": "Welcome", "template": "Hello {{ name }}! v0",
                "parameters": [{"name": "name", "type": "string"}]})["prompt"]
    started = time.perf_counter()
    for i in range(versions):
        if i:
            c.call("PATCH", f"/prompts/{p['id']}", {"template": f"Hello {{{{ name }}}}! v{i}"})
        c.call("POST", f"/prompt_sets/{s['id']}/versions", {"label": f"1.0.{i}"})
    seeding = time.perf_counter() - started
    c.key = c.call("POST", "/api_keys", {"name": "bench", "scopes": ["read"]})["api_key"]["key"]
    rng = random.Random(7)
    picks = rng.sample(range(versions), min(samples, versions))
    at = f"/resolve/{project['slug']}/{s['slug']}"
    q = lambda xs, f: statistics.quantiles(xs, n=100)[f - 1]
    out = {"versions": versions, "seeding_s": round(seeding, 1)}
    # An exact label is one indexed lookup; a range (^1.0.i: the newest 1.0.x at or above
    # 1.0.i) reads every version's label to choose.
    for kind, spec in (("exact", "1.0.{}"), ("range", "^1.0.{}")):
        paths = [f"{at}@{spec.format(i)}/{p['slug']}" for i in picks]
        timed(c, paths[0])  # warms the connection and the key cache; now cached
        misses = [timed(c, path) for path in paths[1:]]
        hits = [timed(c, path) for path in paths[1:]]
        out[kind] = {
            "samples": len(misses),
            "miss_p50_ms": round(statistics.median(misses), 3),
            "miss_p99_ms": round(q(misses, 99), 3),
            "hit_p50_ms": round(statistics.median(hits), 3),
            "hit_p99_ms": round(q(hits, 99), 3),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
