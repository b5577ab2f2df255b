/**
 * Helpers for the LogStore contract suite: record builders, a fake-clocked PartitionLog over a
 * harness's store, and whole-log reads. Test-only.
 */
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../../src/protocol/config.ts";
import type { LogRecord, RecordInput } from "../../src/protocol/types.ts";
import type { LogStore } from "../../src/log/log-store.ts";
import { PartitionLog, type PartitionLogOptions } from "../../src/log/partition-log.ts";
import { FakeClock } from "../support/fake-clock.ts";

export interface StoreHarness {
  store: LogStore;
  /** A new store object over the same storage, as after a restart. */
  reopen(): LogStore;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const rec = (value: string, more: Partial<RecordInput> = {}): RecordInput => ({
  key: null,
  value: bytes(value),
  headers: [],
  ...more,
});
export const recs = (...values: string[]): RecordInput[] => values.map((v) => rec(v));
export const valuesOf = (records: LogRecord[]): (string | null)[] => records.map((r) => (r.value ? dec.decode(r.value) : null));
export const cfg = (over: Partial<LogConfig> = {}): LogConfig => ({ ...DEFAULT_LOG_CONFIG, ...over });

export function setup(h: StoreHarness, over: Partial<LogConfig> = {}, options: PartitionLogOptions = {}) {
  const clock = new FakeClock();
  const log = PartitionLog.open(h.store, clock, cfg(over), options);
  return { clock, log };
}

/** Appends as leader in epoch 0 (or the given one) and fails the test on an error. */
export function append(log: PartitionLog, records: RecordInput[], epoch = 0) {
  const r = log.appendAsLeader(records, epoch);
  if (!r.ok) throw new Error(`append failed: ${r.err.message}`);
  return r.value;
}

/** Every record from `from` to the LEO, read in small steps. */
export function readAll(log: PartitionLog, from = log.logStartOffset): LogRecord[] {
  const out: LogRecord[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const r = log.read({ offset, maxRecords: 7, maxBytes: 1 << 20 }, "logEndOffset");
    if (!r.ok) throw new Error(r.err.message);
    out.push(...r.value.records);
    offset = r.value.nextOffset;
  }
  return out;
}
