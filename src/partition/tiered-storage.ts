/**
 * Tiered storage of one partition replica (Kafka's RemoteLogManager, KIP-405, on R2): the
 * leader copies each closed segment below the HW to the remote tier once; every replica deletes
 * local segments by local.retention.* once a remote copy of them is confirmed; the leader
 * applies retention.* to the whole log (remote + local) and deletes remote objects oldest first;
 * fetch and list-offsets below the local log start read from the remote tier.
 *
 * Remote-log metadata is the object listing itself (keys carry range, batch count, size and max
 * timestamp; src/log/remote-segments.ts): a follower or a new leader learns it by listing the
 * partition's prefix, and nothing else has to be replicated. The listing is cached in memory;
 * the leader lists again when its epoch changes and before remote retention deletes.
 *
 * Invariants:
 * - A local segment is deleted only when its whole range lies in the confirmed remote chain
 *   (a put that resolved, or an object listed with the size its key names).
 * - Remote deletion goes oldest first, one object at a time, so a crash leaves a suffix: the
 *   chain stays contiguous. Objects outside the chain (torn, covered, disconnected) are garbage
 *   the leader deletes; retention deletes every listed object below the new log start.
 * - One bounded step per alarm: at most one upload and `MAX_DELETES_PER_STEP` deletions.
 * Called by PartitionReplicaDO (alarm, fetch, list-offsets, topic deletion). Concurrency: the
 * async steps interleave with other calls at every await; log calls are synchronous, and a step
 * re-reads the log after each await. One step at a time (`#busy`).
 */
import { readRecords } from "../codec/record-batch.ts";
import { BatchReader } from "../log/batch-read.ts";
import type { PartitionLog } from "../log/partition-log.ts";
import {
  chooseChain,
  decodeIndex,
  encodeSegmentObject,
  indexBytes,
  nextUpload,
  planLocalDeletion,
  planRemoteRetention,
  segmentKey,
  type IndexEntry,
  type RemoteSegment,
  type TierRetention,
} from "../log/remote-segments.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type {
  Clock,
  FetchedBatches,
  FetchRequest,
  OffsetAndTimestamp,
  PartitionAssignment,
} from "../protocol/types.ts";
import type { RemoteObjectStore } from "../storage/remote-object-store.ts";

/** How often an idle tiered replica looks again (uploads due, retention, a follower's listing). */
export const TIER_CHECK_INTERVAL_MS = 30_000;
/** A leader lists again this often, so objects it never knew (an old leader's late upload) go. */
export const RELIST_INTERVAL_MS = 600_000;
/** Backoff after a remote error (doubling to `TIER_CHECK_INTERVAL_MS`). */
const ERROR_BACKOFF_MS = 500;
const MAX_DELETES_PER_STEP = 50;
/**
 * Largest object one upload builds (a segment larger than this goes up in several objects), so
 * an upload holds at most about twice this in memory (the rows and the object), far below a
 * Durable Object's 128 MB, whatever segment.bytes is.
 */
export const MAX_OBJECT_BYTES = 8 * 1024 * 1024;
/** Segment indexes kept in memory (each a few KB). */
const INDEX_CACHE_SIZE = 256;

type RemoteBatch = { baseOffset: number; records: Uint8Array };

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface TierHost {
  readonly log: PartitionLog;
  readonly identity: PartitionAssignment | null;
  readonly isLeader: boolean;
  /** A follower's last word of the leader's local log start (null: none yet, or a leader). */
  readonly leaderLogStartOffset: number | null;
}

export class TieredStorage {
  #chain: RemoteSegment[] | null = null;
  #garbage: string[] = [];
  #listedEpoch = -1;
  #listedAt = -Infinity;
  #busy: Promise<unknown> | null = null;
  #backoffMs = 0;
  /** After a remote error, no step before this (so produce-driven alarms do not hammer R2). */
  #retryAt = 0;
  readonly #indexes = new Map<string, IndexEntry[]>();

  private readonly host: TierHost;
  private readonly remote: () => RemoteObjectStore | null;
  private readonly clock: Clock;
  private readonly defaultEnable: boolean;

  constructor(
    host: TierHost,
    remote: () => RemoteObjectStore | null,
    clock: Clock,
    defaultEnable: boolean,
  ) {
    this.host = host;
    this.remote = remote;
    this.clock = clock;
    this.defaultEnable = defaultEnable;
  }

  /** remote.storage.enable (the topic's, else the broker's default) and a bucket bound. */
  enabled(): boolean {
    if (!this.host.identity || !this.remote()) return false;
    return this.host.log.config.remoteStorageEnable ?? this.defaultEnable;
  }

  prefix(): string {
    const a = this.host.identity!;
    return `${a.tenant}/${a.topicId}/${a.partition}/`;
  }

  /** The whole log's start: the remote chain's first offset when it reaches further back. */
  logStartOffset(): number {
    const local = this.host.log.logStartOffset;
    const first = this.enabled() ? this.#chain?.[0] : undefined;
    return first ? Math.min(first.baseOffset, local) : local;
  }

  /** The remote chain's end (exclusive), or -1 when nothing is remote. */
  remoteEnd(): number {
    return this.#chain?.at(-1)?.endOffset ?? -1;
  }

  /**
   * Where local deletion may reach: the chain's end; for a follower also the leader's local log
   * start, since a leader deletes locally only what the remote tier holds.
   */
  #confirmedEnd(): number {
    const fromLeader = this.host.isLeader ? -1 : (this.host.leaderLogStartOffset ?? -1);
    return Math.max(this.remoteEnd(), fromLeader);
  }

  /** Lists the prefix and rebuilds the chain (the remote-log metadata). */
  async refresh(): Promise<void> {
    const listed = await this.remote()!.list(this.prefix());
    const { chain, garbage } = chooseChain(listed, this.prefix(), this.host.log.logStartOffset);
    this.#chain = chain;
    this.#garbage = garbage;
    this.#listedEpoch = this.host.log.leaderEpoch;
    this.#listedAt = this.clock.now();
  }

  async #ensureListed(): Promise<void> {
    const stale = this.clock.now() - this.#listedAt >= RELIST_INTERVAL_MS;
    const newEpoch = this.#listedEpoch !== this.host.log.leaderEpoch;
    if (this.#chain === null || newEpoch || stale) await this.refresh();
  }

  /** Runs `fn` unless a step already runs (then waits for that one). */
  async #exclusive<T>(fn: () => Promise<T>): Promise<T | null> {
    if (this.#busy) {
      await this.#busy.catch(() => undefined);
      return null;
    }
    const p = fn();
    this.#busy = p;
    try {
      return await p;
    } finally {
      this.#busy = null;
    }
  }

  /** One bounded step from the alarm; answers when the next one is due (null: never). */
  async step(): Promise<number | null> {
    if (!this.enabled()) return null;
    try {
      await this.#exclusive(() => (this.host.isLeader ? this.#leaderStep() : this.#followerStep()));
      this.#backoffMs = 0;
      this.#retryAt = 0;
    } catch {
      // R2 error or timeout: nothing was committed that the chain does not show; try again later.
      const doubled = Math.max(this.#backoffMs * 2, ERROR_BACKOFF_MS);
      this.#backoffMs = Math.min(doubled, TIER_CHECK_INTERVAL_MS);
      this.#retryAt = this.clock.now() + this.#backoffMs;
      return this.#retryAt;
    }
    return this.nextDeadline();
  }

  /** Synchronous: when a step is worth running (now if an upload or a local cut is due). */
  nextDeadline(): number | null {
    if (!this.enabled()) return null;
    const now = this.clock.now();
    if (this.#retryAt > now) return this.#retryAt;
    const log = this.host.log;
    const local = log.localSegments();
    const upload = this.#chain === null || nextUpload(local, log.highWatermark, this.remoteEnd());
    if (this.host.isLeader && upload) return now;
    const end = this.#confirmedEnd();
    const cut = planLocalDeletion(local, log.highWatermark, end, now, this.#retention());
    if (cut !== null) return now;
    return local.length > 1 || (this.#chain?.length ?? 0) > 0 ? now + TIER_CHECK_INTERVAL_MS : null;
  }

  #retention(): TierRetention {
    const c = this.host.log.config;
    return {
      retentionMs: c.retentionMs,
      retentionBytes: c.retentionBytes,
      localRetentionMs: c.localRetentionMs,
      localRetentionBytes: c.localRetentionBytes,
    };
  }

  async #leaderStep(): Promise<void> {
    await this.#ensureListed();
    await this.#deleteGarbage();
    await this.#uploadOne();
    this.#deleteLocal();
    await this.#applyRetention();
  }

  /**
   * A follower deletes up to the leader's local start; it lists the remote tier (at most once per
   * check interval) only when local retention still waits beyond that.
   */
  async #followerStep(): Promise<void> {
    this.#deleteLocal();
    const log = this.host.log;
    const all = Number.MAX_SAFE_INTEGER;
    const now = this.clock.now();
    const local = log.localSegments();
    const wanted = planLocalDeletion(local, log.highWatermark, all, now, this.#retention());
    if (wanted === null) return;
    const stale = now - this.#listedAt >= TIER_CHECK_INTERVAL_MS;
    if (this.#chain === null || stale) await this.refresh();
    this.#deleteLocal();
  }

  async #deleteGarbage(): Promise<void> {
    const batch = this.#garbage.slice(0, MAX_DELETES_PER_STEP);
    if (batch.length === 0) return;
    await this.remote()!.delete(batch);
    this.#garbage = this.#garbage.filter((k) => !batch.includes(k));
  }

  /**
   * Copies the next closed segment below the HW (or its next `MAX_OBJECT_BYTES`); the chain
   * learns the object only after the put resolved.
   */
  async #uploadOne(): Promise<void> {
    const log = this.host.log;
    // What goes to the remote tier is shown: the HW it stops at is stored first (partition-log.ts).
    log.storeHighWatermark();
    const seg = nextUpload(log.localSegments(), log.highWatermark, this.remoteEnd());
    if (!seg) return;
    // From the chain's end when it lies inside this segment (an earlier object took its start).
    const from = Math.max(seg.baseOffset, this.remoteEnd());
    const rows = log.batchRowsIn(from, seg.endOffset, MAX_OBJECT_BYTES);
    if (rows.length === 0) return;
    const { bytes, index } = encodeSegmentObject(rows);
    const endOffset = rows.at(-1)!.lastOffset + 1;
    const meta = {
      baseOffset: rows[0]!.baseOffset,
      endOffset,
      batchCount: rows.length,
      objectBytes: bytes.length,
      maxTimestamp: Math.max(...rows.map((r) => r.maxTimestamp)),
    };
    const key = segmentKey(this.prefix(), meta);
    await this.remote()!.put(key, bytes);
    this.#indexes.set(key, index);
    const chain = this.#chain ?? [];
    // Overlap with the chain's end (another leader's boundaries) is fine: the reader picks. A
    // segment past a gap (the local log moved on while tiering was off) starts a new chain.
    if (meta.baseOffset <= this.remoteEnd()) this.#chain = [...chain, { key, ...meta }];
    else {
      this.#garbage.push(...chain.map((c) => c.key));
      this.#chain = [{ key, ...meta }];
    }
  }

  /** Local deletion by local.retention.*, only of ranges the chain holds. */
  #deleteLocal(): void {
    const log = this.host.log;
    const now = this.clock.now();
    const end = this.#confirmedEnd();
    const local = log.localSegments();
    const cut = planLocalDeletion(local, log.highWatermark, end, now, this.#retention());
    if (cut !== null) log.deleteLocalSegmentsBelow(cut);
  }

  /** retention.* over the whole log: remote objects oldest first, then local ones below. */
  async #applyRetention(): Promise<void> {
    const chain = this.#chain ?? [];
    const log = this.host.log;
    const localOnly = log
      .localSegments()
      .filter((s) => s.baseOffset >= this.remoteEnd())
      .reduce((sum, s) => sum + s.sizeBytes, 0);
    const planned = planRemoteRetention(chain, localOnly, this.clock.now(), this.#retention());
    const count = Math.min(planned, MAX_DELETES_PER_STEP);
    if (count === 0) return;
    // List again first, so objects this leader does not know (a zombie's upload) go as well.
    await this.refresh();
    const fresh = this.#chain!;
    const newStart = chain[count - 1]!.endOffset;
    const doomed = fresh.filter((s) => s.endOffset <= newStart);
    for (const s of doomed) {
      await this.remote()!.delete([s.key]);
      this.#chain = this.#chain!.filter((c) => c.key !== s.key);
      this.#indexes.delete(s.key);
    }
    const cut = log
      .localSegments()
      .find((s) => s.baseOffset >= newStart && s.baseOffset <= log.highWatermark);
    if (cut && cut.baseOffset > log.logStartOffset) log.deleteLocalSegmentsBelow(cut.baseOffset);
  }

  /** Deletes every object of this partition (its topic was deleted). */
  async deleteAll(): Promise<void> {
    const remote = this.remote();
    if (!remote || !this.host.identity) return;
    // An upload in flight lands first, so the listing below sees (and deletes) its object.
    await this.#busy?.catch(() => undefined);
    const keys = (await remote.list(this.prefix())).map((o) => o.key);
    if (keys.length > 0) await remote.delete(keys);
    this.#chain = null;
  }

  /** Lists the remote tier once if not yet done (so `logStartOffset` is the whole log's). */
  async learn(): Promise<void> {
    if (this.enabled() && this.#chain === null) await this.refresh();
  }

  /** True when `offset` lies below the local log and in the remote chain. */
  async covers(offset: number): Promise<boolean> {
    if (!this.enabled() || offset >= this.host.log.logStartOffset) return false;
    if (this.#chain === null) await this.refresh();
    return this.#segmentFor(offset) !== undefined;
  }

  #segmentFor(offset: number): RemoteSegment | undefined {
    return this.#chain?.find((s) => s.baseOffset <= offset && offset < s.endOffset);
  }

  async #index(seg: RemoteSegment): Promise<IndexEntry[]> {
    const cached = this.#indexes.get(seg.key);
    if (cached) return cached;
    const head = await this.remote()!.getRange(seg.key, 0, indexBytes(seg.batchCount));
    if (!head) throw new Error(`remote segment ${seg.key} is missing`);
    const index = decodeIndex(head, seg.batchCount);
    const oldest = this.#indexes.keys().next().value;
    if (this.#indexes.size >= INDEX_CACHE_SIZE && oldest !== undefined)
      this.#indexes.delete(oldest);
    this.#indexes.set(seg.key, index);
    return index;
  }

  /** Batches `from..to` of the index (inclusive) in one ranged GET. */
  async #getBatches(
    seg: RemoteSegment,
    index: IndexEntry[],
    from: number,
    to: number,
  ): Promise<RemoteBatch[]> {
    const dataStart = indexBytes(seg.batchCount);
    const start = index[from]!.position;
    const end = index[to]!.position + index[to]!.length;
    const bytes = await this.remote()!.getRange(seg.key, dataStart + start, end - start);
    if (!bytes || bytes.length !== end - start)
      throw new Error(`remote segment ${seg.key} answered a short range`);
    return index.slice(from, to + 1).map((e) => ({
      baseOffset: e.baseOffset,
      records: bytes.subarray(e.position - start, e.position - start + e.length),
    }));
  }

  /**
   * A fetch below the local log start: remote segments from the one holding the offset, then the
   * local log, under one budget, so the answer equals the one the local log alone would give.
   */
  async read(req: FetchRequest): Promise<Result<FetchedBatches>> {
    try {
      const log = this.host.log;
      const reader = new BatchReader(req.offset, log.highWatermark, req.maxRecords, req.maxBytes);
      let seg = this.#segmentFor(req.offset);
      if (!seg)
        return fail("OFFSET_OUT_OF_RANGE", `offset ${req.offset} is no longer in the remote tier`);
      while (seg && !reader.full && reader.nextOffset < log.logStartOffset) {
        reader.feed(await this.#batchesFrom(seg, reader.nextOffset, reader.remainingBytes));
        if (reader.nextOffset < seg.endOffset) break;
        seg = this.#segmentFor(reader.nextOffset);
      }
      if (!reader.full && reader.nextOffset >= log.logStartOffset)
        reader.feed(
          log.batchRowsIn(reader.nextOffset, log.highWatermark, reader.remainingBytes + 1),
        );
      const { batches, nextOffset } = reader;
      // Stored once, before the answer shows it: a rise during the awaits above is stored too,
      // and the HW this read started from is ≤ it (partition-log.ts).
      log.storeHighWatermark();
      return ok({
        batches,
        nextOffset,
        highWatermark: log.highWatermark,
        logStartOffset: this.logStartOffset(),
        logEndOffset: log.logEndOffset,
      });
    } catch (e) {
      return fail("KAFKA_STORAGE_ERROR", `remote tier read failed: ${messageOf(e)}`);
    }
  }

  /** The batches of `seg` from the one holding `offset`, about `maxBytes`, in one ranged GET. */
  async #batchesFrom(seg: RemoteSegment, offset: number, maxBytes: number): Promise<RemoteBatch[]> {
    const index = await this.#index(seg);
    const first = Math.max(0, index.findLastIndex((e) => e.baseOffset <= offset));
    let last = first;
    let bytes = index[first]!.length;
    const budget = maxBytes + index[first]!.length;
    while (last + 1 < index.length && bytes < budget) bytes += index[++last]!.length;
    return this.#getBatches(seg, index, first, last);
  }

  /** The earliest remote record with timestamp ≥ `timestamp` (null: none; ask the local log). */
  async offsetForTimestamp(timestamp: number): Promise<Result<OffsetAndTimestamp | null>> {
    if (!this.enabled()) return ok(null);
    try {
      if (this.#chain === null) await this.refresh();
      const local = this.host.log.logStartOffset;
      for (const seg of this.#chain!) {
        if (seg.baseOffset >= local || seg.maxTimestamp < timestamp) continue;
        const index = await this.#index(seg);
        const i = index.findIndex((e) => e.maxTimestamp >= timestamp);
        if (i < 0) continue;
        const [batch] = await this.#getBatches(seg, index, i, i);
        for (const { record } of readRecords(batch!.records, batch!.baseOffset))
          if (record.timestamp >= timestamp && record.offset < local)
            return ok({ offset: record.offset, timestamp: record.timestamp });
      }
      return ok(null);
    } catch (e) {
      return fail("KAFKA_STORAGE_ERROR", `remote tier look-up failed: ${messageOf(e)}`);
    }
  }
}
