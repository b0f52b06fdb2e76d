// RuhuClient: the light client. It keeps records, an outbox of mutations
// and sessions in a StorageAdapter, and speaks the protocol of
// docs/protocol.md through a RequestAdapter. The Go clientsdk is the
// reference implementation; this one is its small subset for H5 pages and
// mini-programs.

import type * as tus from "tus-js-client";
import { defaultStorage, fetchRequest, type HttpResponse, type RequestAdapter, type StorageAdapter } from "./adapters";
import { RuhuError } from "./errors";
import { base64, fromBase64, fromHex, hex, sha256 } from "./sha256";
import { contentHash, keyId, signHash, webCryptoSigner, type Signer } from "./sign";
import {
  Store,
  type Entry,
  type Fields,
  type QueuedPhoto,
  type Rejection,
  type ServerRecord,
  type Session,
  type State,
  type User,
} from "./store";
import { adapterHttpStack, storeUrlStorage } from "./tus";
import { Validator, type FieldError, type SchemaDoc } from "./validate";

export interface ClientOptions {
  /** The server's address, e.g. "https://ruhu.example.gov.cn" ("" for the page's own origin). */
  baseUrl: string;
  request?: RequestAdapter;
  storage?: StorageAdapter;
  /** Storage key prefix, so that several clients can share one storage. Default "ruhu". */
  namespace?: string;
  /** The device id used on first start (then the stored one is kept). Default: generated. */
  deviceId?: string;
  /** Ed25519; default WebCrypto. */
  signer?: Signer;
  /** tus-js-client (import * as tus from "tus-js-client"), needed only for photos. */
  tus?: { Upload: typeof tus.Upload };
  /** Mutations per push. Default 200. */
  batchSize?: number;
  /** Changes per pull page. Default 200. */
  pullLimit?: number;
  /** Bytes per tus PATCH. Default 256 KiB. */
  chunkSize?: number;
  /** tus retry delays in ms (null: no retry within one sync). Default [0, 1000, 3000]. */
  retryDelays?: number[] | null;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

/** What one sync did. */
export interface SyncReport {
  pushed: number;
  applied: number;
  merged: number;
  conflicts: number;
  rejected: Rejection[];
  replayed: number;
  pulled: number;
  purged: number;
  photosUploaded: number;
  photosRejected: number;
  keysRegistered: number;
}

/** A pull scope: the caller's whole jurisdiction (a village cadre: the village), or one household. */
export interface PullScope {
  householdId?: string;
}

export interface PushResult {
  mutation_id: number;
  status: "applied" | "merged" | "conflict" | "rejected";
  version: number;
  conflict_id?: string;
  conflict_ids?: string[];
  canonical_id?: string;
  error?: { code: string; message: string };
  replayed: boolean;
}

export interface Change {
  collection: string;
  id: string;
  version: number;
  deleted: boolean;
  fields: Fields;
  meta?: Fields;
}

/** A record as the device shows it: the server's state with queued edits on top. */
export interface RecordView {
  collection: string;
  id: string;
  version: number;
  fields: Fields;
  meta: Fields;
  /** Queued mutations not yet settled by the server. */
  pending: number;
}

const EXPIRY_SLACK_MS = 30_000;
const COLLECTIONS = ["households", "members", "investigations", "signatures", "photos", "reviews", "cases"];
const REFS = ["household_id", "investigation_id", "unit_id"];
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equal((a as Fields)[k], (b as Fields)[k]));
}

function random(n: number): Uint8Array {
  const b = new Uint8Array(n);
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256);
  return b;
}

export class RuhuClient {
  readonly base: string;
  private readonly request: RequestAdapter;
  private readonly store: Store;
  private readonly opts: ClientOptions;
  private state?: State;
  private records: Record<string, Record<string, ServerRecord>> = {};
  private validator?: Validator;
  private lock: Promise<unknown> = Promise.resolve();
  private refreshing: Record<string, Promise<string>> = {};
  private syncing?: Promise<SyncReport>;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.base = opts.baseUrl.replace(/\/+$/, "");
    this.request = opts.request ?? fetchRequest();
    this.store = new Store(opts.storage ?? defaultStorage(), (opts.namespace ?? "ruhu") + ":");
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** newId makes a record id: a ULID (time-ordered, 26 characters). */
  newId(): string {
    let t = this.now(), s = "";
    for (let i = 0; i < 10; i++, t = Math.floor(t / 32)) s = CROCKFORD[t % 32] + s;
    for (const b of random(16)) s += CROCKFORD[b % 32];
    return s;
  }

  // ---- state ----

  /** open loads the stored state; every method calls it. */
  async open(): Promise<State> {
    if (this.state) return this.state;
    let st = await this.store.get<State>("state");
    if (!st) {
      const dev = this.opts.deviceId ?? "h5-" + hex(random(8));
      st = { device_id: dev, next: 1, outbox: [], sessions: {}, current: "", cursors: {}, keys: {}, rejections: [], photos: [], aliases: {} };
      await this.store.put("state", st);
    }
    if (!this.state) {
      this.state = st;
      for (const c of COLLECTIONS) this.records[c] = (await this.store.get<Record<string, ServerRecord>>("rec:" + c)) ?? {};
      const doc = await this.store.get<SchemaDoc>("schema");
      if (doc) this.validator = new Validator(doc);
    }
    return this.state;
  }

  /** locked runs fn alone, with the state loaded, and stores the state after it. */
  private locked<T>(fn: (st: State) => Promise<T> | T): Promise<T> {
    const run = this.lock.then(async () => {
      const st = await this.open();
      const out = await fn(st);
      await this.store.put("state", st);
      return out;
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async saveRecords(collections: Iterable<string>): Promise<void> {
    for (const c of new Set(collections)) await this.store.put("rec:" + c, this.records[c]);
  }

  get deviceId(): string | undefined {
    return this.state?.device_id;
  }

  // ---- HTTP ----

  private async send(method: string, path: string, body: unknown, token: string, query = "", extra?: Record<string, string>): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (token) headers.authorization = "Bearer " + token;
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await this.request({ method, url: this.base + path + query, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 60_000 });
    } catch (e) {
      throw new RuhuError("unreachable", "the server cannot be reached: " + String((e as Error)?.message ?? e));
    }
  }

  private static problem(res: HttpResponse): RuhuError {
    let code = "http_" + res.status, detail = res.body.slice(0, 200);
    try {
      const p = JSON.parse(res.body);
      if (p && typeof p.code === "string") (code = p.code), (detail = p.detail ?? p.title ?? code);
    } catch {
      /* not problem+json */
    }
    return new RuhuError(code, detail, res.status);
  }

  private static parse<T>(res: HttpResponse): T {
    if (res.status === 204 || res.body === "") return undefined as T;
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new RuhuError("bad_response", "the server's answer is not JSON", res.status);
    }
  }

  /** call sends an authenticated request as userId (default: the current user), refreshing the token when needed. */
  async call<T>(method: string, path: string, body?: unknown, query = "", userId?: string, extra?: Record<string, string>): Promise<T> {
    const st = await this.open();
    const uid = userId ?? st.current;
    if (!uid) throw new RuhuError("not_logged_in", "nobody is logged in");
    let token = await this.accessToken(uid);
    let res = await this.send(method, path, body, token, query, extra);
    if (res.status === 401 && ["token_expired", "invalid_token"].includes(RuhuClient.problem(res).code)) {
      // Expired, or not valid any more (e.g. the server's keys changed): refresh once and retry, as the Go client does.
      await this.locked((s) => {
        const sess = s.sessions[uid];
        if (sess && sess.access === token) sess.access_expires = 0;
      });
      token = await this.accessToken(uid);
      res = await this.send(method, path, body, token, query, extra);
    }
    if (res.status >= 400) {
      const err = RuhuClient.problem(res);
      if (res.status === 401 && err.code !== "invalid_credentials") await this.dropTokens(uid);
      throw err;
    }
    return RuhuClient.parse<T>(res);
  }

  private async dropTokens(uid: string): Promise<void> {
    await this.locked((s) => {
      const sess = s.sessions[uid];
      if (sess) (sess.access = ""), (sess.refresh = "");
    });
  }

  /** accessToken returns a live access token for uid, refreshing it (once at a time: a refresh token presented twice revokes the session). */
  private async accessToken(uid: string): Promise<string> {
    const st = await this.open();
    const s = st.sessions[uid];
    if (!s || !s.refresh) throw new RuhuError("relogin_required", "log in again", 401);
    if (s.access && this.now() + EXPIRY_SLACK_MS < s.access_expires) return s.access;
    this.refreshing[uid] ??= this.refresh(uid).finally(() => delete this.refreshing[uid]);
    return this.refreshing[uid];
  }

  private async refresh(uid: string): Promise<string> {
    const s = this.state!.sessions[uid];
    const res = await this.send("POST", "/v1/auth/refresh", { refresh_token: s.refresh }, "");
    if (res.status === 401) {
      await this.dropTokens(uid);
      throw new RuhuError("relogin_required", "the session ended (" + RuhuClient.problem(res).code + "): log in again", 401);
    }
    if (res.status >= 400) throw RuhuClient.problem(res);
    const tok = RuhuClient.parse<TokenResponse>(res);
    // The new refresh token is stored before the new access token is used.
    await this.locked((st) => (st.sessions[uid] = this.session(tok)));
    return tok.access_token;
  }

  private session(tok: TokenResponse): Session {
    const now = this.now();
    return {
      user: tok.user,
      access: tok.access_token,
      access_expires: now + tok.expires_in * 1000,
      refresh: tok.refresh_token,
      refresh_expires: now + tok.refresh_expires_in * 1000,
    };
  }

  // ---- sessions ----

  /** login logs username in on this device and makes them the current user; it also fetches the schema. */
  async login(username: string, password: string): Promise<User> {
    const st = await this.open();
    const res = await this.send("POST", "/v1/auth/login", { username, password, device_id: st.device_id }, "");
    if (res.status >= 400) throw RuhuClient.problem(res);
    const tok = RuhuClient.parse<TokenResponse>(res);
    await this.locked((s) => {
      s.sessions[tok.user.id] = this.session(tok);
      s.current = tok.user.id;
    });
    await this.loadSchema().catch(() => undefined); // offline validation waits for the next sync
    return tok.user;
  }

  /** user is the current user, or undefined. */
  async user(): Promise<User | undefined> {
    const st = await this.open();
    return st.sessions[st.current]?.user;
  }

  /** loggedIn: the current user has a session that can still be refreshed. */
  async loggedIn(): Promise<boolean> {
    const st = await this.open();
    return !!st.sessions[st.current]?.refresh;
  }

  /** logout ends the session (best effort online) and forgets its tokens; queued work stays. */
  async logout(): Promise<void> {
    const st = await this.open();
    const uid = st.current;
    if (!uid) return;
    await this.call("POST", "/v1/auth/logout").catch(() => undefined);
    await this.dropTokens(uid);
    await this.locked((s) => void (s.current = ""));
  }

  // ---- schema ----

  /** loadSchema fetches GET /v1/schema (unless the kept version is current: 304) and keeps it for offline validation. */
  async loadSchema(): Promise<SchemaDoc> {
    const have = this.validator?.doc;
    const doc = await this.call<SchemaDoc>("GET", "/v1/schema", undefined, "", undefined, have ? { "if-none-match": `"${have.version}"` } : undefined);
    if (doc === undefined && have) return have;
    if (!doc || typeof doc.collections !== "object") throw new RuhuError("bad_response", "no schema collections");
    await this.store.put("schema", doc);
    this.validator = new Validator(doc);
    return doc;
  }

  /** schema is the stored schema document (undefined before the first fetch). */
  schema(): SchemaDoc | undefined {
    return this.validator?.doc;
  }

  /** validate checks fields for an upsert of collection/id as the server would; [] when valid. */
  async validate(collection: string, id: string, fields: Fields): Promise<FieldError[]> {
    await this.open();
    if (!this.validator) return [];
    const isNew = !this.records[collection]?.[id] && !this.state!.outbox.some((e) => e.collection === collection && e.id === id);
    return this.validator.check(collection, id, fields, isNew);
  }

  // ---- records ----

  /** get returns a record as the device shows it, or undefined. */
  async get(collection: string, id: string): Promise<RecordView | undefined> {
    const st = await this.open();
    id = st.aliases[id] ?? id;
    return this.view(st, collection, id);
  }

  private view(st: State, collection: string, id: string): RecordView | undefined {
    const r = this.records[collection]?.[id];
    let fields: Fields | undefined = r ? { ...r.f } : undefined;
    let pending = 0;
    for (const e of st.outbox) {
      if (e.collection !== collection || e.id !== id) continue;
      pending++;
      if (e.op === "delete") {
        fields = undefined;
        continue;
      }
      fields ??= {};
      for (const [k, v] of Object.entries(e.fields)) {
        if (v === null) delete fields[k];
        else fields[k] = v;
      }
    }
    if (!fields) return undefined;
    return { collection, id, version: r?.v ?? 0, fields, meta: r?.m ?? {}, pending };
  }

  /** list returns the records of a collection as the device shows them, optionally filtered. */
  async list(collection: string, where?: (r: RecordView) => boolean): Promise<RecordView[]> {
    const st = await this.open();
    const ids = new Set(Object.keys(this.records[collection] ?? {}));
    for (const e of st.outbox) if (e.collection === collection) ids.add(e.id);
    const out: RecordView[] = [];
    for (const id of ids) {
      const v = this.view(st, collection, id);
      if (v && (!where || where(v))) out.push(v);
    }
    return out;
  }

  /** create queues a new record (validated offline) and returns its id. */
  async create(collection: string, fields: Fields, id = this.newId()): Promise<string> {
    await this.upsert(collection, id, fields);
    return id;
  }

  /**
   * upsert queues changes to a record, after checking them against the
   * schema: a value the server would refuse throws RuhuError with the
   * server's code (and field) and queues nothing.
   */
  async upsert(collection: string, id: string, changes: Fields): Promise<void> {
    await this.locked(async (st) => {
      id = st.aliases[id] ?? id;
      if (!st.current || !st.sessions[st.current]) throw new RuhuError("not_logged_in", "nobody is logged in");
      const cur = this.view(st, collection, id);
      const fields: Fields = {}, before: Fields = {};
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) continue;
        if (!cur || !equal(cur.fields[k], v)) (fields[k] = v), (before[k] = cur?.fields[k] ?? null);
      }
      if (this.validator) {
        const isNew = !cur && !this.records[collection]?.[id];
        const errs = this.validator.check(collection, id, isNew ? { ...fields } : fields, isNew);
        if (errs.length) throw new RuhuError(errs[0].code, errs[0].message, 0, errs[0].field);
      }
      if (Object.keys(fields).length === 0) return;
      const mine = st.outbox.filter((e) => e.collection === collection && e.id === id);
      const last = mine[mine.length - 1];
      const version = this.records[collection]?.[id]?.v ?? 0;
      const tail = st.outbox[st.outbox.length - 1];
      if (last && !last.sent && last.op === "upsert" && last.user_id === st.current && last.base_version === version &&
          (last === tail || !REFS.some((r) => r in fields))) {
        for (const [k, v] of Object.entries(fields)) {
          if (!(k in last.before)) last.before[k] = before[k];
          last.fields[k] = v;
          if (last.base_version > 0 && equal(last.before[k], v)) delete last.fields[k], delete last.before[k];
        }
        if (Object.keys(last.fields).length === 0) st.outbox.splice(st.outbox.indexOf(last), 1);
        return;
      }
      st.outbox.push({ mutation_id: st.next++, user_id: st.current, collection, id, op: "upsert", base_version: version,
        fields, before, created_at: new Date(this.now()).toISOString() });
    });
  }

  /** remove queues a delete. A record the server never saw is simply dropped. */
  async remove(collection: string, id: string): Promise<void> {
    await this.locked((st) => {
      id = st.aliases[id] ?? id;
      const cur = this.view(st, collection, id);
      if (!cur) throw new RuhuError("not_found", `${collection}/${id} is not on this device`);
      const mine = st.outbox.filter((e) => e.collection === collection && e.id === id);
      if (!this.records[collection]?.[id] && !mine.some((e) => e.sent)) {
        st.outbox = st.outbox.filter((e) => !mine.includes(e));
        return;
      }
      st.outbox.push({ mutation_id: st.next++, user_id: st.current, collection, id, op: "delete",
        base_version: this.records[collection]?.[id]?.v ?? 0, fields: {}, before: { ...cur.fields },
        created_at: new Date(this.now()).toISOString() });
    });
  }

  /** outbox lists the queued mutations, oldest first. */
  async outbox(): Promise<Entry[]> {
    return [...(await this.open()).outbox];
  }

  /** rejections lists the mutations the server refused (newest last). */
  async rejections(): Promise<Rejection[]> {
    return [...(await this.open()).rejections];
  }

  // ---- sync ----

  /** sync registers signing keys, pushes the outbox, uploads queued photos and pulls. One at a time. */
  sync(scope: PullScope = {}): Promise<SyncReport> {
    this.syncing ??= this.syncOnce(scope).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(scope: PullScope): Promise<SyncReport> {
    const rep: SyncReport = { pushed: 0, applied: 0, merged: 0, conflicts: 0, rejected: [], replayed: 0, pulled: 0, purged: 0,
      photosUploaded: 0, photosRejected: 0, keysRegistered: 0 };
    await this.loadSchema().catch(() => undefined); // offline checks keep the schema held
    await this.registerKeys(rep);
    await this.push(rep, scope);
    await this.uploadPhotos(rep);
    await this.pull(scope, rep);
    return rep;
  }

  /** push sends the outbox in order until it is empty (or only holds work for users who must log in again). */
  async push(rep?: SyncReport, scope: PullScope = {}): Promise<SyncReport> {
    rep ??= { pushed: 0, applied: 0, merged: 0, conflicts: 0, rejected: [], replayed: 0, pulled: 0, purged: 0, photosUploaded: 0, photosRejected: 0, keysRegistered: 0 };
    const skip = new Set<string>();
    for (;;) {
      const b = await this.locked((st) => {
        const head = st.outbox.filter((e) => !skip.has(e.user_id));
        const batch: Entry[] = [];
        const seen = new Set<string>();
        let repeat = false;
        for (const e of head.slice(0, this.opts.batchSize ?? 200)) {
          if (batch.length && e.user_id !== batch[0].user_id) break;
          const key = e.collection + "/" + e.id;
          if (seen.has(key)) {
            repeat = true;
            break;
          }
          seen.add(key);
          batch.push(e);
        }
        for (const e of batch) e.sent = true; // stored before sending: never edited again
        return { batch, repeat, device: st.device_id };
      });
      if (!b.batch.length) return rep;
      const user = b.batch[0].user_id;
      let res: { results: PushResult[]; last_mutation_id: number; incomplete?: boolean };
      try {
        res = await this.call("POST", "/v1/sync/push", {
          device_id: b.device,
          mutations: b.batch.map((e) => ({ mutation_id: e.mutation_id, collection: e.collection, id: e.id, op: e.op,
            base_version: e.base_version, ...(e.op === "upsert" ? { fields: e.fields } : {}) })),
        }, "", user);
      } catch (e) {
        if (e instanceof RuhuError && e.code === "relogin_required" && user !== this.state!.current) {
          skip.add(user); // another user's work waits for their login
          continue;
        }
        throw e; // the batch stays (sent): the next sync sends it again and the server replays what it applied
      }
      if (!res || !Array.isArray(res.results) || res.results.length !== b.batch.length ||
          res.results.some((r, i) => r.mutation_id !== b.batch[i].mutation_id)) {
        throw new RuhuError("bad_response", "push answered results that do not match the mutations sent");
      }
      const progressed = await this.locked((st) => this.storeResults(st, b.batch, res, rep!));
      if (b.repeat || res.incomplete) await this.pull(scope, rep);
      if (!progressed) return rep;
    }
  }

  /** storeResults settles a pushed batch; it reports whether anything was settled. */
  private storeResults(st: State, batch: Entry[], res: { results: PushResult[]; last_mutation_id: number }, rep: SyncReport): boolean {
    st.next = Math.max(st.next, res.last_mutation_id + 1);
    let settled = 0;
    batch.forEach((e, i) => {
      const r = res.results[i];
      if (r.replayed) rep.replayed++;
      if (r.status === "rejected" && r.error?.code === "mutation_id_not_increasing") {
        // Not processed (push budget, or the device's counter went back):
        // it stays queued and is sent again.
        return;
      }
      settled++;
      st.outbox.splice(st.outbox.indexOf(e), 1);
      rep.pushed++;
      switch (r.status) {
        case "applied":
          rep.applied++;
          break;
        case "merged":
          rep.merged++;
          break;
        case "conflict":
          rep.conflicts++;
          break;
        case "rejected": {
          const rj: Rejection = { mutation_id: e.mutation_id, collection: e.collection, id: e.id, op: e.op, fields: e.fields,
            code: r.error?.code ?? "rejected", message: r.error?.message ?? "", at: new Date(this.now()).toISOString() };
          st.rejections.push(rj);
          st.rejections.splice(0, Math.max(0, st.rejections.length - 100));
          rep.rejected.push(rj);
          break;
        }
      }
      if (r.canonical_id && r.canonical_id !== e.id) this.rekey(st, e.collection, e.id, r.canonical_id);
    });
    // Ids at or below the server's counter are spent: renumber what this
    // user still has queued, in queue order, above it.
    const user = batch[0].user_id;
    const left = st.outbox.filter((e) => e.user_id === user);
    if (left.some((e) => e.mutation_id <= res.last_mutation_id)) for (const e of left) e.mutation_id = st.next++;
    return settled > 0;
  }

  /** rekey moves a record merged into a canonical one, and the references to it. */
  private rekey(st: State, collection: string, from: string, to: string): void {
    st.aliases[from] = to;
    for (const e of st.outbox) {
      if (e.collection === collection && e.id === from) e.id = to;
      for (const r of REFS) if (e.fields[r] === from) e.fields[r] = to;
    }
    for (const p of st.photos) if (p.household_id === from) p.household_id = to;
    delete this.records[collection][from];
  }

  /** pull fetches the changes of a scope (the whole jurisdiction, or one household) until has_more is false. */
  async pull(scope: PullScope = {}, rep?: SyncReport): Promise<number> {
    const key = scope.householdId ? "hh:" + scope.householdId : "all";
    let n = 0;
    for (;;) {
      const st = await this.open();
      let q = "?limit=" + (this.opts.pullLimit ?? 200) + "&cursor=" + encodeURIComponent(st.cursors[key] ?? "");
      if (scope.householdId) q += "&household_id=" + encodeURIComponent(scope.householdId);
      const page = await this.call<{ changes: Change[]; cursor: string; has_more: boolean }>("GET", "/v1/sync/pull", undefined, q);
      await this.locked(async (s) => {
        const touched = new Set<string>();
        for (const ch of page.changes) {
          const recs = (this.records[ch.collection] ??= {});
          const have = recs[ch.id];
          if (have && ch.version < have.v) continue;
          touched.add(ch.collection);
          n++;
          if (ch.deleted) {
            delete recs[ch.id];
            if (rep) rep.purged++;
          } else {
            recs[ch.id] = { v: ch.version, f: ch.fields ?? {}, m: ch.meta ?? {} };
            this.fastForward(s, ch.collection, ch.id);
          }
        }
        // Records first, then the cursor: a crash in between pulls the page again.
        await this.saveRecords(touched);
        s.cursors[key] = page.cursor;
      });
      if (rep) rep.pulled += page.changes.length;
      if (!page.has_more) return n;
    }
  }

  /**
   * browse reads one page of changes without storing them, projected to
   * some fields (fields=): a light list for a screen that shows only a few.
   */
  async browse(opts: PullScope & { fields?: string[]; cursor?: string; limit?: number } = {}): Promise<{ changes: Change[]; cursor: string; has_more: boolean }> {
    let q = "?limit=" + (opts.limit ?? this.opts.pullLimit ?? 200) + "&cursor=" + encodeURIComponent(opts.cursor ?? "");
    if (opts.householdId) q += "&household_id=" + encodeURIComponent(opts.householdId);
    if (opts.fields) q += "&fields=" + opts.fields.map(encodeURIComponent).join(",");
    return this.call("GET", "/v1/sync/pull", undefined, q);
  }

  /**
   * fastForward raises the base of a record's first queued mutation to the
   * version now held when the values it was edited from are still the
   * server's, so the device does not conflict with its own earlier edits.
   */
  private fastForward(st: State, collection: string, id: string): void {
    const r = this.records[collection][id];
    const e = st.outbox.find((x) => x.collection === collection && x.id === id);
    if (!r || !e || e.sent || e.base_version >= r.v) return;
    if (e.op === "delete" && Object.keys(r.f).length !== Object.keys(e.before).length) return;
    if (Object.entries(e.before).every(([k, v]) => equal(v, r.f[k]))) e.base_version = r.v;
  }

  // ---- conflicts, submission ----

  /** conflicts lists conflicts (open by default) in the caller's jurisdiction. */
  async conflicts(status: "open" | "resolved" | "all" = "open"): Promise<Fields[]> {
    const res = await this.call<{ conflicts: Fields[] }>("GET", "/v1/conflicts", undefined, "?status=" + status);
    return res.conflicts;
  }

  /** resolve resolves a conflict: {choice: "server" | "client"} or {value}. */
  async resolve(conflictId: string, body: { choice: "server" | "client" } | { value: unknown }): Promise<Fields> {
    return this.call("POST", "/v1/conflicts/" + encodeURIComponent(conflictId) + "/resolve", body);
  }

  /** submit submits a signed investigation (online). */
  async submit(investigationId: string): Promise<Fields> {
    return this.call("POST", "/v1/investigations/" + encodeURIComponent(investigationId) + "/submit");
  }

  // ---- signatures ----

  private signer(): Signer {
    const s = this.opts.signer ?? webCryptoSigner();
    if (!s) throw new RuhuError("unsupported", "no Ed25519 here: pass a signer");
    return s;
  }

  /** signingKey returns the current user's key on this device, making one on first use. */
  async signingKey(): Promise<{ key_id: string; public_key: string; registered: boolean }> {
    const st = await this.open();
    const uid = st.current;
    if (!uid) throw new RuhuError("not_logged_in", "nobody is logged in");
    if (!st.keys[uid]) {
      const k = await this.signer().generate();
      const id = await keyId(k.publicKey);
      await this.locked((s) => void (s.keys[uid] ??= { seed: hex(k.seed), public_key: base64(k.publicKey), key_id: id }));
    }
    const k = st.keys[uid];
    return { key_id: k.key_id, public_key: k.public_key, registered: !!k.registered };
  }

  private async registerKeys(rep: SyncReport): Promise<void> {
    const st = await this.open();
    for (const [uid, k] of Object.entries(st.keys)) {
      if (k.registered || !st.sessions[uid]?.refresh) continue;
      await this.call("POST", "/v1/keys", { public_key: k.public_key }, "", uid);
      await this.locked((s) => void (s.keys[uid].registered = true));
      rep.keysRegistered++;
    }
  }

  /**
   * sign signs an investigation's content as the current user and queues
   * the signature record. The hash is of the content as the device shows
   * it: the server's, or what queued edits will make it (then the server
   * may refuse it with stale_content if another device changed it first).
   */
  async sign(investigationId: string, role = "investigator"): Promise<{ id: string; content_hash: string; predicted: boolean }> {
    const inv = await this.get("investigations", investigationId);
    if (!inv) throw new RuhuError("not_found", "investigation " + investigationId + " is not on this device");
    const key = await this.signingKey();
    const st = await this.open();
    const hash = await contentHash("investigations", inv.id, inv.fields);
    const signature = await signHash(this.signer(), fromHex(st.keys[st.current].seed), hash);
    const signedAt = new Date(this.now()).toISOString().replace(/\.\d+Z$/, "Z");
    const id = await this.create("signatures", { investigation_id: inv.id, key_id: key.key_id, content_hash: hash, signature,
      signed_at: signedAt, signer_id: st.current, role });
    return { id, content_hash: hash, predicted: inv.pending > 0 };
  }

  // ---- photos ----

  /** addPhoto queues a photo of a household (JPEG or PNG bytes) for upload at the next sync. */
  async addPhoto(householdId: string, kind: string, data: Uint8Array, filename = "photo.jpg"): Promise<QueuedPhoto> {
    const sha = hex(await sha256(data));
    const known = await this.store.raw("photo:" + sha);
    if (known == null) await this.store.putRaw("photo:" + sha, base64(data));
    return this.locked((st) => {
      if (!st.current) throw new RuhuError("not_logged_in", "nobody is logged in");
      householdId = st.aliases[householdId] ?? householdId;
      let p = st.photos.find((x) => x.sha256 === sha && x.household_id === householdId && x.kind === kind);
      if (!p) st.photos.push((p = { sha256: sha, household_id: householdId, kind, filename, user_id: st.current, size: data.length, status: "queued" }));
      else if (p.status !== "uploaded") p.status = "queued";
      return { ...p };
    });
  }

  /** photos lists the photos queued on this device and their state. */
  async photos(): Promise<QueuedPhoto[]> {
    return (await this.open()).photos.map((p) => ({ ...p }));
  }

  /** authorization returns "Bearer <token>" for a request the client does not make itself (an image). */
  async authorization(): Promise<string> {
    const st = await this.open();
    return "Bearer " + (await this.accessToken(st.current));
  }

  /** uploadPhotos uploads the queued photos the server lacks, with tus (resuming cut uploads). */
  async uploadPhotos(rep?: SyncReport): Promise<void> {
    const st = await this.open();
    const queued = st.photos.filter((p) => p.status === "queued" && st.sessions[p.user_id]?.refresh);
    if (!queued.length) return;
    const missing = new Set<string>();
    const fkey = (p: { sha256: string; household_id: string; kind: string }) => p.sha256.toLowerCase() + "/" + p.household_id + "/" + p.kind;
    for (const uid of new Set(queued.map((p) => p.user_id))) {
      const mine = queued.filter((p) => p.user_id === uid);
      for (let i = 0; i < mine.length; i += 500) {
        const filings = mine.slice(i, i + 500).map((p) => ({ sha256: p.sha256, household_id: p.household_id, kind: p.kind }));
        const res = await this.call<{ missing_filings?: typeof filings }>("POST", "/v1/photos/missing", { filings }, "", uid);
        for (const f of res.missing_filings ?? []) missing.add(fkey(f));
      }
    }
    for (const p of queued) {
      let code = "";
      if (missing.has(fkey(p))) {
        try {
          await this.tusUpload(p);
        } catch (e) {
          const status = (e as { originalResponse?: { getStatus(): number } }).originalResponse?.getStatus?.() ?? 0;
          if (status < 400 || status >= 500 || status === 401) throw new RuhuError("unreachable", "photo upload stopped: " + String((e as Error).message ?? e), status);
          const body = (e as { originalResponse?: { getBody(): string } }).originalResponse?.getBody?.() ?? "";
          code = RuhuClient.problem({ status, headers: {}, body }).code;
        }
      }
      await this.locked(async (s) => {
        const q = s.photos.find((x) => fkey(x) === fkey(p));
        if (!q) return;
        q.status = code ? "rejected" : "uploaded";
        if (code) q.code = code;
        if (rep) code ? rep.photosRejected++ : rep.photosUploaded++;
        if (!s.photos.some((x) => x.sha256 === p.sha256 && x.status === "queued")) await this.store.del("photo:" + p.sha256);
      });
    }
    await this.locked((s) => void (s.photos = s.photos.filter((x) => x.status !== "uploaded")));
  }

  private async tusUpload(p: QueuedPhoto): Promise<void> {
    const Upload = this.opts.tus?.Upload;
    if (!Upload) throw new RuhuError("unsupported", "photos need tus-js-client: pass options.tus");
    const b64 = await this.store.raw("photo:" + p.sha256);
    if (b64 == null) throw new RuhuError("not_found", "the photo's bytes are gone from storage");
    const data = fromBase64(b64);
    const source = { size: data.length, slice: async (s: number, e: number) => {
      const value = Object.assign(data.subarray(s, e), { size: Math.min(e, data.length) - s }); // tus reads value.size
      return { value, done: e >= data.length };
    }, close() {} };
    await new Promise<void>((resolve, reject) => {
      const up = new Upload(data as unknown as File, {
        endpoint: this.base + "/v1/uploads/",
        chunkSize: this.opts.chunkSize ?? 256 << 10,
        retryDelays: this.opts.retryDelays === undefined ? [0, 1000, 3000] : this.opts.retryDelays,
        metadata: { sha256: p.sha256, household_id: p.household_id, kind: p.kind, filename: p.filename },
        httpStack: adapterHttpStack(this.request),
        urlStorage: storeUrlStorage(this.store),
        fileReader: { openFile: async () => source } as unknown as tus.UploadOptions["fileReader"],
        fingerprint: async () => ["ruhu", p.user_id, p.sha256, p.household_id, p.kind].join("/"),
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onBeforeRequest: async (req) => req.setHeader("Authorization", "Bearer " + (await this.accessToken(p.user_id))),
        onSuccess: () => resolve(),
        onError: (err) => reject(err),
      });
      up.findPreviousUploads().then((prev) => {
        if (prev.length) up.resumeFromPreviousUpload(prev[prev.length - 1]);
        up.start();
      }, reject);
    });
  }
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
  user: User;
}
