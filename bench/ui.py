"""What the web UI costs: the validate call the editor makes on every keystroke (a 20 KB
template), the server-side render of a prompt set page with 50 prompts and 100 versions, and
the bytes a browser transfers for the largest page, first and then with its assets cached.

Usage: python3 bench/ui.py FORGE_URL FORGE_PID [SAMPLES]

FORGE_URL is a fresh release forge with rate limits off; FORGE_PID its process, whose CPU time
(utime + stime from /proc) is read around each run to give CPU per request. Requests are sent
one at a time, as an editor does; the baseline in the same run is `GET /healthz` over the same
connection (the cost of the round trip itself). Prints Markdown, then JSON on the last line.
"""
import http.client
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from resolve_miss import Client  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def raw(c, method, path, body=None, headers=None):
    h = {"cookie": c.cookie, **(headers or {})}
    data = None if body is None else json.dumps(body)
    if data:
        h["content-type"] = "application/json"
    c.conn.request(method, path, body=data, headers=h)
    res = c.conn.getresponse()
    payload = res.read()
    if res.status != 200:
        raise SystemExit(f"{method} {path} -> {res.status}: {payload[:300]!r}")
    return res, payload


def run(c, pid, samples, method, path, body=None):
    for _ in range(20):  # warm-up: caches, the connection
        raw(c, method, path, body)
    cpu = cpu_seconds(pid)
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        raw(c, method, path, body)
        times.append((time.perf_counter() - t) * 1e3)
    cpu = cpu_seconds(pid) - cpu
    q = statistics.quantiles(times, n=100)
    return {"p50_ms": round(statistics.median(times), 3), "p99_ms": round(q[98], 3),
            "cpu_ms_per_request": round(cpu * 1e3 / samples, 3)}


def template_of(size):
    """A template like a long real prompt: text, variables, conditions, loops and filters."""
    block = (
        "You are a support agent for {{ company | default: 'Acme' }}. Answer {{ customer.name }} "
        "politely and precisely; cite the policy when you refuse.\n"
        "{% if customer.vip %}This customer is a VIP: offer the priority line.{% else %}"
        "Offer the help centre first.{% endif %}\n"
        "{% for item in order.items %}- {{ item.name | upcase }} x{{ item.quantity }}: "
        "{{ item.price | times: item.quantity }}\n{% endfor %}"
        "Tone: {{ tone | default: 'warm' | capitalize }}. Never promise refunds beyond "
        "{{ refund_days | default: 30 }} days.\n\n"
    )
    # Whole blocks, at least `size` bytes: a cut block would leave a tag open.
    return block * (size // len(block) + 1)


def main():
    base, pid = sys.argv[1], int(sys.argv[2])
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    c = Client(base)
    c.call("POST", "/auth/register", {"email": "ui@example.com", "password": "correct horse battery"})
    org = c.call("GET", "/me")["organisations"][0]["slug"]
    project = c.call("POST", "/projects", {"name": "Support"})["project"]
    s = c.call("POST", f"/projects/{project['id']}/prompt_sets", {"name": "Emails"})["prompt_set"]
    params = [{"name": n, "type": t} for n, t in
              (("company", "string"), ("customer", "object"), ("order", "object"),
               ("tone", "string"), ("refund_days", "integer"))]
    big = template_of(20 * 1024)
    prompts = [c.call("POST", f"/prompt_sets/{s['id']}/prompts",
                      {"name": f"Prompt {i:02}", "template": big[:2000] if i else big,
                       "parameters": params})["prompt"] for i in range(50)]
    for i in range(100):
        if i:
            c.call("PATCH", f"/prompts/{prompts[i % 50]['id']}", {"description": f"revision {i}"})
        c.call("POST", f"/prompt_sets/{s['id']}/versions", {"label": f"1.{i // 10}.{i % 10}",
                                                            "description": f"release {i}"})
    c.call("PUT", f"/prompt_sets/{s['id']}/channels/production", {"version": "1.9.9"})
    c.call("PUT", f"/prompt_sets/{s['id']}/channels/staging", {"version": "1.9.8"})

    out = {"samples": samples, "template_bytes": len(big.encode())}
    out["baseline"] = run(c, pid, samples, "GET", "/healthz")
    out["validate"] = run(c, pid, samples, "POST", "/api/v1/templates/validate",
                          {"template": big, "parameters": params})
    set_page = f"/o/{org}/{project['slug']}/{s['slug']}"
    out["set_page"] = run(c, pid, samples, "GET", set_page)
    editor = f"{set_page}/{prompts[0]['slug']}"
    out["editor_page"] = run(c, pid, samples, "GET", editor)

    # Transfer: each page's HTML compressed as a browser asks for it, plus every asset it
    # names (brotli); after the first load the assets are cached (immutable), only HTML moves.
    sizes = {}
    for name, path in (("set page", set_page), ("editor", editor)):
        res, html = raw(c, "GET", path, headers={"accept-encoding": "br, gzip"})
        page = html
        _, plain = raw(c, "GET", path)
        assets = sorted({part.split('"', 1)[0] for part in plain.decode().split('"/assets/')[1:]})
        asset_bytes = 0
        for a in assets:
            _, body = raw(c, "GET", "/assets/" + a, headers={"accept-encoding": "br, gzip"})
            asset_bytes += len(body)
        sizes[name] = {"html": len(page), "html_uncompressed": len(plain), "assets": asset_bytes,
                       "first_load": len(page) + asset_bytes, "cached": len(page),
                       "encoding": res.getheader("content-encoding")}
    out["transfer"] = sizes

    b = out["baseline"]
    print("| request | p50 | p99 | p50 / baseline p50 | server CPU per request |")
    print("|---|---|---|---|---|")
    for key, label in (("baseline", "`GET /healthz` (baseline)"),
                       ("validate", f"`POST /templates/validate`, {out['template_bytes'] // 1024} KB template"),
                       ("set_page", "set page, 50 prompts, 100 versions"),
                       ("editor_page", "editor page (the 20 KB prompt)")):
        r = out[key]
        print(f"| {label} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | "
              f"{r['p50_ms'] / b['p50_ms']:.1f}x | {r['cpu_ms_per_request']:.2f} ms |")
    print()
    print("| page | HTML (compressed / raw) | assets (brotli) | first load | assets cached |")
    print("|---|---|---|---|---|")
    for name, t in sizes.items():
        print(f"| {name} | {t['html'] / 1024:.1f} KB / {t['html_uncompressed'] / 1024:.1f} KB | "
              f"{t['assets'] / 1024:.1f} KB | {t['first_load'] / 1024:.1f} KB | {t['cached'] / 1024:.1f} KB |")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
