/**
 * Rendering a cached set without the forge, with LiquidJS set up to behave as the forge's
 * engine does (anvil-core + anvil-liquid), for when the forge cannot be reached:
 *
 * - strict like the forge: a name that is neither a declared parameter, an assigned variable
 *   nor a loop variable is an error, except as the input of a `default` filter; a missing
 *   property of a defined object is nil, as on the forge;
 * - `{% render 'footer' %}` reaches the prompts of the same set, `{% render 'common/tone/sign' %}`
 *   a prompt of a pinned dependency, and a bare name inside a dependency's prompt means that
 *   dependency's prompt; partials see the top prompt's variables, as on the forge;
 * - only the forge's filters (Shopify Liquid 5's and `json`), plus the forge's `h`,
 *   `base64_url_safe_*`, `ifchanged` and `forloop.parentloop`; the forge's arithmetic
 *   (integers stay integers, decimal float arithmetic, `12.0` printed as such); sizes in
 *   characters; hashes printed as the forge prints them; dates in UTC; the forge's output limit.
 *
 * What still differs is listed in the README (measured by the agreement test).
 */

import { Drop, ForTag, Liquid, Tag, toValue } from "liquidjs";
import type { Context, Emitter, FS, Parser, TagToken, Template, TopLevelToken } from "liquidjs";

import type { Json } from "./canonical.js";
import { Float, formatFloat, MATH_FILTERS } from "./numbers.js";
import type { BundleSet } from "./snapshot.js";

/** The forge's largest output, in bytes. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Filters the forge's engine has; LiquidJS's others are refused at parse time, as there. */
const FORGE_FILTERS = new Set(
  (
    "abs append at_least at_most base64_decode base64_encode base64_url_safe_decode base64_url_safe_encode " +
    "capitalize ceil compact concat date default divided_by downcase escape escape_once find find_index first " +
    "floor h has join json last lstrip map minus modulo newline_to_br plus prepend reject remove remove_first " +
    "remove_last replace replace_first replace_last reverse round rstrip size slice sort sort_natural split strip " +
    "strip_html strip_newlines sum times truncate truncatewords uniq upcase url_decode url_encode where"
  ).split(" "),
);

/** Tags LiquidJS has and the forge does not. */
const NOT_FORGE_TAGS = ["layout", "block"];

/** An undefined name, as LiquidJS's own strict mode reports it, so `default` (with `lenientIf`) can catch it. */
class UndefinedName extends Error {
  constructor(readonly variableName: string) {
    super(`undefined variable '${variableName}'`);
    this.name = "InternalUndefinedVariableError";
  }
}

/**
 * What a name resolves to when no scope has it: the top prompt's variables (so partials see
 * them, as on the forge), else an error naming it.
 */
class Globals extends Drop {
  constructor(values: Record<string, Json>) {
    super();
    Object.assign(this, values);
  }

  override liquidMethodMissing(key: string): never {
    throw new UndefinedName(key);
  }
}

/** Ruby's `inspect`, which the forge uses to print a hash. */
function inspect(v: unknown): string {
  if (v instanceof Float) return formatFloat(v.n);
  v = toValue(v);
  if (v === null || v === undefined) return "nil";
  if (typeof v === "string") return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t")}"`;
  if (Array.isArray(v)) return `[${v.map(inspect).join(", ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${inspect(k)}=>${inspect(x)}`).join(", ")}}`;
  }
  return String(v);
}

/** A value as the forge writes it into the output. */
function output(v: unknown): string {
  if (v instanceof Float) return formatFloat(v.n);
  v = toValue(v);
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(output).join("");
  if (typeof v === "object") return inspect(v);
  return String(v);
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** The forge's `escape` (`"` as `&quot;`, where LiquidJS writes `&#34;`). */
function escapeHtml(input: unknown): string {
  return output(input).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Escapes like `escape`, leaving existing entities (`&amp;`, `&#39;`) alone. */
function escapeOnce(input: unknown): string {
  return output(input).replace(/&(?![A-Za-z]+;|#[0-9]+;)|[<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function base64UrlSafe(encode: boolean) {
  return function (this: unknown, input: unknown): string {
    const s = output(input);
    if (encode) {
      let bin = "";
      for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
      return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_");
    }
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  };
}

/** `{% ifchanged %}...{% endifchanged %}`: the body only when it differs from the last time. */
class IfChangedTag extends Tag {
  private readonly templates: Template[] = [];

  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid, parser: Parser) {
    super(token, remain, liquid);
    while (remain.length) {
      const t = remain.shift()!;
      if ((t as TagToken).name === "endifchanged") return;
      this.templates.push(parser.parseToken(t, remain));
    }
    throw new Error(`tag ${token.getText()} not closed`);
  }

  *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
    const html = (yield this.liquid.renderer.renderTemplates(this.templates, ctx)) as string;
    const last = ctx.getRegister("anvil:ifchanged", { value: undefined as string | undefined });
    if (last.value !== html) {
      last.value = html;
      emitter.write(html);
    }
  }
}

/** The `forloop` of the innermost running loop, if any. */
function currentForloop(ctx: Context): unknown {
  // LiquidJS keeps its scopes private; the loop's drop sits in the scope it pushed.
  const scopes = (ctx as unknown as { scopes: Record<string, unknown>[] }).scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    if (scope && "forloop" in scope) return scope["forloop"];
  }
  return undefined;
}

/** `for` with the forge's `forloop.parentloop`. */
class ForWithParentTag extends ForTag {
  override *render(ctx: Context, emitter: Emitter): Generator<unknown, void | string, unknown> {
    const parent = currentForloop(ctx);
    const push = ctx.push;
    if (parent !== undefined) {
      // The loop pushes a scope for `continue` first, then the one holding its `forloop`.
      ctx.push = (scope: Record<string, unknown>) => {
        const forloop = scope["forloop"];
        if (forloop && typeof forloop === "object") {
          ctx.push = push;
          (forloop as Record<string, unknown>)["parentloop"] = parent;
        }
        return push.call(ctx, scope);
      };
    }
    try {
      return (yield* super.render(ctx, emitter) as Generator<unknown, void | string, unknown>) as void | string;
    } finally {
      ctx.push = push;
    }
  }
}

/** Templates by qualified name (`project/set/prompt`), read by LiquidJS as its file system. */
function memoryFs(templates: Map<string, string>): FS {
  return {
    exists: async (f) => templates.has(f),
    existsSync: (f) => templates.has(f),
    readFile: async (f) => templates.get(f) ?? "",
    readFileSync: (f) => templates.get(f) ?? "",
    resolve: (_dir, file) => file,
    contains: async () => true,
    containsSync: () => true,
    sep: "/",
    dirname: (f) => f.slice(0, f.lastIndexOf("/")),
  };
}

/** LiquidJS with the forge's partial names: bare names qualified with the set of the prompt that wrote them. */
class ForgeLiquid extends Liquid {
  constructor(
    private readonly top: string,
    templates: Map<string, string>,
  ) {
    super({
      fs: memoryFs(templates),
      root: ["/"],
      partials: ["/"],
      relativeReference: false,
      extname: "",
      cache: true,
      strictFilters: true,
      strictVariables: false,
      lenientIf: true,
      ownPropertyOnly: true,
      jsTruthy: false,
      dynamicPartials: true,
      timezoneOffset: 0,
      outputEscape: output,
      greedy: true,
    });
    for (const name of Object.keys(this.filters)) if (!FORGE_FILTERS.has(name)) this.unregisterFilter(name);
    for (const name of NOT_FORGE_TAGS) delete this.tags[name];
    this.registerFilter("escape", escapeHtml);
    this.registerFilter("h", escapeHtml);
    this.registerFilter("escape_once", escapeOnce);
    this.registerFilter("base64_url_safe_encode", base64UrlSafe(true));
    this.registerFilter("base64_url_safe_decode", base64UrlSafe(false));
    for (const [name, f] of Object.entries(MATH_FILTERS)) this.registerFilter(name, f);
    // The forge counts characters (code points), not UTF-16 units.
    this.registerFilter("size", (v: unknown) => {
      const x = toValue(v);
      if (typeof x === "string") return [...x].length;
      if (Array.isArray(x)) return x.length;
      if (x && typeof x === "object") return Object.keys(x).length;
      return 0;
    });
    this.registerFilter(
      "json",
      (v: unknown) => JSON.stringify(toValue(v), (_k, x: unknown) => (x instanceof Float ? x.n : x)) ?? "null",
    );
    this.registerTag("ifchanged", IfChangedTag);
    this.registerTag("for", ForWithParentTag);
  }

  override _parsePartialFile(file: string, sync?: boolean, currentFile?: string) {
    let name = file;
    if (!file.includes("/")) {
      const from = currentFile && currentFile.includes("/") ? currentFile.slice(0, currentFile.lastIndexOf("/")) : this.top;
      name = `${from}/${file}`;
    }
    return super._parsePartialFile(name, sync, currentFile);
  }
}

/** The local engine for one loaded set: its prompts and its dependencies' prompts. */
export class LocalEngine {
  private readonly liquid: ForgeLiquid;
  private readonly templates = new Map<string, string>();
  private readonly parsed = new Map<string, Template[]>();
  private readonly top: string;

  constructor(entries: readonly BundleSet[]) {
    const first = entries[0];
    this.top = first ? `${first.project}/${first.slug}` : "";
    for (const e of entries) {
      for (const [slug, p] of Object.entries(e.prompts)) this.templates.set(`${e.project}/${e.slug}/${slug}`, p.template);
    }
    this.liquid = new ForgeLiquid(this.top, this.templates);
  }

  /** Renders prompt `slug` of the top set with variables already checked against its parameters. */
  async render(slug: string, values: Record<string, Json>): Promise<string> {
    const name = `${this.top}/${slug}`;
    let tpl = this.parsed.get(name);
    if (!tpl) {
      const source = this.templates.get(name);
      if (source === undefined) throw new Error(`no prompt '${slug}' in ${this.top}`);
      tpl = this.liquid.parse(source, name);
      this.parsed.set(name, tpl);
    }
    const text = String(await this.liquid.render(tpl, values, { globals: new Globals(values) }));
    if (new TextEncoder().encode(text).length > MAX_OUTPUT_BYTES) {
      throw new Error(`output is larger than ${MAX_OUTPUT_BYTES} bytes`);
    }
    return text;
  }
}
