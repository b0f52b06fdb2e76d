// Signatures (docs/signatures.md): RFC 8785 canonical JSON, SHA-256,
// Ed25519 over "ruhu-sig-v1:" + hash. WebCrypto Ed25519 where present; a
// runtime without it passes its own Signer.

import { base64, hex, sha256, utf8 } from "./sha256";

/** hasLoneSurrogate reports a string that cannot be canonicalized. */
function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * canonicalize writes v as RFC 8785 (JCS) text. It throws on values with
 * no canonical form (a non-finite number, a lone surrogate).
 */
export function canonicalize(v: unknown): string {
  if (v === null || typeof v !== "object") {
    if (typeof v === "number" && !isFinite(v)) throw new Error("canonicalize: non-finite number");
    if (typeof v === "string" && hasLoneSurrogate(v)) throw new Error("canonicalize: lone surrogate");
    if (v === undefined || typeof v === "function" || typeof v === "bigint") throw new Error("canonicalize: not JSON");
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return "[" + v.map(canonicalize).join(",") + "]";
  return (
    "{" +
    Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => canonicalize(k) + ":" + canonicalize((v as Record<string, unknown>)[k]))
      .join(",") +
    "}"
  );
}

/** contentHash is the lowercase hex SHA-256 of the record's canonical content. */
export async function contentHash(collection: string, id: string, fields: Record<string, unknown>): Promise<string> {
  const clean: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) if (fields[k] !== null && fields[k] !== undefined) clean[k] = fields[k];
  return hex(await sha256(utf8(canonicalize({ collection, id, fields: clean }))));
}

/** signedMessage is the 76 ASCII bytes a signature signs. */
export const signedMessage = (hash: string): string => "ruhu-sig-v1:" + hash;

/** keyId names a 32-byte Ed25519 public key. */
export async function keyId(publicKey: Uint8Array): Promise<string> {
  return "ed25519:" + hex((await sha256(publicKey)).subarray(0, 16));
}

/**
 * Signer makes Ed25519 keys and signatures. The seed (the RFC 8032 private
 * key) is kept by the client in its storage, like the Go client does.
 */
export interface Signer {
  /** generate returns a new 32-byte seed and its 32-byte public key. */
  generate(): Promise<{ seed: Uint8Array; publicKey: Uint8Array }>;
  /** publicKey derives the public key of a seed. */
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** sign returns the 64-byte pure Ed25519 signature of message. */
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
}

// PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

function pkcs8(seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(48);
  out.set(PKCS8_PREFIX);
  out.set(seed, 16);
  return out;
}

/** webCryptoSigner is a Signer over WebCrypto's Ed25519, or undefined without it. */
export function webCryptoSigner(): Signer | undefined {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) return undefined;
  const ed = { name: "Ed25519" };
  const priv = (seed: Uint8Array) => s.importKey("pkcs8", pkcs8(seed) as BufferSource, ed, true, ["sign"]);
  const signer: Signer = {
    async generate() {
      const seed = new Uint8Array(32);
      crypto.getRandomValues(seed);
      return { seed, publicKey: await signer.publicKey(seed) };
    },
    async publicKey(seed) {
      const jwk = await s.exportKey("jwk", await priv(seed));
      return b64url(jwk.x!);
    },
    async sign(seed, message) {
      return new Uint8Array(await s.sign(ed, await priv(seed), message as BufferSource));
    },
  };
  return signer;
}

function b64url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

/** signHash signs content_hash with seed: the base64 signature (88 characters). */
export async function signHash(signer: Signer, seed: Uint8Array, hash: string): Promise<string> {
  return base64(await signer.sign(seed, utf8(signedMessage(hash))));
}
