// Builds the client with esbuild:
//   dist/ruhu.mjs                      ES module (tus-js-client not bundled: pass it in)
//   ../../server/mobile/static/ruhu.js the same as a script (global Ruhu), embedded by /m/
//   ../../server/mobile/static/tus.js  tus-js-client's browser build (global tus), loaded by /m/ for photos
// `node build.mjs --check` writes dist/ but only compares the embedded
// files with a fresh build, failing when they differ (run by the tests).
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const mobile = join(here, "..", "..", "server", "mobile", "static");
const check = process.argv.includes("--check");

const common = { bundle: true, minify: true, target: "es2020", legalComments: "none", write: false, logLevel: "error" };
const outputs = [
  [join(here, "dist", "ruhu.mjs"), { ...common, entryPoints: [join(here, "src", "index.ts")], format: "esm", platform: "neutral" }],
  [join(mobile, "ruhu.js"), { ...common, entryPoints: [join(here, "src", "index.ts")], format: "iife", globalName: "Ruhu", platform: "browser" }],
  [join(mobile, "tus.js"), { ...common, stdin: { contents: 'export * from "tus-js-client";', resolveDir: here }, format: "iife", globalName: "tus", platform: "browser" }],
];

let stale = [];
for (const [file, opts] of outputs) {
  const res = await esbuild.build(opts);
  const text = res.outputFiles[0].text;
  if (check && file.startsWith(mobile)) {
    let have = "";
    try {
      have = readFileSync(file, "utf8");
    } catch {}
    if (have !== text) stale.push(file);
    continue;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`${file.slice(here.length - "clientsdk/js".length)}: ${text.length} bytes`);
}
if (stale.length) {
  console.error("stale build, run `npm run build` in clientsdk/js: " + stale.join(", "));
  process.exit(1);
}
