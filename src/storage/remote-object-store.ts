/**
 * The remote tier's port: the four object operations tiered storage needs, and its production
 * adapter over an R2 bucket binding (`TIERED_STORAGE`, wrangler.toml). A fault wrapper
 * (remote-faults.ts) implements the same port for tests and chaos runs.
 *
 * Invariants: `put` is all or nothing as R2's is (a torn object can only come from a wrapper,
 * and tiering ignores an object whose size differs from its key's); `list` returns every key
 * under the prefix (all pages); `getRange` answers null for a missing object; errors throw.
 * Called by src/partition/tiered-storage.ts. Concurrency: any; R2 is strongly consistent.
 */
export interface ListedObject {
  key: string;
  size: number;
}

export interface RemoteObjectStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Bytes [offset, offset + length) of the object (fewer at its end), or null if it is missing. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | null>;
  list(prefix: string): Promise<ListedObject[]>;
  delete(keys: readonly string[]): Promise<void>;
}

/** R2's delete takes at most 1000 keys per call. */
const DELETE_CHUNK = 1000;

export function r2ObjectStore(bucket: R2Bucket): RemoteObjectStore {
  return {
    async put(key, bytes) {
      await bucket.put(key, bytes);
    },
    async getRange(key, offset, length) {
      const o = await bucket.get(key, { range: { offset, length } });
      return o ? new Uint8Array(await o.arrayBuffer()) : null;
    },
    async list(prefix) {
      const out: ListedObject[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const o of page.objects) out.push({ key: o.key, size: o.size });
        if (!page.truncated) return out;
        cursor = page.cursor;
      }
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += DELETE_CHUNK)
        await bucket.delete(keys.slice(i, i + DELETE_CHUNK));
    },
  };
}
