// Bundles the editor once into ../src/http/web/assets (committed), and copies htmx there, so
// neither building nor running Anvil needs node. Run `npm ci && npm run build` after changing
// anything under src/ or a dependency, and commit the output.
import { build } from "esbuild";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const out = new URL("../src/http/web/assets/", import.meta.url).pathname;

await build({
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",
  outfile: out + "editor.js",
  logLevel: "info",
});
copyFileSync("node_modules/htmx.org/dist/htmx.min.js", out + "htmx.min.js");

// Precompressed bodies of every asset (the server sends them as they are, by Accept-Encoding).
// The server's tests check that each one still decompresses to its asset.
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
for (const name of ["anvil.css", "anvil.js", "theme.js", "editor.js", "htmx.min.js"]) {
  const bytes = readFileSync(out + name);
  // mtime 0 in the header (node writes none), so the output depends on the input alone.
  writeFileSync(out + name + ".gz", gzipSync(bytes, { level: 9 }));
  writeFileSync(out + name + ".br", brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
}
