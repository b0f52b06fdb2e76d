// The golden signing vectors of syncproto/testdata reproduce byte for byte,
// with WebCrypto Ed25519 and with a Signer over Node's crypto.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, randomBytes } from "node:crypto";
import { join } from "node:path";
import { repoRoot } from "./server.mjs";
import * as R from "../dist/ruhu.mjs";

const vectors = JSON.parse(readFileSync(join(repoRoot, "syncproto", "testdata", "signature_vectors.json"), "utf8"));
const seed = R.fromHex(vectors.key.seed_hex);

/** nodeSigner is a Signer over Node's crypto (the tests' reference). */
export const nodeSigner = {
  async generate() {
    const s = new Uint8Array(randomBytes(32));
    return { seed: s, publicKey: await this.publicKey(s) };
  },
  async publicKey(s) {
    const k = createPublicKey(privKey(s)).export({ format: "der", type: "spki" });
    return new Uint8Array(k.subarray(k.length - 32));
  },
  async sign(s, msg) {
    return new Uint8Array(edSign(null, Buffer.from(msg), privKey(s)));
  },
};
function privKey(s) {
  return createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(s)]), format: "der", type: "pkcs8" });
}

test("the vector file has vectors", () => assert.ok(vectors.vectors.length >= 5));

for (const v of vectors.vectors) {
  test(`vector ${v.name}`, async () => {
    assert.equal(R.canonicalize({ collection: v.collection, id: v.id, fields: v.fields }), v.canonical);
    assert.equal(await R.contentHash(v.collection, v.id, v.fields), v.content_hash);
    assert.equal(R.hex(R.sha256Sync(R.utf8(v.canonical))), v.content_hash, "pure SHA-256");
    assert.equal(R.signedMessage(v.content_hash), v.signed_message);
    for (const [name, signer] of [["webcrypto", R.webCryptoSigner()], ["node", nodeSigner]]) {
      assert.equal(await R.signHash(signer, seed, v.content_hash), v.signature, name);
    }
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(vectors.key.public_key, "base64")]);
    const pub = createPublicKey({ key: spki, format: "der", type: "spki" });
    assert.ok(edVerify(null, Buffer.from(v.signed_message), pub, Buffer.from(v.signature, "base64")), "verifies");
  });
}

test("the key's id and public key", async () => {
  const w = R.webCryptoSigner();
  const pub = await w.publicKey(seed);
  assert.equal(R.base64(pub), vectors.key.public_key);
  assert.deepEqual(await nodeSigner.publicKey(seed), pub);
  assert.equal(await R.keyId(pub), vectors.key.key_id);
});

test("pure SHA-256 and base64 agree with Node on many lengths", () => {
  for (let n = 0; n < 300; n += 7) {
    const b = new Uint8Array(randomBytes(n));
    assert.equal(R.hex(R.sha256Sync(b)), createHash("sha256").update(b).digest("hex"), `length ${n}`);
    assert.equal(R.base64(b), Buffer.from(b).toString("base64"));
    assert.deepEqual(R.fromBase64(R.base64(b)), b);
  }
  const s = "户主张建国 😀 \u2028 é";
  assert.deepEqual(R.utf8(s), new Uint8Array(Buffer.from(s, "utf8")));
});

test("content with no canonical form is refused", () => {
  assert.throws(() => R.canonicalize({ a: "\ud800" }));
  assert.throws(() => R.canonicalize({ a: Infinity }));
});
