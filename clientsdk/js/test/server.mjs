// Starts a real ruhu server for a test file: `ruhu demo` then `ruhu serve`
// on a free port with a temporary --data directory. RUHU_BIN names a built
// binary (the Go test js_test.go builds one); otherwise it is built here.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..", "..");
export const PASSWORD = "ruhu-demo-2026";

let built;
function binary() {
  if (process.env.RUHU_BIN) return process.env.RUHU_BIN;
  if (built) return built;
  const dir = join(tmpdir(), "ruhu-jsclient-bin");
  built = join(dir, "ruhu");
  execFileSync("go", ["build", "-o", built, "./server/cmd/ruhu"], { cwd: repoRoot, stdio: "inherit", env: { ...process.env, CGO_ENABLED: "0" } });
  return built;
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

/** startServer seeds the demo county and serves it; call stop() when done. */
export async function startServer() {
  const bin = binary();
  const data = mkdtempSync(join(tmpdir(), "ruhu-js-"));
  execFileSync(bin, ["demo", "--data", data], { stdio: "ignore" });
  const port = await freePort();
  const proc = spawn(bin, ["serve", "--data", data, "--addr", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout.on("data", (d) => (log += d));
  proc.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error("ruhu serve exited: " + log);
    try {
      if ((await fetch(url + "/readyz")).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error("ruhu serve did not become ready: " + log);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    data,
    log: () => log,
    async stop() {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on("exit", r)));
      if (existsSync(data)) rmSync(data, { recursive: true, force: true });
    },
  };
}

/** idNumber completes 17 digits with the GB 11643 check character. */
export function idNumber(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + "10X98765432"[sum % 11];
}

let seq = 0;
/** uniqueId is a fresh valid ID number for a test person. */
export function uniqueId() {
  seq++;
  const n = String((process.pid * 1000 + seq) % 1000).padStart(3, "0");
  const day = String(1 + (seq % 28)).padStart(2, "0");
  return idNumber(`5301211970${String(1 + ((seq >> 5) % 12)).padStart(2, "0")}${day}${n}`);
}

/**
 * fileStorage is a StorageAdapter over a directory (one file a key,
 * replaced atomically): what a restart of the app finds again.
 */
export async function fileStorage(dir) {
  const fs = await import("node:fs/promises");
  await fs.mkdir(dir, { recursive: true });
  const path = (k) => join(dir, encodeURIComponent(k));
  return {
    async getItem(k) {
      try {
        return await fs.readFile(path(k), "utf8");
      } catch {
        return null;
      }
    },
    async setItem(k, v) {
      const tmp = path(k) + ".tmp";
      await fs.writeFile(tmp, v);
      await fs.rename(tmp, path(k));
    },
    async removeItem(k) {
      await fs.rm(path(k), { force: true });
    },
  };
}
