// A value the server would refuse is refused offline with the same code.
// Each case is tried twice: by a client holding GET /v1/schema (refused
// offline, nothing queued), and by a client without it, whose push the
// server answers. Both must agree, for refusals and for acceptances.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, uniqueId, PASSWORD } from "./server.mjs";
import { RuhuClient, RuhuError, fetchRequest, memoryStorage, Validator } from "../dist/ruhu.mjs";

let srv;
before(async () => (srv = await startServer()));
after(async () => srv?.stop());

/** oracle is a client without the schema: it queues anything and the server judges. */
async function oracle() {
  const real = fetchRequest();
  const request = (req) => (req.url.includes("/v1/schema") ? Promise.resolve({ status: 404, headers: {}, body: "" }) : real(req));
  const c = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage(), request });
  await c.login("worker1", PASSWORD);
  assert.equal(c.schema(), undefined);
  return c;
}

const deep = (n) => (n === 0 ? "x" : [deep(n - 1)]);
const han = (n) => "张".repeat(n);
const wrongCheck = (id) => id.slice(0, 17) + (id[17] === "0" ? "1" : "0");

test("offline refusals match the server's, code for code", async () => {
  const offline = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage() });
  await offline.login("worker1", PASSWORD);
  assert.ok(offline.schema()?.collections?.households, "the schema was fetched at login");
  const server = await oracle();

  // A household both know, for members, investigations and updates.
  const hh = await server.create("households", { unit_id: "t1-v1", head_name: "吴五", head_id_number: uniqueId(), address: "东村5号" });
  const inv = await server.create("investigations", { household_id: hh, date: "2024-03-18" });
  await server.sync();
  await offline.sync();
  assert.ok(await offline.get("households", hh));

  const good = () => ({ unit_id: "t1-v1", head_name: "郑六", head_id_number: uniqueId(), address: "东村6号" });
  const cases = [
    // [name, collection, id (null: a new record), fields, expected code ("" accepted)]
    ["bad check digit", "households", null, { ...good(), head_id_number: wrongCheck(uniqueId()) }, "invalid_id_number"],
    ["ID with a lower-case x", "households", null, { ...good(), head_id_number: "11010519491231002x" }, "invalid_id_number"],
    ["ID with 31 February", "households", null, { ...good(), head_id_number: "110105194902310021" }, "invalid_id_number"],
    ["missing address", "households", null, (({ address, ...f }) => f)(good()), "missing_field"],
    ["unknown field", "households", null, { ...good(), favourite_colour: "red" }, "unknown_field"],
    ["category not in the enum", "households", null, { ...good(), category: "rich" }, "invalid_field"],
    ["101 characters", "households", null, { ...good(), head_name: han(101) }, "invalid_field"],
    ["100 characters (300 bytes)", "households", null, { ...good(), head_name: han(100) }, ""],
    ["30 February", "households", null, { ...good(), application_date: "2024-02-30" }, "invalid_field"],
    ["29 February of a leap year", "households", null, { ...good(), application_date: "2024-02-29" }, ""],
    ["unit id with a space", "households", null, { ...good(), unit_id: "t1 v1" }, "invalid_field"],
    ["21 causes", "households", null, { ...good(), causes: Array(21).fill("病") }, "invalid_field"],
    ["notes as a number", "households", null, { ...good(), notes: 5 }, "invalid_field"],
    ["single_person as a string", "households", null, { ...good(), single_person: "yes" }, "invalid_field"],
    ["nested 5 deep", "households", null, { ...good(), causes: [deep(4)] }, "invalid_field"],
    ["nested 4 deep", "households", null, { ...good(), causes: [deep(3)] }, ""],
    ["a 2001-byte string inside an array", "households", null, { ...good(), causes: ["a".repeat(2001)] }, "invalid_field"],
    ["disability grade 5", "members", null, { household_id: hh, name: "郑七", id_number: uniqueId(), relation: "子", disability_grade: 5 }, "invalid_field"],
    ["disability grade 2.5", "members", null, { household_id: hh, name: "郑七", id_number: uniqueId(), relation: "子", disability_grade: 2.5 }, "invalid_field"],
    ["disability grade 4", "members", null, { household_id: hh, name: "郑八", id_number: uniqueId(), relation: "女", disability_grade: 4 }, ""],
    ["negative income", "investigations", null, { household_id: hh, per_capita_income: -1 }, "invalid_field"],
    ["time without a zone", "signatures", null, { investigation_id: inv, key_id: "k", content_hash: "h", signature: "s", signed_at: "2024-03-18T09:41:07" }, "invalid_field"],
    ["a bad record id", "households", "bad id", good(), "invalid_record_id"],
    ["clearing a required field", "households", hh, { head_name: null }, "missing_field"],
    ["clearing an optional field", "households", hh, { notes: null, contact_phone: "13800000000" }, ""],
  ];
  const ids = [];
  for (const [name, coll, fixed, fields, want] of cases) {
    const id = fixed ?? offline.newId();
    ids.push(id);
    const before = (await offline.outbox()).length;
    let got = "";
    try {
      await offline.upsert(coll, id, fields);
    } catch (e) {
      assert.ok(e instanceof RuhuError, `${name}: ${e}`);
      got = e.code;
    }
    assert.equal(got, want, `${name}: offline`);
    assert.equal((await offline.outbox()).length, before + (want ? 0 : 1), `${name}: queued only when valid`);
    await server.upsert(coll, id, fields);
    if (fixed) await server.sync(); // edits of one record would join into one mutation
  }
  await server.sync();
  const rejected = await server.rejections();
  cases.forEach(([name, coll, , fields, want], i) => {
    const rj = rejected.find((r) => r.id === ids[i] && r.collection === coll && JSON.stringify(r.fields) === JSON.stringify(fields));
    assert.equal(rj?.code ?? "", want, `${name}: the server's answer (${rj?.message ?? "accepted"})`);
  });
  const offRep = await offline.sync();
  assert.deepEqual(offRep.rejected, [], "nothing the offline client queued was refused");
});

test("a county-defined field reaches the schema and is checked offline like on the server", async () => {
  const admin = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage() });
  await admin.login("admin", PASSWORD);
  await admin.call("POST", "/v1/admin/fields", { collection: "households", name: "housing", type: "enum", title: "住房类型", enum: ["brick", "earth"] });

  const c = new RuhuClient({ baseUrl: srv.url, storage: memoryStorage() });
  await c.login("worker1", PASSWORD);
  const p = c.schema().collections.households.properties.housing;
  assert.equal(p.title, "住房类型");
  assert.equal(p["x-ruhu-extra"], true);
  const f = { unit_id: "t1-v1", head_name: "冯九", head_id_number: uniqueId(), address: "东村9号" };
  await assert.rejects(c.create("households", { ...f, housing: "tent" }), (e) => e.code === "invalid_field" && e.field === "housing");
  const id = await c.create("households", { ...f, housing: "earth" });
  assert.equal((await c.sync()).applied, 1);
  assert.equal((await c.get("households", id)).fields.housing, "earth");

  const server = await oracle();
  await server.create("households", { ...f, head_id_number: uniqueId(), housing: "tent" });
  assert.equal((await server.sync()).rejected[0]?.code, "invalid_field");
});

test("the validator alone: codes come from x-ruhu-codes", () => {
  const v = new Validator({ version: "x", "x-ruhu-codes": { "*": "bad", required: "need", "format:id-number": "idno", additionalProperties: "extra" },
    collections: { c: { type: "object", properties: { a: { type: "string", maxLength: 2 }, n: { type: "string", format: "id-number" } }, required: ["a"], additionalProperties: false } } });
  assert.deepEqual(v.check("c", "r1", { a: "abc" }, true).map((e) => e.code), ["bad"]);
  assert.deepEqual(v.check("c", "r1", {}, true).map((e) => e.code), ["need"]);
  assert.deepEqual(v.check("c", "r1", { a: "ok", n: "123" }, true).map((e) => e.code), ["idno"]);
  assert.deepEqual(v.check("c", "r1", { a: "ok", z: 1 }, true).map((e) => e.code), ["extra"]);
  assert.deepEqual(v.check("c", "r1", { a: "ok" }, true), []);
});
