// What the client keeps in its StorageAdapter. Everything that must change
// together (the outbox, the mutation counter, sessions, cursors) is one JSON
// value under one key, so one setItem stores it or nothing.

import type { StorageAdapter } from "./adapters";

export type Fields = Record<string, unknown>;

/** A queued mutation. */
export interface Entry {
  mutation_id: number;
  user_id: string;
  collection: string;
  id: string;
  op: "upsert" | "delete";
  base_version: number;
  fields: Fields;
  /** The values the fields had when edited (for fast-forwarding the base). */
  before: Fields;
  /** Sent once: from then on it never changes (the server may hold it). */
  sent?: boolean;
  created_at: string;
}

export interface Session {
  user: User;
  access: string;
  access_expires: number; // ms since epoch
  refresh: string;
  refresh_expires: number;
}

export interface User {
  id: string;
  username: string;
  display_name?: string;
  roles: string[];
  unit_id: string;
}

export interface SigningKey {
  seed: string; // hex
  public_key: string; // base64
  key_id: string;
  registered?: boolean;
}

/** A queued photo (its bytes are stored under photo:<sha256>). */
export interface QueuedPhoto {
  sha256: string;
  household_id: string;
  kind: string;
  filename: string;
  user_id: string;
  size: number;
  status: "queued" | "uploaded" | "rejected";
  code?: string;
}

/** A mutation the server refused: kept for the user to see. */
export interface Rejection {
  mutation_id: number;
  collection: string;
  id: string;
  op: string;
  fields: Fields;
  code: string;
  message: string;
  at: string;
}

export interface State {
  device_id: string;
  /** The next mutation id: only ever grows. */
  next: number;
  outbox: Entry[];
  sessions: Record<string, Session>;
  current: string;
  cursors: Record<string, string>;
  keys: Record<string, SigningKey>;
  rejections: Rejection[];
  photos: QueuedPhoto[];
  /** Record id aliases: a local id the server merged into a canonical one. */
  aliases: Record<string, string>;
}

/** A record as the server last sent it. */
export interface ServerRecord {
  v: number;
  f: Fields;
  m: Fields;
}

export class Store {
  constructor(
    readonly storage: StorageAdapter,
    readonly prefix: string,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const s = await this.storage.getItem(this.prefix + key);
    return s == null ? undefined : (JSON.parse(s) as T);
  }
  async put(key: string, v: unknown): Promise<void> {
    await this.storage.setItem(this.prefix + key, JSON.stringify(v));
  }
  async del(key: string): Promise<void> {
    await this.storage.removeItem(this.prefix + key);
  }
  async raw(key: string): Promise<string | null | undefined> {
    return this.storage.getItem(this.prefix + key);
  }
  async putRaw(key: string, v: string): Promise<void> {
    await this.storage.setItem(this.prefix + key, v);
  }
}
