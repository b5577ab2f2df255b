/**
 * A fault layer over the remote tier's port (remote-object-store.ts) for tests and chaos runs:
 * latency on every call, failing calls by operation, and a torn upload (part of the object
 * lands, then the call fails, as an upload interrupted mid-way). Production code builds the
 * plain R2 adapter; only tests and chaos/worker.ts wrap it.
 *
 * Invariants: with every field at its default the wrapper only forwards; counters record what
 * was asked (puts, gets, lists, deletes), so a test can say how many ranged GETs a read cost.
 * Concurrency: the fault state is a plain object a test or the chaos control route mutates.
 */
import type { RemoteObjectStore } from "./remote-object-store.ts";

export type RemoteOp = "put" | "get" | "list" | "delete";

export interface RemoteFaultState {
  /** Added to every call (ms). */
  delayMs: number;
  /** Operations that throw (after the delay) while listed. */
  failing: RemoteOp[];
  /** The next this many puts write the first half of the object, then throw. */
  tornPuts: number;
  /** A seeded fraction (0..1) of calls of any operation that throw. */
  failRate: number;
}

export const NO_REMOTE_FAULTS: RemoteFaultState = {
  delayMs: 0,
  failing: [],
  tornPuts: 0,
  failRate: 0,
};

export class RemoteFaults {
  state: RemoteFaultState = { ...NO_REMOTE_FAULTS, failing: [] };
  readonly calls: Record<RemoteOp, number> = { put: 0, get: 0, list: 0, delete: 0 };
  #seed: number;

  constructor(seed = 1) {
    this.#seed = seed >>> 0 || 1;
  }

  /** xorshift32 in [0, 1). */
  #random(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed / 2 ** 32;
  }

  async gate(op: RemoteOp): Promise<void> {
    this.calls[op]++;
    if (this.state.delayMs > 0) await new Promise((r) => setTimeout(r, this.state.delayMs));
    if (this.state.failing.includes(op)) throw new Error(`injected remote ${op} failure`);
    if (this.state.failRate > 0 && this.#random() < this.state.failRate)
      throw new Error(`injected remote ${op} failure (rate)`);
  }
}

export function faultyRemoteStore(
  inner: RemoteObjectStore,
  faults: RemoteFaults,
): RemoteObjectStore {
  return {
    async put(key, bytes) {
      await faults.gate("put");
      if (faults.state.tornPuts > 0) {
        faults.state.tornPuts--;
        await inner.put(key, bytes.subarray(0, Math.floor(bytes.length / 2)));
        throw new Error("injected torn upload: half the object written, then the call failed");
      }
      await inner.put(key, bytes);
    },
    async getRange(key, offset, length) {
      await faults.gate("get");
      return inner.getRange(key, offset, length);
    },
    async list(prefix) {
      await faults.gate("list");
      return inner.list(prefix);
    },
    async delete(keys) {
      await faults.gate("delete");
      await inner.delete(keys);
    },
  };
}
