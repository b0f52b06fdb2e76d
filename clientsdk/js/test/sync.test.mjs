// The outbox, push replay safety, JWT refresh and pull against a real
// ruhu server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, fileStorage, uniqueId, PASSWORD } from "./server.mjs";
import { RuhuClient, fetchRequest, memoryStorage } from "../dist/ruhu.mjs";

let srv;
before(async () => (srv = await startServer()));
after(async () => srv?.stop());

const household = (id) => ({ unit_id: "t1-v1", head_name: "赵大", head_id_number: id, address: "东村1号" });

async function loggedIn(user, opts = {}) {
  const c = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage(), ...opts });
  await c.login(user, PASSWORD);
  return c;
}

test("the outbox survives a restart (a new client on the same storage)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ruhu-store-"));
  const storage = await fileStorage(dir);
  const a = new RuhuClient({ baseUrl: srv.url, storage });
  await a.login("worker1", PASSWORD);
  const head = uniqueId();
  const hh = await a.create("households", household(head));
  await a.create("members", { household_id: hh, name: "赵大", id_number: head, relation: "户主" });
  await a.upsert("households", hh, { notes: "offline" }); // joins the unsent create
  const dev = a.deviceId;

  const b = new RuhuClient({ baseUrl: srv.url, storage: await fileStorage(dir) });
  const box = await b.outbox();
  assert.equal(box.length, 2, "two queued mutations after the restart");
  assert.deepEqual(box.map((e) => e.collection), ["households", "members"]);
  assert.equal(box[0].fields.notes, "offline");
  assert.ok(box[0].mutation_id < box[1].mutation_id);
  assert.equal((await b.user()).username, "worker1");
  const rep = await b.sync();
  assert.equal(b.deviceId, dev, "the device id is kept");
  assert.equal(rep.applied, 2, JSON.stringify(rep));
  assert.deepEqual(await b.outbox(), []);
  const got = await b.get("households", hh);
  assert.ok(got.version > 0 && got.fields.notes === "offline" && got.pending === 0);

  // Another device sees it; the counter keeps growing on the restarted one.
  const other = await loggedIn("worker2");
  await other.sync();
  assert.equal((await other.get("households", hh)).fields.head_name, "赵大");
  const c = new RuhuClient({ baseUrl: srv.url, storage: await fileStorage(dir) });
  await c.upsert("households", hh, { address: "东村2号" });
  assert.ok((await c.outbox())[0].mutation_id > box[1].mutation_id, "mutation ids never go back");
  assert.equal((await c.sync()).applied, 1);
});

test("a push whose answer was lost is replayed, not applied twice", async () => {
  let drop = 0;
  const real = fetchRequest();
  const request = async (req) => {
    const res = await real(req);
    if (drop > 0 && req.url.endsWith("/v1/sync/push")) {
      drop--;
      throw new Error("connection reset (answer lost)");
    }
    return res;
  };
  const a = await loggedIn("worker1", { request });
  const watcher = await loggedIn("worker2");
  const head = uniqueId();
  const hh = await a.create("households", household(head));
  await a.create("members", { household_id: hh, name: "赵大", id_number: head, relation: "户主" });
  drop = 1;
  await assert.rejects(a.sync(), (e) => e.code === "unreachable");
  assert.equal((await a.outbox()).length, 2, "the batch stays queued");
  assert.ok((await a.outbox()).every((e) => e.sent), "and is marked sent");

  await watcher.sync();
  const v1 = (await watcher.get("households", hh)).version;
  assert.ok(v1 > 0, "the server applied the lost push once");

  // An edit made meanwhile does not join the sent mutation.
  await a.upsert("households", hh, { notes: "after the cut" });
  assert.equal((await a.outbox()).length, 3);
  const rep = await a.sync();
  assert.equal(rep.replayed, 2, JSON.stringify(rep));
  assert.equal(rep.applied, 3);
  assert.deepEqual(await a.outbox(), []);
  await watcher.sync();
  const after = await watcher.get("households", hh);
  assert.equal(after.fields.notes, "after the cut");
  const members = await watcher.list("members", (m) => m.fields.household_id === hh);
  assert.equal(members.length, 1, "one member, not two");
  // The replay wrote nothing: the only write after v1 is the new edit.
  const conflicts = await watcher.conflicts("all");
  assert.ok(!conflicts.some((c) => c.record_id === hh), "the replay made no conflict");
});

test("the access token is refreshed, the refresh token rotated, and a reused one ends the session", async () => {
  let offset = 0;
  const storage = memoryStorage();
  const a = new RuhuClient({ baseUrl: srv.url, storage, now: () => Date.now() + offset });
  await a.login("worker1", PASSWORD);
  const st0 = JSON.parse(storage.data.get("ruhu:state"));
  const s0 = st0.sessions[st0.current];
  offset = 20 * 60_000; // 20 minutes later: the access token is dead
  await a.sync();
  const st1 = JSON.parse(storage.data.get("ruhu:state"));
  const s1 = st1.sessions[st1.current];
  assert.notEqual(s1.access, s0.access, "a new access token");
  assert.notEqual(s1.refresh, s0.refresh, "a new refresh token, stored");
  // An access token the server refuses (token_expired or invalid_token)
  // is refreshed once and the request retried.
  const st2 = JSON.parse(storage.data.get("ruhu:state"));
  st2.sessions[st2.current].access = "eyJhbGciOiJIUzI1NiJ9.e30.bm90LWEtcmVhbC1zaWduYXR1cmU";
  storage.data.set("ruhu:state", JSON.stringify(st2));
  const b = new RuhuClient({ baseUrl: srv.url, storage, now: () => Date.now() + offset });
  assert.equal((await b.conflicts()).constructor, Array, "the request went through after a refresh");
  const st3 = JSON.parse(storage.data.get("ruhu:state"));
  assert.notEqual(st3.sessions[st3.current].refresh, s1.refresh, "rotated again");
  assert.notEqual(st3.sessions[st3.current].access, st2.sessions[st2.current].access);
  // From here b is the app (one client per storage).
  // The old one is spent: presenting it is theft, and revokes the session.
  const res = await fetch(srv.url + "/v1/auth/refresh", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: s0.refresh }) });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, "refresh_token_reused");
  offset = 40 * 60_000;
  await b.upsert("households", b.newId(), household(uniqueId()));
  await assert.rejects(b.sync(), (e) => e.code === "relogin_required" || e.code === "session_revoked");
  assert.equal(await b.loggedIn(), false);
  assert.equal((await b.outbox()).length, 1, "queued work waits for the login");
  await b.login("worker1", PASSWORD);
  assert.equal((await b.sync()).applied, 1);
});

test("pull of one household, and conflicts between two devices", async () => {
  const a = await loggedIn("worker1");
  const h1 = await a.create("households", household(uniqueId()));
  const h2 = await a.create("households", household(uniqueId()));
  await a.create("members", { household_id: h1, name: "钱一", id_number: uniqueId(), relation: "配偶" });
  await a.sync();

  const b = await loggedIn("worker2");
  await b.pull({ householdId: h1 });
  assert.ok(await b.get("households", h1), "the household pulled");
  assert.equal((await b.list("members", (m) => m.fields.household_id === h1)).length, 1);
  assert.equal(await b.get("households", h2), undefined, "only that household");
  await b.sync();
  assert.ok(await b.get("households", h2), "the village pull brings the rest");

  // A light list: one page projected to two fields, stored nowhere.
  const page = await b.browse({ fields: ["head_name", "address"], limit: 5000 });
  const h2change = page.changes.find((c) => c.id === h2);
  assert.deepEqual(Object.keys(h2change.fields).sort(), ["address", "head_name"]);
  assert.ok(page.changes.every((c) => Object.keys(c.fields).every((k) => k === "head_name" || k === "address")));

  await a.upsert("households", h1, { address: "东村一号" });
  await b.upsert("households", h1, { address: "东村1号院" });
  assert.equal((await a.sync()).applied, 1);
  const rep = await b.sync();
  assert.equal(rep.conflicts, 1, JSON.stringify(rep));
  assert.ok((await b.get("households", h1)).meta.open_conflicts >= 1);
  const [cf] = (await b.conflicts()).filter((c) => c.record_id === h1);
  assert.equal(cf.client_value, "东村1号院");
  await b.resolve(cf.id, { choice: "client" });
  await b.sync();
  assert.equal((await b.get("households", h1)).fields.address, "东村1号院");
});
