// The light client must stay under 30 KB minified (issue #12). tus-js-client
// is not part of it: the app passes it in and loads it only for photos.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

const LIMIT = 30 * 1024;

test("the minified client is under 30 KB", async () => {
  const res = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
    bundle: true, minify: true, format: "esm", platform: "neutral", target: "es2020", write: false, legalComments: "none",
  });
  const size = res.outputFiles[0].contents.length;
  console.log(`client: ${size} bytes minified (limit ${LIMIT})`);
  assert.ok(size > 5000, `a ${size}-byte bundle cannot be the whole client`);
  assert.ok(size < LIMIT, `the client is ${size} bytes minified, over ${LIMIT}`);
  assert.ok(!res.outputFiles[0].text.includes("DetailedError"), "tus-js-client must not be bundled into the client");
});

test("the page's embedded scripts are a fresh build", async () => {
  const { execFileSync } = await import("node:child_process");
  execFileSync(process.execPath, [fileURLToPath(new URL("../build.mjs", import.meta.url)), "--check"], { stdio: "inherit" });
});
