// Glue between tus-js-client and the client's adapters: an HttpStack that
// sends through the RequestAdapter (so wx.request works too) and a
// UrlStorage in the StorageAdapter (so an upload cut on one run resumes on
// the next, from the offset the server reports).

import type * as tus from "tus-js-client";
import type { RequestAdapter } from "./adapters";
import type { Store } from "./store";

class AdapterRequest implements tus.HttpRequest {
  private headers: Record<string, string> = {};
  private abortFn?: () => void;
  private aborted = false;
  constructor(
    private request: RequestAdapter,
    private method: string,
    private url: string,
  ) {}
  getMethod() {
    return this.method;
  }
  getURL() {
    return this.url;
  }
  setHeader(h: string, v: string) {
    this.headers[h.toLowerCase()] = v;
  }
  getHeader(h: string) {
    return this.headers[h.toLowerCase()];
  }
  setProgressHandler() {}
  async send(body?: unknown): Promise<tus.HttpResponse> {
    if (this.aborted) throw new Error("request aborted");
    const res = await this.request({
      method: this.method,
      url: this.url,
      headers: this.headers,
      body: body == null ? undefined : (body as Uint8Array),
      onCancel: (fn) => (this.abortFn = fn),
    });
    return {
      getStatus: () => res.status,
      getHeader: (h: string) => res.headers[h.toLowerCase()],
      getBody: () => res.body,
      getUnderlyingObject: () => res,
    };
  }
  async abort() {
    this.aborted = true;
    this.abortFn?.();
  }
  getUnderlyingObject() {
    return this;
  }
}

/** adapterHttpStack sends tus requests through a RequestAdapter. */
export function adapterHttpStack(request: RequestAdapter): tus.HttpStack {
  return {
    createRequest: (method, url) => new AdapterRequest(request, method, url),
    getName: () => "ruhu-adapter",
  };
}

/** storeUrlStorage keeps tus upload URLs in the client's store (key "tus"). */
export function storeUrlStorage(store: Store): tus.UrlStorage {
  type Map = Record<string, tus.PreviousUpload>;
  const all = async (): Promise<Map> => (await store.get<Map>("tus")) ?? {};
  return {
    async findAllUploads() {
      return Object.values(await all());
    },
    async findUploadsByFingerprint(fp) {
      return Object.entries(await all())
        .filter(([k]) => k.startsWith(fp + "#"))
        .map(([, v]) => v);
    },
    async removeUpload(key) {
      const m = await all();
      delete m[key];
      await store.put("tus", m);
    },
    async addUpload(fp, upload) {
      const m = await all();
      const key = fp + "#" + Date.now() + Math.random().toString(36).slice(2, 6);
      m[key] = { ...upload, urlStorageKey: key };
      await store.put("tus", m);
      return key;
    },
  };
}
