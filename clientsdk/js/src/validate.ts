// The shared schema validator: a small JSON Schema 2020-12 subset driven
// by GET /v1/schema, answering the server's codes (x-ruhu-codes), so that
// what the client queues offline the server accepts.

import { canonicalize } from "./sign";
import { utf8 } from "./sha256";

/** A property schema: the keywords the server emits. */
export interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  maxItems?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  title?: string;
  "x-ruhu-sensitive"?: boolean;
  "x-ruhu-immutable"?: boolean;
  "x-ruhu-extra"?: boolean;
  "x-ruhu-ref"?: string | boolean;
  [k: string]: unknown;
}

/** A collection schema (JSON Schema 2020-12 object). */
export interface CollectionSchema {
  type?: string;
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
  [k: string]: unknown;
}

/** The answer of GET /v1/schema. */
export interface SchemaDoc {
  version: string;
  collections: Record<string, CollectionSchema>;
  "x-ruhu-codes"?: Record<string, string>;
  "x-ruhu-limits"?: Partial<Limits>;
}

/** Bounds on values (x-ruhu-limits; syncproto/validate.go). */
export interface Limits {
  maxValueBytes: number;
  maxValueDepth: number;
  maxItemBytes: number;
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxValueBytes: 64 << 10,
  maxValueDepth: 4,
  maxItemBytes: 2000,
  maxRecordBytes: 256 << 10,
};

/** One refusal: the field and the server's code for it. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const REF_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** validIdNumber: an 18-character resident ID number (GB 11643). */
export function validIdNumber(s: string): boolean {
  if (!/^[1-9]\d{16}[\dX]$/.test(s) || s.startsWith("000000")) return false;
  if (!validDate(s.slice(6, 10) + "-" + s.slice(10, 12) + "-" + s.slice(12, 14))) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (s.charCodeAt(i) - 48) * ID_WEIGHTS[i];
  return s[17] === "10X98765432"[sum % 11];
}

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = +m[1], mo = +m[2], d = +m[3];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[mo - 1];
}

/** validDateTime follows RFC 3339's grammar as syncproto.ValidDateTime does (t/z in either case, a leap second at 23:59 UTC). */
function validDateTime(s: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m || !validDate(m[1])) return false;
  let h = +m[2], min = +m[3];
  const sec = +m[4];
  if (h > 23 || min > 59 || sec > 60) return false;
  if (m[7]) {
    const zh = +m[8], zm = +m[9];
    if (zh > 23 || zm > 59) return false;
    const hm = (h * 60 + min + (m[7] === "+" ? -1 : 1) * (zh * 60 + zm) + 1440) % 1440;
    (h = Math.floor(hm / 60)), (min = hm % 60);
  }
  return sec < 60 || (h === 23 && min === 59);
}

const byteLength = (s: string): number => utf8(s).length;

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v; // string, boolean, object
}

/** Validator checks records against the server's schema document. */
export class Validator {
  readonly limits: Limits;
  constructor(readonly doc: SchemaDoc) {
    this.limits = { ...DEFAULT_LIMITS, ...(doc["x-ruhu-limits"] ?? {}) };
  }

  /** code maps a JSON Schema keyword to the server's error code. */
  code(keyword: string): string {
    const codes = this.doc["x-ruhu-codes"] ?? {};
    return codes[keyword] ?? codes["*"] ?? "invalid_field";
  }

  /** collection returns a collection's schema, or undefined. */
  collection(name: string): CollectionSchema | undefined {
    return this.doc.collections[name];
  }

  /**
   * check validates an upsert of fields (a create when isNew) the way a
   * push is checked: the id, every field in name order, then the required
   * fields; for an update, immutable fields and cleared required fields.
   * The first error is the code the server would answer.
   */
  check(collection: string, id: string, fields: Record<string, unknown>, isNew: boolean): FieldError[] {
    const errs: FieldError[] = [];
    const schema = this.collection(collection);
    if (!schema) return [{ field: "", code: "unknown_collection", message: `collection ${collection} cannot be written` }];
    if (!RECORD_ID.test(id)) errs.push({ field: "", code: "invalid_record_id", message: "id must be 1–64 of A–Z a–z 0–9 _ -" });
    let size = 0;
    for (const name of Object.keys(fields).sort()) {
      const v = fields[name];
      size += byteLength(name) + (v === undefined ? 0 : byteLength(JSON.stringify(v)));
      const p = schema.properties[name];
      if (!p) {
        if (schema.additionalProperties === false) errs.push({ field: name, code: this.code("additionalProperties"), message: `${collection} has no field ${name}` });
        continue;
      }
      const e = this.checkValue(name, p, v);
      if (e) errs.push(e);
    }
    if (size > this.limits.maxRecordBytes) errs.unshift({ field: "", code: this.code("*"), message: `a record holds at most ${this.limits.maxRecordBytes} bytes` });
    const req = schema.required ?? [];
    if (isNew) {
      for (const f of req) if (fields[f] === undefined || fields[f] === null) errs.push({ field: f, code: this.code("required"), message: `${collection} requires ${f}` });
    } else {
      for (const [f, p] of Object.entries(schema.properties))
        if (p["x-ruhu-immutable"] && f in fields) errs.push({ field: f, code: this.code("x-ruhu-immutable") === this.code("*") ? "immutable_field" : this.code("x-ruhu-immutable"), message: `${f} cannot change once set` });
      for (const f of req) if (f in fields && fields[f] === null) errs.push({ field: f, code: this.code("required"), message: `${f} cannot be cleared` });
    }
    return errs;
  }

  /** checkValue validates one value (null clears a field and is always valid here). */
  checkValue(name: string, p: PropertySchema, v: unknown): FieldError | undefined {
    if (v === null || v === undefined) return undefined;
    const bad = (keyword: string, what: string): FieldError => ({ field: name, code: this.code(keyword), message: `${name} ${what}` });
    const t = jsonType(v);
    if (t === "undefined" || t === "function" || t === "bigint" || t === "symbol") return bad("type", "is not JSON");
    if (t !== "string") {
      try {
        canonicalize(v);
      } catch {
        return bad("*", "has no canonical JSON form");
      }
    }
    const types = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
    if (types.length && !types.some((x) => x === t || (x === "number" && t === "integer"))) return bad("type", `must be ${types.join(" or ")}`);
    if (p.enum && !p.enum.some((e) => e === v)) return bad("enum", `must be one of ${p.enum.join(", ")}`);
    if (p.const !== undefined && p.const !== v) return bad("const", "has the wrong value");
    if (typeof v === "string") {
      const chars = [...v].length; // code points, as maxLength counts
      if (p.maxLength !== undefined && chars > p.maxLength) return bad("maxLength", `holds at most ${p.maxLength} characters`);
      if (p.minLength !== undefined && chars < p.minLength) return bad("minLength", `needs at least ${p.minLength} characters`);
      if (p.pattern !== undefined && !new RegExp(p.pattern, "u").test(v)) return bad("pattern", "has the wrong form");
      if (p["x-ruhu-ref"] && p.pattern === undefined && !REF_ID.test(v)) return bad("x-ruhu-ref", "must be a record or unit id");
      switch (p.format) {
        case "date":
          if (!validDate(v)) return bad("format:date", "must be a date (YYYY-MM-DD)");
          break;
        case "date-time":
          if (!validDateTime(v)) return bad("format:date-time", "must be an RFC 3339 time");
          break;
        case "id-number":
          if (!validIdNumber(v)) return bad("format:id-number", "is not a valid 18-character resident ID number");
          break;
      }
    }
    if (typeof v === "number") {
      if (p.minimum !== undefined && v < p.minimum) return bad("minimum", `must be at least ${p.minimum}`);
      if (p.maximum !== undefined && v > p.maximum) return bad("maximum", `must be at most ${p.maximum}`);
      if (p.exclusiveMinimum !== undefined && v <= p.exclusiveMinimum) return bad("exclusiveMinimum", `must be above ${p.exclusiveMinimum}`);
      if (p.exclusiveMaximum !== undefined && v >= p.exclusiveMaximum) return bad("exclusiveMaximum", `must be below ${p.exclusiveMaximum}`);
    }
    if (Array.isArray(v)) {
      if (p.maxItems !== undefined && v.length > p.maxItems) return bad("maxItems", `holds at most ${p.maxItems} items`);
      if (p.minItems !== undefined && v.length < p.minItems) return bad("minItems", `needs at least ${p.minItems} items`);
    }
    if (typeof v === "object") {
      if (byteLength(JSON.stringify(v)) > this.limits.maxValueBytes) return bad("*", `must encode to at most ${this.limits.maxValueBytes} bytes`);
      if (!this.withinBounds(v, 1)) return bad("*", `may nest at most ${this.limits.maxValueDepth} deep with strings of at most ${this.limits.maxItemBytes} bytes`);
    }
    return undefined;
  }

  private withinBounds(v: unknown, depth: number): boolean {
    if (typeof v === "string") return byteLength(v) <= this.limits.maxItemBytes;
    if (v === null || typeof v !== "object") return true;
    if (depth > this.limits.maxValueDepth) return false;
    if (Array.isArray(v)) return v.every((e) => this.withinBounds(e, depth + 1));
    return Object.entries(v).every(([k, e]) => byteLength(k) <= this.limits.maxItemBytes && this.withinBounds(e, depth + 1));
  }
}
