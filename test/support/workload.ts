/**
 * A producer workload for replication scenarios: unique values, each send recorded as acked
 * (with its offset), failed (a definite rejection before any write) or unknown (timeout, lost
 * answer); and the checks a Jepsen-style checker makes against a final read of the partition.
 */
import { expect } from "vitest";
import type { FlarelogClient } from "../../src/client/flarelog-client.ts";

/** Errors that prove nothing was written. */
// NOT_LEADER_OR_FOLLOWER (6) is not here: a leader that loses leadership while waiting for the
// ISR answers 6 after its append, which a later leader may still commit.
const DEFINITE = new Set([19, 3, 74, 75, 9, 5, 42, 10, 18, 21]);

export class Workload {
  readonly acked = new Map<string, number>();
  readonly failed = new Map<string, number>();
  readonly unknown = new Map<string, number>();
  #n = 0;

  constructor(
    private readonly client: FlarelogClient,
    private readonly topic: string,
    private readonly opts: { acks?: string; partition?: number; prefix?: string; timeoutMs?: number } = {},
  ) {}

  /** Sends one batch of `size` records; returns the error code if it failed. */
  async send(size = 1): Promise<number | null> {
    const values = Array.from({ length: size }, () => `${this.opts.prefix ?? "v"}-${this.#n++}`);
    const r = await this.client.produce(
      this.topic,
      values.map((value) => ({ value })),
      { acks: this.opts.acks ?? "all", partition: this.opts.partition ?? 0, timeout_ms: this.opts.timeoutMs ?? 5000 },
    );
    if (r.ok) {
      r.body.offsets.forEach((o, i) => this.acked.set(values[i]!, o.offset!));
      return null;
    }
    const code = r.error.error_code;
    for (const v of values) (DEFINITE.has(code) ? this.failed : this.unknown).set(v, code);
    return code;
  }

  /** Sends batches until `ms` have passed (bounded by `maxBatches`), calling `during` between batches. */
  async runFor(ms: number, maxBatches: number, during?: (i: number) => Promise<void>): Promise<void> {
    const start = Date.now();
    for (let i = 0; i < maxBatches && Date.now() - start < ms; i++) {
      await this.send(1 + (i % 5));
      if (during) await during(i);
    }
  }

  /** Reads the whole partition through the API (below the HW). */
  async readAll(): Promise<{ offset: number; value: string }[]> {
    const out: { offset: number; value: string }[] = [];
    let offset: number | string = "earliest";
    for (;;) {
      const f = await this.client.fetchRecords(this.topic, this.opts.partition ?? 0, { offset, max_records: 5000 });
      if (!f.ok) throw new Error(`fetch failed: ${JSON.stringify(f.error)}`);
      for (const r of f.body.records) out.push({ offset: r.offset, value: r.value ?? "" });
      if (f.body.next_offset >= f.body.high_watermark) return out;
      offset = f.body.next_offset;
    }
  }

  /** The checker: no acked record lost or moved, no duplicates, nothing definitely failed was read. */
  async check(): Promise<{ read: number; acked: number; failed: number; unknown: number }> {
    const read = await this.readAll();
    const byValue = new Map<string, number[]>();
    for (const r of read) byValue.set(r.value, [...(byValue.get(r.value) ?? []), r.offset]);
    const offsets = read.map((r) => r.offset);
    expect(new Set(offsets).size, "no offset is served twice").toBe(offsets.length);
    const lost = [...this.acked].filter(([v, o]) => !byValue.get(v)?.includes(o));
    expect(lost, "every acked record is read back at its acked offset").toEqual([]);
    const duplicated = [...byValue].filter(([, os]) => os.length > 1);
    expect(duplicated, "no value appears at two offsets").toEqual([]);
    const aborted = [...this.failed.keys()].filter((v) => byValue.has(v));
    expect(aborted, "no definitely failed record is ever read").toEqual([]);
    return { read: read.length, acked: this.acked.size, failed: this.failed.size, unknown: this.unknown.size };
  }
}
