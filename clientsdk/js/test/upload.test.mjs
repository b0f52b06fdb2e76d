// Photo upload with tus-js-client: a connection cut in the middle of a
// PATCH leaves a partial upload that the next run (a new client on the same
// storage) resumes from the server's offset instead of starting again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync } from "node:fs";
import { createServer, connect } from "node:net";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tus from "tus-js-client";
import { startServer, fileStorage, uniqueId, repoRoot, PASSWORD } from "./server.mjs";
import { RuhuClient, fetchRequest, memoryStorage } from "../dist/ruhu.mjs";

let srv, proxy;
before(async () => {
  srv = await startServer();
  proxy = await cuttingProxy(srv.port);
});
after(async () => {
  proxy?.close();
  await srv?.stop();
});

/**
 * cuttingProxy forwards TCP to the server; once armed, it cuts both
 * connections after `after` bytes of PATCH request data went through.
 */
function cuttingProxy(port) {
  const p = { armed: false, after: 0, cuts: 0, sockets: new Set() };
  const server = createServer((client) => {
    const up = connect(port, "127.0.0.1");
    p.sockets.add(client).add(up);
    let inPatch = false;
    let patchBytes = 0;
    client.on("data", (d) => {
      if (d.subarray(0, 6).toString() === "PATCH ") inPatch = true;
      else if (/^(HEAD|POST|GET) /.test(d.subarray(0, 5).toString())) inPatch = false;
      if (p.armed && inPatch) {
        patchBytes += d.length;
        p.total = (p.total ?? 0) + d.length;
        if (p.total > p.after) {
          const keep = d.length - (p.total - p.after);
          up.write(d.subarray(0, Math.max(keep, 0)), () => {
            p.armed = false;
            p.cuts++;
            up.destroy();
            client.destroy();
          });
          return;
        }
      }
      up.write(d);
    });
    up.on("data", (d) => client.write(d));
    const end = () => (client.destroy(), up.destroy());
    client.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  return new Promise((res) => server.listen(0, "127.0.0.1", () => {
    p.url = `http://127.0.0.1:${server.address().port}`;
    p.close = () => {
      for (const s of p.sockets) s.destroy();
      server.close();
    };
    res(p);
  }));
}

const photo = readFileSync(join(repoRoot, "docs", "tour", "commitment.jpg"));
const sha = createHash("sha256").update(photo).digest("hex");

function counting(real = fetchRequest()) {
  const seen = { patchBytes: 0, heads: 0, posts: 0 };
  const request = async (req) => {
    if (req.method === "PATCH") seen.patchBytes += req.body?.length ?? 0;
    if (req.method === "HEAD") seen.heads++;
    if (req.method === "POST" && req.url.includes("/v1/uploads")) seen.posts++;
    return real(req);
  };
  return { seen, request };
}

test("a cut upload resumes from the server's offset after a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ruhu-upload-"));
  const first = counting();
  const a = new RuhuClient({ baseUrl: proxy.url, storage: await fileStorage(dir), tus, chunkSize: 1024, retryDelays: null, request: first.request });
  await a.login("worker1", PASSWORD);
  const hh = await a.create("households", { unit_id: "t1-v1", head_name: "孙三", head_id_number: uniqueId(), address: "东村3号" });
  await a.sync();
  await a.addPhoto(hh, "commitment", new Uint8Array(photo), "commitment.jpg");

  proxy.armed = true;
  proxy.total = 0;
  proxy.after = 3600; // inside the third 1 KiB PATCH (each carries ~300 bytes of headers)
  await assert.rejects(a.uploadPhotos(), (e) => e.code === "unreachable");
  assert.equal(proxy.cuts, 1, "the connection was cut");
  assert.equal((await a.photos())[0].status, "queued");
  assert.ok(first.seen.patchBytes >= 2048 && first.seen.patchBytes < photo.length, `first run sent ${first.seen.patchBytes}`);

  const second = counting();
  const b = new RuhuClient({ baseUrl: proxy.url, storage: await fileStorage(dir), tus, chunkSize: 1024, request: second.request });
  const rep = await b.sync();
  assert.equal(rep.photosUploaded, 1, JSON.stringify(rep));
  assert.equal(second.seen.posts, 0, "no new upload was created");
  assert.ok(second.seen.heads >= 1, "the offset was asked with HEAD");
  assert.ok(second.seen.patchBytes <= photo.length - 2048, `the second run sent ${second.seen.patchBytes} of ${photo.length} bytes`);
  assert.deepEqual(await b.photos(), [], "nothing left queued");

  const filed = await b.list("photos", (p) => p.fields.household_id === hh);
  assert.equal(filed.length, 1);
  assert.equal(filed[0].fields.sha256 ?? filed[0].id, sha);
  const res = await fetch(`${srv.url}/v1/photos/${sha}/original`, { headers: { authorization: await b.authorization() } });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), photo, "the stored photo is the bytes sent");
});

test("a photo the server refuses is marked with its code", async () => {
  const c = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage(), tus });
  await c.login("worker1", PASSWORD);
  const hh = await c.create("households", { unit_id: "t1-v1", head_name: "周四", head_id_number: uniqueId(), address: "东村4号" });
  await c.sync();
  await c.addPhoto(hh, "house", new TextEncoder().encode("not a picture at all"), "x.jpg");
  const rep = await c.sync();
  assert.equal(rep.photosRejected, 1);
  assert.equal((await c.photos())[0].status, "rejected");
  assert.equal((await c.photos())[0].code, "not_an_image");
});
