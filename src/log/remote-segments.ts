/**
 * Tiered storage's pure side (KIP-405 on R2): the remote object's layout, the object key that
 * carries the remote-log metadata, the choice of the valid remote chain among listed objects,
 * and the planning of uploads, local deletion and whole-log retention.
 *
 * Object layout (one object per uploaded segment, version 1):
 *   header  8 bytes: "FLT1" (ASCII), u32 LE batch count n
 *   index   n × 48 bytes, one entry per batch in offset order, each six float64 LE:
 *           baseOffset, lastOffset, maxTimestamp, leaderEpoch, position, length
 *           (position is relative to the data start, 8 + 48n)
 *   data    the stored batch blobs, concatenated, exactly as the local log holds them
 * Key: `<tenant>/<topicId>/<partition>/<base:16>-<end:16>-<n>-<bytes>-<maxTimestamp>.seg`, end
 * exclusive. The key is the metadata: a listing gives every segment's range, index size and
 * expected object size, so the index is one ranged GET and a read at any offset is one more.
 *
 * Invariants: an object whose listed size differs from its key's (a torn write) is never used;
 * the valid chain is contiguous, reaches the local log (end ≥ local start) and starts at the
 * lowest base it can; every other listed object is garbage (deleted by the leader).
 * Called by src/partition/tiered-storage.ts. Pure and synchronous.
 */
import type { Offset, TimestampMs } from "../protocol/types.ts";

export const SEGMENT_MAGIC = "FLT1";
export const HEADER_BYTES = 8;
export const INDEX_ENTRY_BYTES = 48;

/** One remote segment as its key describes it. */
export interface RemoteSegment {
  key: string;
  baseOffset: Offset;
  /** Exclusive. */
  endOffset: Offset;
  batchCount: number;
  objectBytes: number;
  maxTimestamp: TimestampMs;
}

export interface IndexEntry {
  baseOffset: Offset;
  lastOffset: Offset;
  maxTimestamp: TimestampMs;
  leaderEpoch: number;
  position: number;
  length: number;
}

/** What the object is built from: stored batches in offset order. */
export interface SegmentBatch {
  baseOffset: Offset;
  lastOffset: Offset;
  maxTimestamp: TimestampMs;
  leaderEpoch: number;
  records: Uint8Array;
}

const pad = (n: number): string => String(n).padStart(16, "0");
const KEY = /^(\d{16})-(\d{16})-(\d+)-(\d+)-(-?\d+)\.seg$/;

export function segmentKey(prefix: string, s: Omit<RemoteSegment, "key">): string {
  const range = `${pad(s.baseOffset)}-${pad(s.endOffset)}`;
  return `${prefix}${range}-${s.batchCount}-${s.objectBytes}-${s.maxTimestamp}.seg`;
}

/** The segment a listed key names (null: not one of ours). */
export function parseSegmentKey(prefix: string, key: string): RemoteSegment | null {
  if (!key.startsWith(prefix)) return null;
  const m = KEY.exec(key.slice(prefix.length));
  if (!m) return null;
  const [baseOffset, endOffset, batchCount, objectBytes, maxTimestamp] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (!(endOffset > baseOffset)) return null;
  return { key, baseOffset, endOffset, batchCount, objectBytes, maxTimestamp };
}

/** The object bytes and index of a segment made of `batches` (non-empty, in offset order). */
export function encodeSegmentObject(batches: readonly SegmentBatch[]): {
  bytes: Uint8Array;
  index: IndexEntry[];
} {
  const n = batches.length;
  const dataStart = HEADER_BYTES + INDEX_ENTRY_BYTES * n;
  const total = dataStart + batches.reduce((sum, b) => sum + b.records.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(SEGMENT_MAGIC), 0);
  view.setUint32(4, n, true);
  const index: IndexEntry[] = [];
  let position = 0;
  batches.forEach((b, i) => {
    const { baseOffset, lastOffset, maxTimestamp, leaderEpoch } = b;
    const length = b.records.length;
    const e = { baseOffset, lastOffset, maxTimestamp, leaderEpoch, position, length };
    const at = HEADER_BYTES + INDEX_ENTRY_BYTES * i;
    const fields = [baseOffset, lastOffset, maxTimestamp, leaderEpoch, position, length];
    fields.forEach((v, k) => view.setFloat64(at + 8 * k, v, true));
    bytes.set(b.records, dataStart + position);
    index.push(e);
    position += b.records.length;
  });
  return { bytes, index };
}

/** The index from the object's first `indexBytes(n)` bytes; throws if they are corrupt. */
export function decodeIndex(head: Uint8Array, batchCount: number): IndexEntry[] {
  const magic = new TextDecoder().decode(head.subarray(0, 4));
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const short = head.byteLength < indexBytes(batchCount);
  if (magic !== SEGMENT_MAGIC || short || view.getUint32(4, true) !== batchCount)
    throw new Error(
      `remote segment index is corrupt (magic ${JSON.stringify(magic)}, ${head.byteLength} bytes)`,
    );
  const out: IndexEntry[] = [];
  for (let i = 0; i < batchCount; i++) {
    const at = HEADER_BYTES + INDEX_ENTRY_BYTES * i;
    const f = (k: number): number => view.getFloat64(at + 8 * k, true);
    out.push({
      baseOffset: f(0),
      lastOffset: f(1),
      maxTimestamp: f(2),
      leaderEpoch: f(3),
      position: f(4),
      length: f(5),
    });
  }
  return out;
}

export function indexBytes(batchCount: number): number {
  return HEADER_BYTES + INDEX_ENTRY_BYTES * batchCount;
}

/**
 * Splits listed objects into the valid chain (contiguous, oldest first, reaching the local log)
 * and garbage (torn, covered by others, below a gap, or not reaching the local log).
 */
export function chooseChain(
  listed: readonly { key: string; size: number }[],
  prefix: string,
  localStartOffset: Offset,
): { chain: RemoteSegment[]; garbage: string[] } {
  const garbage: string[] = [];
  const whole: RemoteSegment[] = [];
  for (const o of listed) {
    const s = parseSegmentKey(prefix, o.key);
    if (s && s.objectBytes === o.size) whole.push(s);
    else garbage.push(o.key);
  }
  // Walk back from the segment reaching furthest: each step takes the segment that ends inside
  // (or at the start of) the current one and starts lowest, so the chain is as long as it can be.
  const byEnd = [...whole].sort((a, b) => b.endOffset - a.endOffset || a.baseOffset - b.baseOffset);
  const chain: RemoteSegment[] = [];
  let head: RemoteSegment | undefined = byEnd[0];
  if (head && head.endOffset >= localStartOffset) {
    chain.push(head);
    for (;;) {
      const start: number = head.baseOffset;
      const prev: RemoteSegment | undefined = whole
        .filter((s) => s.baseOffset < start && s.endOffset >= start)
        .sort((a, b) => a.baseOffset - b.baseOffset)[0];
      if (!prev) break;
      chain.unshift(prev);
      head = prev;
    }
  }
  const used = new Set(chain.map((s) => s.key));
  for (const s of whole) if (!used.has(s.key)) garbage.push(s.key);
  return { chain, garbage };
}

/** A local segment as tiering sees it. */
export interface LocalSegmentView {
  baseOffset: Offset;
  /** Exclusive: the next segment's base, or the LEO for the active one. */
  endOffset: Offset;
  sizeBytes: number;
  recordCount: number;
  maxTimestamp: TimestampMs;
  active: boolean;
}

/** The first closed local segment below the HW that holds offsets the remote chain lacks. */
export function nextUpload(
  local: readonly LocalSegmentView[],
  highWatermark: Offset,
  remoteEnd: Offset,
): LocalSegmentView | null {
  const due = (s: LocalSegmentView): boolean =>
    !s.active && s.recordCount > 0 && s.endOffset <= highWatermark && s.endOffset > remoteEnd;
  return local.find(due) ?? null;
}

export interface TierRetention {
  retentionMs: number;
  retentionBytes: number;
  localRetentionMs: number;
  localRetentionBytes: number;
}

/** -2 means "as retention.*". */
const localLimit = (local: number, total: number): number => (local === -2 ? total : local);

/**
 * Where local deletion may cut now (a segment base; the local start when nothing goes): only
 * closed segments wholly in the remote chain (end ≤ remoteEnd) and below the HW, oldest first,
 * while local.retention.ms or local.retention.bytes asks for it.
 */
export function planLocalDeletion(
  local: readonly LocalSegmentView[],
  highWatermark: Offset,
  remoteEnd: Offset,
  now: TimestampMs,
  r: TierRetention,
): Offset | null {
  const ms = localLimit(r.localRetentionMs, r.retentionMs);
  const bytes = localLimit(r.localRetentionBytes, r.retentionBytes);
  let total = local.reduce((sum, s) => sum + s.sizeBytes, 0);
  let count = 0;
  for (const s of local) {
    if (s.active || s.endOffset > remoteEnd || s.endOffset > highWatermark) break;
    const expired = ms >= 0 && s.maxTimestamp < now - ms;
    const tooBig = bytes >= 0 && total - s.sizeBytes >= bytes;
    if (!expired && !tooBig) break;
    total -= s.sizeBytes;
    count++;
  }
  return count === 0 ? null : local[count]!.baseOffset;
}

/**
 * How many of the chain's oldest segments whole-log retention deletes: retention.ms on each
 * segment's max timestamp, retention.bytes on remote bytes plus the local bytes not yet remote.
 */
export function planRemoteRetention(
  chain: readonly RemoteSegment[],
  localOnlyBytes: number,
  now: TimestampMs,
  r: Pick<TierRetention, "retentionMs" | "retentionBytes">,
): number {
  let total = chain.reduce((sum, s) => sum + s.objectBytes, 0) + localOnlyBytes;
  let count = 0;
  for (const s of chain) {
    const expired = r.retentionMs >= 0 && s.maxTimestamp < now - r.retentionMs;
    const tooBig = r.retentionBytes >= 0 && total - s.objectBytes >= r.retentionBytes;
    if (!expired && !tooBig) break;
    total -= s.objectBytes;
    count++;
  }
  return count;
}
