/**
 * The cache on disk (Node only), in the Rust SDK's format so either SDK and `anvil sync` can
 * read what the other wrote: one JSON file per set version (a bundle entry, checksum
 * included) under `sets/`, named `<project>__<set>@<label>.json`, and `index.json` mapping
 * each `project/set@spec` asked for to the label it last resolved to. Files are written to a
 * temporary name and renamed into place, so a crash never leaves half a file; a file that does
 * not read or verify is reported and ignored.
 *
 * Node's modules are imported only when a directory is configured, so a browser build never
 * needs them.
 */

import { contentChecksum, normaliseBundleSet, type BundleSet } from "./snapshot.js";

type Fs = typeof import("node:fs/promises");
type Path = typeof import("node:path");

export interface OnDisk {
  sets: BundleSet[];
  /** `project/set@spec` → label. */
  index: Record<string, string>;
  /** Files that could not be used, with why. */
  problems: string[];
}

function fileName(set: BundleSet): string {
  return `${set.project}__${set.slug}@${set.version.label}.json`;
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

let tmpCounter = 0;

export class Store {
  /** One save at a time: the index is read, changed and written back. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly fs: Fs,
    private readonly path: Path,
  ) {}

  static async open(dir: string): Promise<Store> {
    const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
    if (!isNode) throw new Error("persistenceDir needs Node (browsers keep the cache in memory)");
    const [fs, path] = await Promise.all([import("node:fs/promises"), import("node:path")]);
    return new Store(dir, fs, path);
  }

  private async writeAtomic(file: string, text: string): Promise<void> {
    tmpCounter += 1;
    const tmp = `${file.replace(/\.json$/, "")}.tmp-${process.pid}-${tmpCounter}`;
    await this.fs.writeFile(tmp, text);
    await this.fs.rename(tmp, file);
  }

  /** Reads what an earlier run left. Never fails: what cannot be read is reported. */
  async load(): Promise<OnDisk> {
    const out: OnDisk = { sets: [], index: {}, problems: [] };
    const setsDir = this.path.join(this.dir, "sets");
    let names: string[] = [];
    try {
      names = await this.fs.readdir(setsDir);
    } catch {
      // Nothing persisted yet.
    }
    for (const name of names.sort()) {
      if (!name.endsWith(".json")) continue;
      const file = this.path.join(setsDir, name);
      try {
        const set = normaliseBundleSet(JSON.parse(await this.fs.readFile(file, "utf8")), name);
        if ((await contentChecksum(set)) !== set.version.checksum) {
          throw new Error("its content does not match its checksum");
        }
        out.sets.push(set);
      } catch (e) {
        out.problems.push(`${file}: ${why(e)}`);
      }
    }
    const indexFile = this.path.join(this.dir, "index.json");
    let text: string | undefined;
    try {
      text = await this.fs.readFile(indexFile, "utf8");
    } catch {
      // No index yet.
    }
    if (text !== undefined) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          throw new Error("expected an object of address → label");
        }
        for (const [k, v] of Object.entries(parsed)) {
          if (typeof v !== "string") throw new Error(`${k}: expected a label`);
          out.index[k] = v;
        }
      } catch (e) {
        out.problems.push(`${indexFile}: ${why(e)}`);
      }
    }
    return out;
  }

  /** Saves the sets of one answer and what `key` resolved to. A failure is the caller's to report. */
  save(key: string, label: string, sets: readonly BundleSet[]): Promise<void> {
    const run = this.saving.then(() => this.saveNow(key, label, sets));
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async saveNow(key: string, label: string, sets: readonly BundleSet[]): Promise<void> {
    const setsDir = this.path.join(this.dir, "sets");
    await this.fs.mkdir(setsDir, { recursive: true });
    for (const s of sets) {
      const file = this.path.join(setsDir, fileName(s));
      const exists = await this.fs.access(file).then(
        () => true,
        () => false,
      );
      if (!exists) await this.writeAtomic(file, JSON.stringify(s, null, 2));
    }
    const indexFile = this.path.join(this.dir, "index.json");
    let index: Record<string, string> = {};
    try {
      const parsed: unknown = JSON.parse(await this.fs.readFile(indexFile, "utf8"));
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) index = parsed as Record<string, string>;
    } catch {
      // Missing or damaged: written afresh.
    }
    if (index[key] !== label) {
      index[key] = label;
      // Sorted, as the Rust SDK writes it, so the two produce the same file.
      const sorted: Record<string, string> = {};
      for (const k of Object.keys(index).sort()) sorted[k] = index[k]!;
      await this.writeAtomic(indexFile, JSON.stringify(sorted, null, 2));
    }
  }
}
