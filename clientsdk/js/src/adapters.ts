// Adapters: the two things a runtime must provide. The defaults use fetch
// and localStorage; a WeChat-style mini-program implements the same shapes
// over wx.request and wx.getStorage / wx.setStorage (see README.md).

/** One HTTP request. Header names are lower-case. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** A JSON text, raw bytes (an upload chunk) or a Blob (browsers). */
  body?: string | Uint8Array | ArrayBuffer | Blob;
  /** The adapter calls this once with a function that aborts the request. */
  onCancel?: (abort: () => void) => void;
  /** Give up after this many milliseconds (0: no limit). */
  timeoutMs?: number;
}

/** One HTTP response. Header names are lower-case; body is text. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends a request. It resolves with any HTTP status (4xx and 5xx too) and
 * rejects only when no answer arrived (no network, cut connection, abort,
 * timeout).
 */
export type RequestAdapter = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * Key-value storage of strings. Methods may answer synchronously
 * (localStorage, wx.getStorageSync) or with a promise (IndexedDB,
 * wx.getStorage). setItem must either store the whole value or fail.
 */
export interface StorageAdapter {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** fetchRequest is the default RequestAdapter, over the Fetch API. */
export function fetchRequest(fetchFn: typeof fetch = globalThis.fetch): RequestAdapter {
  return async (req) => {
    const ctl = typeof AbortController === "function" ? new AbortController() : undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (ctl) {
      req.onCancel?.(() => ctl.abort());
      if (req.timeoutMs) timer = setTimeout(() => ctl.abort(), req.timeoutMs);
    }
    try {
      const res = await fetchFn(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body as BodyInit | undefined,
        signal: ctl?.signal,
        credentials: "omit",
        cache: "no-store",
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
      return { status: res.status, headers, body: await res.text() };
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

/** memoryStorage keeps everything in a Map (tests, or no storage at all). */
export function memoryStorage(): StorageAdapter & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => (data.has(k) ? data.get(k)! : null),
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

/** defaultStorage is localStorage where there is one, else memory. */
export function defaultStorage(): StorageAdapter {
  const ls = (globalThis as { localStorage?: StorageAdapter }).localStorage;
  return ls ?? memoryStorage();
}
