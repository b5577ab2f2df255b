/**
 * PartitionLog: one replica's log (Kafka's UnifiedLog + LocalLog, reduced): leader and follower
 * appends, reads, segment rolls, truncation, retention, the high watermark and the leader-epoch
 * cache, over a LogStore. Store-level writes live in local-log.ts, the follower's push rules in
 * follower-append.ts.
 *
 * Invariants:
 * - logStartOffset ≤ highWatermark ≤ logEndOffset. Batches tile the offsets; records are
 *   consecutive except where the log cleaner (cleaner.ts, compacted topics) removed some: a
 *   read then skips the gap, and its next offset passes it.
 * - The HW never decreases except by truncation below it, and never passes the LEO.
 * - A leader's HW rise is kept in memory (no commit of its own, issue 22): it is stored by the
 *   next commit (an append's batch row carries it), or by `storeHighWatermark` before anything
 *   shows it: every read bounded by the HW and `offsetForTimestamp` store it first, and the
 *   partition replica does before a describe or ListOffsets answers. So the HW a restart
 *   recovers (`storedHighWatermark`) is at least every HW that was shown, and never decreases;
 *   what a restart may lose is a rise nobody saw, which the ISR's next answers bring back.
 * - Every change is one store transaction, and the cached state is replaced only after that
 *   transaction committed: a throw leaves both the store and this object as they were.
 * - Segments: the highest base offset is the active one; a segment's base is its first batch's
 *   base; the only empty segment is an active one at the LEO (after a retention roll).
 * - The epoch cache names, for every offset in [logStartOffset, LEO), the epoch of its batch.
 * Called by the partition replica DO (and tests). Concurrency: synchronous methods, no await
 * between a read and the write that depends on it; one caller at a time (the DO's input gate).
 * Time comes from the injected Clock only.
 */
import { compacts, deletes, LIMITS, type LogConfig } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type {
  AppendInfo,
  Clock,
  EncodedRecords,
  FetchedBatches,
  FetchRequest,
  FetchResult,
  Offset,
  OffsetAndTimestamp,
  ProducerIdentity,
  ProducerStateDescription,
  RecordInput,
  ReplicaOffsets,
  ReplicaRole,
  ReplicatedBatch,
  ReplicateRequest,
  ReplicateResponse,
  TimestampMs,
} from "../protocol/types.ts";
import { maxRecordBytesFor, planAppend, recordCountOf } from "./batch-planner.ts";
import { planFollowerAppend, validateReplicateRequest, type FollowerLogView } from "./follower-append.ts";
import { nextHighWatermark } from "./high-watermark.ts";
import {
  assignEpoch,
  endOffsetForEpoch,
  latestEpoch,
  truncateFromStart,
  UNDEFINED_EPOCH,
  type EpochEndOffset,
} from "./leader-epoch-cache.ts";
import { emptySegment, truncateFrom, truncateFully, writeBatches } from "./local-log.ts";
import type { BatchRow, EpochEntry, LogState, LogStore } from "./log-store.ts";
import { BatchReader, inOneBuffer } from "./batch-read.ts";
import type { LocalSegmentView } from "./remote-segments.ts";
import { decodeBatches, readRecords } from "../codec/record-batch.ts";
import {
  DEFAULT_PRODUCER_STATE_OPTIONS,
  PRODUCER_BATCHES_RETAINED,
  ProducerStateManager,
  validateProducerIdentity,
  type ProducerBatchMetadata,
  type ProducerStateOptions,
} from "./producer-state.ts";
import { planRetention, retentionDeadline } from "./retention.ts";
import { firstKeylessRecord, LogCleaner, type CleanerLimits, type CleanStep } from "./cleaner.ts";

export interface PartitionLogOptions {
  /** Largest stored batch blob; appends are split below it. Tests lower it. */
  maxBatchBlobBytes?: number;
  /** Idempotent producer state: expiry and bound (producer-state.ts). */
  producerState?: ProducerStateOptions;
  /** The log cleaner's step size and key bound (cleaner.ts). */
  cleaner?: CleanerLimits;
}

export type ReadUpperBound = "highWatermark" | "logEndOffset";

const FRESH_STATE: LogState = { logStartOffset: 0, logEndOffset: 0, highWatermark: 0, leaderEpoch: 0, role: "none" };

export class PartitionLog {
  readonly #store: LogStore;
  readonly #clock: Clock;
  readonly #maxBlobBytes: number;
  readonly #producerOptions: ProducerStateOptions;
  #config: LogConfig;
  #state: LogState;
  /**
   * The idempotent producers' state, built from the batch rows when a leader first needs it and
   * dropped whenever rows change other than by a leader append (follower appends, truncation,
   * retention), so it always equals what the rows imply.
   */
  #producers: ProducerStateManager | null = null;
  /**
   * Bytes of record batches stored (Σ segment sizes), kept as a running total: summed from the
   * segment rows once (first ask after open or after a truncation), then moved by each append
   * and retention delete, so a describe never scans. Null: not known, sum on the next ask.
   */
  #storedBytes: number | null = null;
  /** Compaction in bounded steps (cleaner.ts); its pass is abandoned when the log is truncated. */
  readonly #cleaner: LogCleaner;
  /** The HW as stored: what a restart recovers; ≤ the HW (see the header). */
  #storedHighWatermark: Offset;

  private constructor(store: LogStore, clock: Clock, config: LogConfig, state: LogState, options: PartitionLogOptions) {
    this.#store = store;
    this.#clock = clock;
    this.#config = config;
    this.#state = state;
    this.#storedHighWatermark = state.highWatermark;
    this.#maxBlobBytes = options.maxBatchBlobBytes ?? LIMITS.maxBatchBlobBytes;
    this.#producerOptions = options.producerState ?? DEFAULT_PRODUCER_STATE_OPTIONS;
    this.#cleaner = new LogCleaner(options.cleaner);
  }

  /** Recovers the log from its store; a store never written to is a log at 0/0/0, epoch 0. */
  static open(store: LogStore, clock: Clock, config: LogConfig, options: PartitionLogOptions = {}): PartitionLog {
    const state = store.loadState() ?? FRESH_STATE;
    return new PartitionLog(store, clock, config, { ...state }, options);
  }

  get logStartOffset(): Offset {
    return this.#state.logStartOffset;
  }
  get logEndOffset(): Offset {
    return this.#state.logEndOffset;
  }
  get highWatermark(): Offset {
    return this.#state.highWatermark;
  }
  /** The HW a restart would recover now (≤ `highWatermark`; equal after any commit or `storeHighWatermark`). */
  get storedHighWatermark(): Offset {
    return this.#storedHighWatermark;
  }
  get leaderEpoch(): number {
    return this.#state.leaderEpoch;
  }
  get role(): ReplicaRole {
    return this.#state.role;
  }
  get config(): LogConfig {
    return this.#config;
  }

  offsets(): ReplicaOffsets {
    const { logStartOffset, highWatermark, logEndOffset, leaderEpoch, role } = this.#state;
    return { logStartOffset, highWatermark, logEndOffset, leaderEpoch, role };
  }

  /** Bytes of record batches this log stores now (Kafka's kafka.log:type=Log,name=Size). */
  storedBytes(): number {
    this.#storedBytes ??= this.#store.segments().reduce((sum, s) => sum + s.sizeBytes, 0);
    return this.#storedBytes;
  }

  /** Moves the running total by `delta` after a committed change (null stays unknown). */
  #addStoredBytes(delta: number): void {
    if (this.#storedBytes !== null) this.#storedBytes += delta;
  }

  setConfig(config: LogConfig): void {
    this.#config = config;
  }

  /** Runs `change` on a copy of the state in one transaction with its save; adopts it on commit. */
  #commit(change: (next: LogState) => void): void {
    const next = { ...this.#state };
    this.#store.transaction(() => {
      change(next);
      this.#store.saveState(next);
    });
    this.#state = next;
    this.#storedHighWatermark = next.highWatermark;
  }

  #fenced(leaderEpoch: number): Result<never> | null {
    if (!Number.isSafeInteger(leaderEpoch) || leaderEpoch < 0)
      return fail("INVALID_REQUEST", `leader epoch must be a non-negative integer, got ${leaderEpoch}`);
    if (leaderEpoch < this.#state.leaderEpoch)
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${leaderEpoch} is older than the current ${this.#state.leaderEpoch}`);
    return null;
  }

  /** Records `leaderEpoch` as starting at the LEO if it is newer than every cached epoch. */
  #assignEpochAtLogEnd(leaderEpoch: number): void {
    const epochs = this.#store.epochs();
    const latest = latestEpoch(epochs);
    if (!latest || leaderEpoch > latest.epoch)
      this.#store.replaceEpochs(assignEpoch(epochs, leaderEpoch, this.#state.logEndOffset));
  }

  /** Kafka's makeLeader: the new epoch starts at the current LEO. */
  becomeLeader(leaderEpoch: number): Result<void> {
    const fenced = this.#fenced(leaderEpoch);
    if (fenced) return fenced;
    this.#producers = null;
    this.#commit((next) => {
      next.role = "leader";
      next.leaderEpoch = leaderEpoch;
      this.#assignEpochAtLogEnd(leaderEpoch);
    });
    return ok(undefined);
  }

  becomeFollower(leaderEpoch: number): Result<void> {
    const fenced = this.#fenced(leaderEpoch);
    if (fenced) return fenced;
    this.#commit((next) => {
      next.role = "follower";
      next.leaderEpoch = leaderEpoch;
    });
    return ok(undefined);
  }

  /**
   * The leader's append (Kafka's appendAsLeader). With `producer`, the idempotent producer's
   * rules first (producer-state.ts): a retried batch answers its original offsets and writes
   * nothing (`duplicate`), an out-of-order or fenced one is refused, and the batch must fit one
   * stored batch, as a Kafka producer batch fits max.message.bytes.
   * `othersEnd`: the lowest LEO of the ISR's other members (Infinity when the leader is alone);
   * the HW it allows with the new LEO is saved in the append's own commit (issue 22: one state
   * row per append instead of a second commit for the HW).
   */
  appendAsLeader(
    input: RecordInput[] | EncodedRecords,
    leaderEpoch: number,
    producer?: ProducerIdentity,
    othersEnd?: Offset,
  ): Result<AppendInfo> {
    const count = recordCountOf(input);
    if (count === 0) return fail("INVALID_REQUEST", "an append needs at least one record");
    const fenced = this.#fenced(leaderEpoch);
    if (fenced) return fenced;
    const keyless = compacts(this.#config) ? firstKeylessRecord(input) : -1;
    if (keyless >= 0)
      return fail("INVALID_RECORD", `record ${keyless} has no key: a compacted topic (cleanup.policy=${this.#config.cleanupPolicy}) keeps records by key and needs one`);
    const now = this.#clock.now();
    if (producer) {
      const valid = validateProducerIdentity(producer);
      if (!valid.ok) return valid;
      const check = this.#producerState().check(producer, count, now);
      if (!check.ok) return check;
      if (check.value.kind === "duplicate") return ok(this.#duplicateInfo(check.value.batch));
    }
    const baseOffset = this.#state.logEndOffset;
    const planned = planAppend(input, this.#config.messageTimestampType, now, baseOffset, producer?.baseSequence ?? -1, {
      maxRecordBytes: maxRecordBytesFor(this.#config.maxMessageBytes, this.#maxBlobBytes),
      maxBlobBytes: this.#maxBlobBytes,
    });
    if (!planned.ok) return planned;
    if (producer && planned.value.batches.length > 1)
      return fail(
        "MESSAGE_TOO_LARGE",
        `an idempotent batch must fit one stored batch of ${this.#maxBlobBytes} bytes; these ${count} records do not (send smaller batches)`,
      );
    const rows = planned.value.batches.map((b) => ({
      baseOffset: b.baseOffset,
      lastOffset: b.lastOffset,
      leaderEpoch,
      producerId: producer?.producerId ?? -1,
      producerEpoch: producer?.producerEpoch ?? -1,
      baseSequence: b.baseSequence,
      maxTimestamp: b.maxTimestamp,
      recordCount: b.recordCount,
      records: b.blob,
    }));
    this.#commit((next) => {
      // The HW this commit ends with, known before the write (the rows end at the new LEO).
      const leo = rows.at(-1)!.lastOffset + 1;
      if (othersEnd !== undefined) next.highWatermark = nextHighWatermark(next.highWatermark, Math.min(othersEnd, leo), leo);
      writeBatches(this.#store, this.#config, next, rows, now, next.highWatermark);
      next.leaderEpoch = leaderEpoch;
    });
    this.#addStoredBytes(rows.reduce((sum, r) => sum + r.records.length, 0));
    if (producer) this.#producers?.onAppend(rows[0]!, now);
    return ok({
      baseOffset,
      lastOffset: baseOffset + count - 1,
      timestamps: planned.value.timestamps,
      logAppendTime: this.#config.messageTimestampType === "LogAppendTime" ? now : null,
    });
  }

  #producerState(): ProducerStateManager {
    this.#producers ??= ProducerStateManager.fromBatches(
      this.#store.lastBatchesPerProducer(PRODUCER_BATCHES_RETAINED),
      this.#producerOptions,
      this.#clock.now(),
    );
    return this.#producers;
  }

  /** The idempotent producers this log remembers at `now` (least recently written first): DescribeProducers. */
  describeProducers(): ProducerStateDescription[] {
    const state = this.#producerState();
    state.removeExpired(this.#clock.now());
    return state.producerIds().map((id) => {
      const e = state.entry(id)!;
      const last = e.batches.at(-1)!;
      return {
        producerId: id,
        producerEpoch: e.producerEpoch,
        lastSequence: last.lastSeq,
        lastTimestamp: last.maxTimestamp,
        lastBatchBaseOffset: last.firstOffset,
        lastBatchLastOffset: last.lastOffset,
        batches: e.batches.length,
      };
    });
  }

  /** A duplicate's answer: the original batch's offsets and stored timestamps. */
  #duplicateInfo(batch: ProducerBatchMetadata): AppendInfo {
    const row = this.#store.batchAtOrBefore(batch.firstOffset)!;
    const timestamps = [...readRecords(row.records, row.baseOffset, batch.firstOffset)]
      .filter(({ record }) => record.offset <= batch.lastOffset)
      .map(({ record }) => record.timestamp);
    // The cleaner may have removed records of the batch: their timestamps read as its max.
    while (timestamps.length < batch.lastOffset - batch.firstOffset + 1) timestamps.push(row.maxTimestamp);
    return {
      baseOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      timestamps,
      logAppendTime: this.#config.messageTimestampType === "LogAppendTime" ? (timestamps[0] ?? null) : null,
      duplicate: true,
    };
  }

  /** The epoch of the batch holding `offset` (from the epoch cache); −1 outside [logStartOffset, LEO). */
  epochAt(offset: Offset): number {
    return this.#epochAt(this.#store.epochs(), offset);
  }

  #epochAt(epochs: readonly EpochEntry[], offset: Offset): number {
    if (offset < this.#state.logStartOffset || offset >= this.#state.logEndOffset) return UNDEFINED_EPOCH;
    return epochs.findLast((e) => e.startOffset <= offset)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Whole stored batches for a push: from the batch holding `fromOffset` (or the log start) on,
   * below the LEO, at least one when any is left, and otherwise at most `maxBytes` of blobs.
   */
  batchesForReplication(fromOffset: Offset, maxBytes: number): ReplicatedBatch[] {
    const { logStartOffset, logEndOffset } = this.#state;
    const from = Math.max(fromOffset, logStartOffset);
    const out: ReplicatedBatch[] = [];
    if (from >= logEndOffset) return out;
    let bytes = 0;
    for (const b of this.#store.batchesFrom(from)) {
      if (b.baseOffset >= logEndOffset || (out.length > 0 && bytes + b.sizeBytes > maxBytes)) break;
      const { sizeBytes: _size, segment: _segment, ...batch } = b;
      out.push(batch);
      bytes += b.sizeBytes;
    }
    return out;
  }

  /**
   * The follower's side of a leader's push (rules in follower-append.ts), in one transaction:
   * fencing, the log-matching check, skipping batches it holds, truncating a conflicting suffix
   * (or an older-epoch tail past the leader's epoch start), appending the rest as they are, then
   * HW = min(leader's HW, end of the push), rising only; it answers that end (matchIndex).
   * A push of a newer epoch makes this replica a follower of that epoch.
   */
  appendAsFollower(req: ReplicateRequest): Result<ReplicateResponse> {
    const invalid = validateReplicateRequest(req);
    if (invalid) return fail("INVALID_REQUEST", invalid);
    const fenced = this.#fenced(req.leaderEpoch);
    if (fenced) return fenced;
    if (req.leaderEpoch === this.#state.leaderEpoch && this.#state.role === "leader")
      return fail("NOT_LEADER_OR_FOLLOWER", `replica leads epoch ${req.leaderEpoch}; replica ${req.leaderId} cannot lead it too`);
    const epochs = this.#store.epochs();
    const view: FollowerLogView = {
      logStartOffset: this.#state.logStartOffset,
      logEndOffset: this.#state.logEndOffset,
      epochAt: (offset) => this.#epochAt(epochs, offset),
      batchStartingAt: (baseOffset) => {
        const b = this.#store.batchAtOrBefore(baseOffset);
        return b && b.baseOffset === baseOffset ? b : null;
      },
    };
    const plan = planFollowerAppend(view, req);
    const now = this.#clock.now();
    const roleChanges = this.#state.role !== "follower" || this.#state.leaderEpoch !== req.leaderEpoch;
    if (plan.kind === "mismatch") {
      if (roleChanges) this.becomeFollower(req.leaderEpoch);
      return ok(plan.response);
    }
    const hwCandidate = Math.min(req.highWatermark, plan.matchedEnd);
    const { highWatermark, logEndOffset } = this.#state;
    const writes = plan.truncateFullyAt !== null || plan.truncateTo !== null || plan.batches.length > 0;
    if (writes) this.#producers = null;
    if (roleChanges || writes || nextHighWatermark(highWatermark, hwCandidate, logEndOffset) !== highWatermark)
      this.#commit((next) => {
        next.role = "follower";
        next.leaderEpoch = req.leaderEpoch;
        if (plan.truncateFullyAt !== null) truncateFully(this.#store, next, plan.truncateFullyAt);
        if (plan.truncateTo !== null) {
          if (plan.truncateTo < next.logStartOffset) truncateFully(this.#store, next, plan.truncateTo);
          else truncateFrom(this.#store, next, plan.truncateTo);
        }
        // The HW this commit ends with, known before the write (the batches end at the new LEO).
        const leo = plan.batches.length > 0 ? plan.batches.at(-1)!.lastOffset + 1 : next.logEndOffset;
        next.highWatermark = nextHighWatermark(next.highWatermark, hwCandidate, leo);
        writeBatches(this.#store, this.#config, next, plan.batches, now, next.highWatermark);
      });
    if (plan.truncateFullyAt !== null || plan.truncateTo !== null) {
      this.#storedBytes = null;
      this.#cleaner.abort();
    }
    else this.#addStoredBytes(plan.batches.reduce((sum, b) => sum + b.records.length, 0));
    return ok({ status: "ok", logEndOffset: plan.matchedEnd });
  }

  /**
   * Records from exactly `offset` on, below the bound (the HW for consumers, the LEO for
   * replication), up to `maxRecords` and `maxBytes` of encoded records, but at least one record
   * when one is available.
   */
  read(request: FetchRequest, upperBound: ReadUpperBound = "highWatermark"): Result<FetchResult> {
    const r = this.readBatches(request, upperBound);
    if (!r.ok) return r;
    const { batches, ...rest } = r.value;
    const records = decodeBatches(batches);
    return ok({ records, ...rest });
  }

  /**
   * What `read` returns, as stored batches cut to exactly the records read: the records' bytes
   * as stored (first and last batch sliced when the read starts or stops inside them), all in
   * one buffer (`inOneBuffer`), so a caller that forwards them (the fetch RPC) carries one
   * array, not an object per record nor an array per batch.
   */
  readBatches(request: FetchRequest, upperBound: ReadUpperBound = "highWatermark"): Result<FetchedBatches> {
    const { offset, maxRecords, maxBytes } = request;
    if (!Number.isSafeInteger(offset)) return fail("INVALID_REQUEST", `offset must be an integer, got ${offset}`);
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1 || !Number.isSafeInteger(maxBytes) || maxBytes < 0)
      return fail("INVALID_FETCH_SIZE", `maxRecords must be ≥ 1 and maxBytes ≥ 0, got ${maxRecords} and ${maxBytes}`);
    if (upperBound === "highWatermark") this.storeHighWatermark();
    const { logStartOffset, highWatermark, logEndOffset } = this.#state;
    const bound = upperBound === "highWatermark" ? highWatermark : logEndOffset;
    // Kafka's rule: only an offset outside [log start, LEO] is out of range. One between the HW
    // and the LEO (e.g. a consumer at the old leader's HW right after a fail-over) reads nothing yet.
    if (offset < logStartOffset || offset > logEndOffset)
      return fail("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`);
    const reader = new BatchReader(offset, bound, maxRecords, maxBytes);
    if (offset < bound) reader.feed(this.#store.batchesFrom(offset));
    // A compacted log has gaps: with no limit hit, the read covered every offset up to the bound,
    // so the next read starts there (in a dense log the last record read ends there anyway).
    const nextOffset = !reader.limited && offset < bound ? bound : reader.nextOffset;
    const batches = inOneBuffer(reader.batches);
    return ok({ batches, nextOffset, highWatermark, logStartOffset, logEndOffset });
  }

  /**
   * Raises the HW to `candidate` (capped at the LEO); true if it moved. In memory only: the
   * next commit or `storeHighWatermark` stores it (see the header), so a push answer that
   * moves the HW costs no write of its own.
   */
  maybeIncrementHighWatermark(candidate: Offset): boolean {
    const hw = nextHighWatermark(this.#state.highWatermark, candidate, this.#state.logEndOffset);
    if (hw === this.#state.highWatermark) return false;
    this.#state = { ...this.#state, highWatermark: hw };
    return true;
  }

  /** Stores an HW rise kept in memory (one state row), before the HW is shown; no write when it is stored. */
  storeHighWatermark(): void {
    if (this.#storedHighWatermark < this.#state.highWatermark) this.#commit(() => {});
  }

  /** The earliest offset below the HW whose timestamp is ≥ `timestamp`, or null. */
  offsetForTimestamp(timestamp: TimestampMs): OffsetAndTimestamp | null {
    this.storeHighWatermark();
    const { logStartOffset, highWatermark } = this.#state;
    const found = this.#store.firstBatchWithMaxTimestampAtLeast(timestamp, logStartOffset);
    if (!found || found.baseOffset >= highWatermark) return null;
    // Reads on past the found batch: the cleaner may have removed the record its max timestamp names.
    for (const batch of this.#store.batchesFrom(found.baseOffset))
      for (const { record } of readRecords(batch.records, batch.baseOffset, logStartOffset)) {
        if (record.offset >= highWatermark) return null;
        if (record.timestamp >= timestamp) return { offset: record.offset, timestamp: record.timestamp };
      }
    return null;
  }

  /** KIP-101/279: see leader-epoch-cache.ts. */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset {
    return endOffsetForEpoch(this.#store.epochs(), leaderEpoch, this.#state.logEndOffset);
  }

  /** The leader-epoch cache, ascending. */
  epochEntries(): EpochEntry[] {
    return this.#store.epochs();
  }

  /**
   * Removes every record at or after `offset` (a batch straddling it is trimmed), the epoch
   * entries starting there or later, and clamps the HW. Below the log start it empties the log
   * and restarts at `offset`. True if anything was removed.
   */
  truncateTo(offset: Offset): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`truncateTo: bad offset ${offset}`);
    if (offset >= this.#state.logEndOffset) return false;
    if (offset < this.#state.logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return true;
    }
    this.#producers = null;
    this.#cleaner.abort();
    this.#commit((next) => truncateFrom(this.#store, next, offset));
    this.#storedBytes = null;
    return true;
  }

  /** Drops the whole log and its epoch cache; the log restarts empty at `offset`. */
  truncateFullyAndStartAt(offset: Offset): void {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`truncateFullyAndStartAt: bad offset ${offset}`);
    this.#producers = null;
    this.#cleaner.abort();
    this.#commit((next) => truncateFully(this.#store, next, offset));
    this.#storedBytes = 0;
  }

  /** Applies retention.ms and retention.bytes (see retention.ts); moves the log start offset. */
  deleteRetainedSegments(): { deletedSegments: number; logStartOffset: Offset } {
    if (!deletes(this.#config)) return { deletedSegments: 0, logStartOffset: this.#state.logStartOffset };
    const now = this.#clock.now();
    const segments = this.#store.segments();
    const { logEndOffset, highWatermark } = this.#state;
    const plan = planRetention(segments, logEndOffset, highWatermark, now, this.#config);
    if (plan.deleteCount === 0) return { deletedSegments: 0, logStartOffset: this.#state.logStartOffset };
    const cutoff = plan.rollFirst ? logEndOffset : segments[plan.deleteCount]!.baseOffset;
    this.#producers = null;
    this.#commit((next) => {
      if (plan.rollFirst) this.#store.putSegment(emptySegment(logEndOffset, now));
      this.#store.deleteBatchesBelow(cutoff);
      this.#store.deleteSegmentsBelow(cutoff);
      const first = this.#store.firstBatch();
      next.logStartOffset = Math.max(next.logStartOffset, first ? first.baseOffset : logEndOffset);
      this.#store.replaceEpochs(truncateFromStart(this.#store.epochs(), next.logStartOffset));
    });
    this.#addStoredBytes(-segments.filter((s) => s.baseOffset < cutoff).reduce((sum, s) => sum + s.sizeBytes, 0));
    return { deletedSegments: plan.deleteCount, logStartOffset: this.#state.logStartOffset };
  }

  // ---- Tiered storage (src/partition/tiered-storage.ts): read-only views and one local cut. ----

  /** The local segments, oldest first, with exclusive ends (the active one ends at the LEO). */
  localSegments(): LocalSegmentView[] {
    const segments = this.#store.segments();
    return segments.map((s, i) => ({
      baseOffset: s.baseOffset,
      endOffset: segments[i + 1]?.baseOffset ?? this.#state.logEndOffset,
      sizeBytes: s.sizeBytes,
      recordCount: s.recordCount,
      maxTimestamp: s.maxTimestamp,
      active: i === segments.length - 1,
    }));
  }

  /**
   * The stored batches from the one holding `from` to the last with base offset < `to`, in order
   * (part of a segment, for an upload), stopping once `maxBytes` of blobs are taken (at least one).
   */
  batchRowsIn(from: Offset, to: Offset, maxBytes = Number.POSITIVE_INFINITY): BatchRow[] {
    const out: BatchRow[] = [];
    let bytes = 0;
    for (const b of this.#store.batchesFrom(from)) {
      if (b.baseOffset >= to || (out.length > 0 && bytes >= maxBytes)) break;
      if (b.lastOffset < from) continue;
      out.push(b);
      bytes += b.sizeBytes;
    }
    return out;
  }

  /**
   * Deletes the closed local segments below `cutoff` (a segment base at or below the HW, never
   * the active segment's) and moves the local log start there: the caller has checked that a
   * remote copy holds them. False when `cutoff` is not such a base.
   */
  deleteLocalSegmentsBelow(cutoff: Offset): boolean {
    const segments = this.#store.segments();
    const at = segments.findIndex((s) => s.baseOffset === cutoff);
    if (at <= 0 || cutoff > this.#state.highWatermark) return false;
    const freed = segments.slice(0, at).reduce((sum, s) => sum + s.sizeBytes, 0);
    this.#producers = null;
    this.#commit((next) => {
      this.#store.deleteBatchesBelow(cutoff);
      this.#store.deleteSegmentsBelow(cutoff);
      next.logStartOffset = Math.max(next.logStartOffset, cutoff);
      this.#store.replaceEpochs(truncateFromStart(this.#store.epochs(), next.logStartOffset));
    });
    this.#addStoredBytes(-freed);
    return true;
  }

  /** When the replica's alarm should next run `deleteRetainedSegments` (null: not needed). */
  nextRetentionDeadline(): TimestampMs | null {
    if (!deletes(this.#config)) return null;
    return retentionDeadline(this.#store.segments(), this.#clock.now(), this.#config);
  }

  /**
   * One bounded step of log compaction (cleaner.ts; a no-op unless cleanup.policy compacts):
   * never the active segment, never at or above the HW, offsets kept. The replica's alarm calls it.
   */
  compactStep(): CleanStep {
    const step = this.#cleaner.step(this.#store, this.#state, this.#config, this.#clock.now());
    if (step.recordsRemoved > 0) {
      this.#producers = null;
      this.#addStoredBytes(-step.bytesRemoved);
    }
    return step;
  }

  /** When the replica's alarm should next run `compactStep` (null: not needed now). */
  nextCompactionDeadline(): TimestampMs | null {
    return this.#cleaner.nextDeadline(this.#store, this.#state, this.#config, this.#clock.now());
  }
}
