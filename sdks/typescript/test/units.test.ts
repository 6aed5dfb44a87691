// The pieces that need no forge: canonical JSON, specs, variable checks, the SSE parser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { checksum, toCanonical } from "@anvil/sdk";

import { checkVariables } from "../dist/params.js";
import { formatSpec, parseAddress, parseSpec, specAccepts } from "../dist/address.js";
import { SseParser } from "../dist/sse.js";
import { LocalEngine } from "../dist/local.js";
import { formatFloat } from "../dist/numbers.js";
import type { Parameter } from "@anvil/sdk";

test("canonical JSON sorts keys by UTF-16 units, escapes minimally and prints numbers as ECMAScript", async () => {
  // RFC 8785 section 3.2.3's sorting example.
  const v = { "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Dalet", "1": "One", "\u{1f600}": "Emoji", "\u0080": "Control", "\u00f6": "o" };
  const keys = Object.keys(JSON.parse(toCanonical(v)) as object);
  // JSON.parse puts the integer-like key first; compare the text order instead.
  const order = [...toCanonical(v).matchAll(/"([^"]*)":/g)].map((m) => m[1]);
  assert.deepEqual(order, ["\\r", "1", "\u0080", "\u00f6", "\u20ac", "\u{1f600}", "\ufb33"]);
  assert.equal(keys.length, 7);
  assert.equal(toCanonical({ b: [1, true, null], a: 'x"\\\n\u0001é' }), '{"a":"x\\"\\\\\\n\\u0001é","b":[1,true,null]}');
  const numbers: [number, string][] = [
    [0, "0"], [-0, "0"], [1, "1"], [-1.5, "-1.5"], [1e21, "1e+21"], [1e20, "100000000000000000000"], [1e-7, "1e-7"],
    [1e-6, "0.000001"], [333333333.33333329, "333333333.3333333"], [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"], [0.1 + 0.2, "0.30000000000000004"],
  ];
  for (const [n, want] of numbers) assert.equal(toCanonical(n), want, String(n));
  // The forge's value for the same content (anvil-core computes it the same way).
  assert.equal(await checksum({ x: 1, y: [1.0, "a"] }), await checksum({ y: [1, "a"], x: 1 }));
  assert.match(await checksum({}), /^sha256:[0-9a-f]{64}$/);
  assert.equal(await checksum({}), "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
});

test("addresses and specs read as the forge reads them", () => {
  const a = parseAddress("@acme/support/emails@^1.2/welcome");
  assert.deepEqual([a.organisation, a.project, a.set, a.prompt], ["acme", "support", "emails", "welcome"]);
  assert.equal(formatSpec(parseSpec("1.2")), "^1.2");
  assert.equal(formatSpec(parseSpec("v1.2.0")), "1.2.0");
  assert.equal(formatSpec(parseSpec(">= 1.0, < 2.0")), ">=1.0, <2.0");
  assert.equal(formatSpec(parseSpec("1.*")), "1.*");
  assert.equal(formatSpec(parseSpec("production")), "production");
  assert.throws(() => parseAddress("Support/emails"), /project must start with a lowercase letter/);
  assert.throws(() => parseAddress("support"), /must be project\/prompt_set/);
  assert.throws(() => parseSpec("Prod"), /channel name must start with a lowercase letter/);
  assert.throws(() => parseSpec("^1.x.3"), /not a valid version or range/);
  assert.ok(specAccepts("^1.2", "1.4.0", {}));
  assert.ok(!specAccepts("^1.2", "2.0.0", {}));
  assert.ok(!specAccepts("^1.2", "1.3.0-rc.1", {}), "a pre-release needs a comparator naming it");
  assert.ok(specAccepts(">=1.3.0-rc.0", "1.3.0-rc.1", {}));
  assert.ok(specAccepts("~1.2.3", "1.2.9", {}) && !specAccepts("~1.2.3", "1.3.0", {}));
  assert.ok(specAccepts("^0.2", "0.2.5", {}) && !specAccepts("^0.2", "0.3.0", {}));
  assert.ok(specAccepts("stable", "1.0.0", {}) && !specAccepts("stable", "1.0.0-beta", {}));
  assert.ok(specAccepts("production", "1.0.0", { production: "1.0.0" }));
  assert.ok(!specAccepts("production", "1.0.0", { production: "1.1.0" }));
  assert.ok(specAccepts("1.0.0", "1.0.0+build.5", {}), "build metadata does not count");
  assert.ok(specAccepts("*", "3.1.4", {}) && specAccepts("1.*", "1.9.0", {}) && !specAccepts("1.*", "2.0.0", {}));
});

test("variables are checked, filled and set aside exactly as anvil-core does", () => {
  const p: Parameter[] = [
    { name: "customer_name", type: "string", description: "", required: true, default: null },
    { name: "tone", type: "string", description: "", required: false, default: "friendly" },
    { name: "items", type: "array", description: "", required: false, default: null },
    { name: "count", type: "integer", description: "", required: false, default: null },
    { name: "score", type: "number", description: "", required: false, default: null },
  ];
  const ok = checkVariables(p, { customer_name: "Ada", count: 3.0, score: 2, plan: "pro", zeta: 1 });
  assert.ok(ok.ok);
  assert.equal(ok.checked.values["tone"], "friendly");
  assert.equal(ok.checked.values["items"], null);
  assert.deepEqual(ok.checked.ignored, ["plan", "zeta"]);
  const bad = checkVariables(p, { count: "three", items: {} });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems, [
    { field: "variables.customer_name", message: "is required" },
    { field: "variables.items", message: "must be an array, got object" },
    { field: "variables.count", message: "must be an integer, got string" },
  ]);
  const nul = checkVariables(p, { customer_name: null });
  assert.ok(!nul.ok && nul.problems[0]!.message === "is required");
});

test("SSE events split across chunks and line ends are parsed, and an id-only message moves the last id", () => {
  const p = new SseParser();
  const got = p.feed(": heartbeat\n\nid: 7\nevent: x\nda");
  assert.equal(got.length, 0);
  got.push(...p.feed('ta: {"a":\r'), ...p.feed("\ndata: 1}\r\n\r\nid:8\rdata:z\r\r"));
  assert.equal(p.lastId, "8");
  assert.deepEqual(got, [
    { id: "7", event: "x", data: '{"a":\n1}' },
    { id: "8", event: undefined, data: "z" },
  ]);
  assert.deepEqual(p.feed("id: 12\n\n"), []);
  assert.equal(p.lastId, "12");
  assert.throws(() => p.feed("a".repeat((1 << 20) + 1)), /longer than/);
});

test("local arithmetic is the forge's: integers stay integers, floats are decimal and print as floats", async () => {
  const cases: [string, string][] = [
    ["{{ 10.1 | plus: 2.2 }}", "12.3"],
    ["{{ 10.1 | modulo: 7.0 }}", "3.1"],
    ["{{ '5.0' | times: '2.1' }}", "10.5"],
    ["{{ 'foo' | minus: '2.0' }}", "-2.0"],
    ["{{ 9 | divided_by: 2 }} {{ -9 | divided_by: 2 }} {{ -7 | modulo: 3 }}", "4 -5 2"],
    ["{{ 20 | divided_by: 7.0 }}", "2.857142857142857"],
    ["{{ 5.666 | round: 2 }} {{ 2.5 | round }} {{ -2.5 | round }} {{ 4 | round: 2 }}", "5.67 3 -3 4"],
    ["{{ 1.5 | ceil }} {{ 1.5 | floor }} {{ -1.5 | abs }} {{ 3 | at_least: 4.0 }}", "2 1 1.5 4.0"],
  ];
  const engine = new LocalEngine([
    {
      project: "p",
      slug: "s",
      name: "S",
      description: "",
      version: { label: "1.0.0", description: "", created_at: "", checksum: "" },
      dependencies: [],
      prompts: Object.fromEntries(cases.map(([t], i) => [`c${i}`, { name: "c", description: "", template: t, parameters: [], metadata: {}, examples: {} }])),
    },
  ]);
  for (const [i, [t, want]] of cases.entries()) assert.equal(await engine.render(`c${i}`, {}), want, t);
  await assert.rejects(engine.render("nope", {}), /./);
  assert.deepEqual([1, 1.23, 1e20, 1.5e-7, 0.0001, -2.5, 0].map(formatFloat), ["1.0", "1.23", "1e+20", "1.5e-07", "0.0001", "-2.5", "0.0"]);
});
