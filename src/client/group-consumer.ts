/**
 * A consumer-group member (Kafka's KafkaConsumer with `subscribe`, KIP-848 style: the server
 * assigns, the member reconciles). `poll()` joins on first use, keeps a heartbeat loop on the
 * scheduler, and returns records of the partitions the coordinator gave it; `commit()` commits
 * the offset after the last record returned per partition.
 *
 * Invariants:
 * - a commit never names an offset past a record `poll` returned: auto-commit and `commit()`
 *   send last returned + 1, so every record the application saw before a commit is processed
 *   (at-least-once when it commits after processing);
 * - a revoked partition is released (left out of `owned_partitions`) only after the auto-commit
 *   and `onPartitionsRevoked` for it finished, and no record of it is returned after `poll`
 *   learned of the revocation;
 * - after FENCED_MEMBER_EPOCH (110), UNKNOWN_MEMBER_ID (25) or FENCED_INSTANCE_ID (82) nothing
 *   is committed for the old member: its partitions are dropped (`onPartitionsLost`), `commit`
 *   throws the fencing error, and the next `poll` joins as a fresh member;
 * - the member id is chosen here (`c-` + a random UUID, KIP-1082) and sent in every join, so a
 *   join retried after a lost answer (network error, timeout, 5xx) finds the member the first
 *   try made instead of creating a second one; after fencing the next join uses a new id;
 * - every poll sends the `cursor` of the last poll answer received (0 for a new member), which
 *   acknowledges that answer's records. After a poll without an answer the next poll sends the
 *   same cursor, and the server reads the unacknowledged records again: redelivered, never
 *   skipped, and without a rebalance.
 * Concurrency: single-threaded; one `poll` at a time, from one caller. Heartbeats run in the
 * background; heartbeat, commit, join and leave go one at a time through one lane, so each
 * uses the member epoch the previous answer set. Callbacks run inside `poll` and `close`.
 * Works in Node and Workers. Built by `FlarelogClient.groupConsumer`.
 */
import type {
  FlarelogClient,
  GroupRecord,
  JoinGroupBody,
  MemberAssignment,
  TopicPartitionList,
  TopicPartitionOffset,
} from "./flarelog-client.ts";
import { FlarelogError } from "./flarelog-error.ts";
import { systemScheduler, type Scheduler } from "./producer-config.ts";
import { type Outcome, Timers } from "./timers.ts";
import { ERRORS } from "../protocol/errors.ts";
import {
  contains,
  fromList,
  intersect,
  isEmpty,
  minus,
  toList,
  toTopicPartitionList,
  tpKey,
  type TopicPartition,
  type TopicPartitions,
  union,
} from "../protocol/topic-partitions.ts";

export type { TopicPartition } from "../protocol/topic-partitions.ts";

/** A rebalance callback (Kafka's ConsumerRebalanceListener); awaited inside `poll`/`close`. */
export type PartitionsCallback = (partitions: TopicPartition[]) => void | Promise<void>;

export interface GroupConsumerConfig {
  /** group.id */
  group: string;
  /** Exactly one of `topics` and `topicPattern` (a regular expression matching whole names). */
  topics?: string[];
  topicPattern?: string;
  /** session.timeout.ms (default: the server's, 45000). */
  sessionTimeoutMs?: number;
  /** Time to release revoked partitions, Kafka's max.poll.interval.ms (default: the server's, 300000). */
  rebalanceTimeoutMs?: number;
  /** group.instance.id: a static member. */
  groupInstanceId?: string;
  /** group.remote.assignor (default: the server's, "sticky"). */
  assignor?: "range" | "roundrobin" | "sticky";
  /** auto.offset.reset for partitions without a committed offset (default: the server's, "latest"). */
  autoOffsetReset?: "earliest" | "latest";
  /** max.poll.records (default 500). */
  maxPollRecords?: number;
  /** Byte bound of one poll (default: the server's). */
  maxBytes?: number;
  /** fetch.max.wait.ms: how long a poll long-polls when nothing is ready (default 0). */
  waitMs?: number;
  /** enable.auto.commit, but off by default: commit explicitly after processing. */
  autoCommit?: boolean;
  /** request.timeout.ms of one call (default 30000; a poll gets waitMs on top). */
  requestTimeoutMs?: number;
  encoding?: "utf8" | "base64";
  onPartitionsRevoked?: PartitionsCallback;
  onPartitionsAssigned?: PartitionsCallback;
  /** Partitions taken away by fencing or expiry: commits for them are no longer possible. */
  onPartitionsLost?: PartitionsCallback;
  /** Clock and timers (default: the globals). */
  scheduler?: Scheduler;
}

export const GROUP_CONSUMER_DEFAULTS = { maxPollRecords: 500, waitMs: 0, requestTimeoutMs: 30_000 } as const;

/** Tries of one join while its outcome is unknown or the error retriable; safe, as each names the same member id. */
export const JOIN_ATTEMPTS = 3;

/** A client-chosen member id: within the server's 1 to 64 characters of [a-zA-Z0-9_-]. */
export const newMemberId = (): string => `c-${crypto.randomUUID()}`;

/** Answers that end the membership: rejoin as a fresh member, commit nothing for the old one. */
const FENCING_CODES: ReadonlySet<number> = new Set([ERRORS.UNKNOWN_MEMBER_ID.code, ERRORS.FENCED_MEMBER_EPOCH.code, ERRORS.FENCED_INSTANCE_ID.code]);
export const isFencingError = (e: FlarelogError): boolean => FENCING_CODES.has(e.errorCode);

const fromApi = (list: readonly TopicPartitionList[]): TopicPartitions =>
  fromList(list.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition }))));

export class GroupConsumer {
  readonly #client: FlarelogClient;
  readonly #cfg: GroupConsumerConfig;
  readonly #timers: Timers;
  readonly #requestTimeoutMs: number;

  #memberId: string | undefined;
  #memberEpoch = -1;
  /** The id the next join names: kept until a join is answered, so a retry finds the same member. */
  #joinId: string | undefined;
  /** A try of the pending join got no answer: a member with `#joinId` may exist (left at close). */
  #joinOutcomeUnknown = false;
  /** The `cursor` of the last poll answer received; sent by the next poll to acknowledge it. */
  #cursor = 0;
  #heartbeatIntervalMs = 3000;
  /** The coordinator's latest assignment for this member. */
  #target: TopicPartitions = {};
  /** What this member holds (callbacks ran), revoked-but-unreleased included; sent as owned_partitions. */
  #owned: TopicPartitions = {};
  /** Per partition: the offset after the last record returned. */
  readonly #consumed = new Map<string, TopicPartitionOffset>();
  readonly #committed = new Map<string, number>();
  /** Partitions dropped by fencing, for `onPartitionsLost` at the next poll. */
  #lost: TopicPartitions = {};
  #fencedBy: FlarelogError | undefined;
  /** A 110-fenced member still exists on the server: it is left before the next join. */
  #staleMemberId: string | undefined;
  /** A non-retriable heartbeat failure, thrown by the next poll. */
  #heartbeatError: FlarelogError | undefined;
  #lane: Promise<unknown> = Promise.resolve();
  #heartbeatTimer: unknown;
  #closing = false;
  #closed = false;

  constructor(client: FlarelogClient, config: GroupConsumerConfig) {
    if ((config.topics === undefined) === (config.topicPattern === undefined))
      throw FlarelogError.of("INVALID_CONFIG", "give exactly one of topics and topicPattern");
    this.#client = client;
    this.#cfg = config;
    this.#timers = new Timers(config.scheduler ?? systemScheduler);
    this.#requestTimeoutMs = config.requestTimeoutMs ?? GROUP_CONSUMER_DEFAULTS.requestTimeoutMs;
  }

  get memberId(): string | undefined {
    return this.#memberId;
  }

  get memberEpoch(): number {
    return this.#memberEpoch;
  }

  /** The partitions whose records `poll` may return now (revoked ones are gone at once). */
  assignment(): TopicPartition[] {
    return toList(intersect(this.#owned, this.#target));
  }

  /**
   * Records of the assigned partitions, at most `maxPollRecords`. Joins first when not a member,
   * runs pending rebalance callbacks, auto-commits what earlier polls returned, then reads.
   * Returns [] after fencing (the next poll rejoins) and after a lost answer (the next poll,
   * with the same cursor, gets those records again). Throws a join that failed
   * {@link JOIN_ATTEMPTS} times; the next poll retries it with the same member id.
   */
  async poll(opts: { waitMs?: number } = {}): Promise<GroupRecord[]> {
    if (this.#closing) throw FlarelogError.closed("group consumer");
    if (this.#heartbeatError) {
      const e = this.#heartbeatError;
      this.#heartbeatError = undefined;
      throw e;
    }
    await this.#fireLost();
    if (this.#memberId === undefined) await this.#join();
    await this.#reconcile();
    if (this.#cfg.autoCommit) await this.#autoCommit();
    const memberId = this.#memberId;
    if (memberId === undefined) return [];

    const waitMs = opts.waitMs ?? this.#cfg.waitMs ?? GROUP_CONSUMER_DEFAULTS.waitMs;
    const query = {
      max_records: this.#cfg.maxPollRecords ?? GROUP_CONSUMER_DEFAULTS.maxPollRecords,
      ...(this.#cfg.maxBytes !== undefined ? { max_bytes: this.#cfg.maxBytes } : {}),
      ...(waitMs > 0 ? { wait_ms: waitMs } : {}),
      ...(this.#cfg.encoding ? { encoding: this.#cfg.encoding } : {}),
      cursor: this.#cursor,
    };
    // No member_epoch here: the server returns records of the member's current assignment
    // anyway, and an epoch raised by a concurrent heartbeat would fence the poll for nothing.
    const r = await this.#timers.call(this.#requestTimeoutMs + waitMs, (signal) => this.#client.pollGroup(this.#cfg.group, memberId, query, { signal }));
    if (this.#memberId !== memberId) return []; // fenced while waiting
    if (!r.ok) {
      // No answer (network, timeout, 5xx): the cursor stays, so the next poll reads the same records.
      if (isFencingError(r.error)) this.#fence(r.error, memberId);
      else if (!r.error.retriable && !r.error.outcomeUnknown) throw r.error;
      return [];
    }
    if (typeof r.body.cursor === "number") this.#cursor = r.body.cursor;
    this.#applyAssignment(r.body, "poll");
    await this.#reconcile();
    if (this.#memberId !== memberId) return [];
    const out = r.body.records.filter((rec) => contains(this.#owned, rec.topic, rec.partition) && contains(this.#target, rec.topic, rec.partition));
    for (const rec of out) {
      const key = tpKey(rec.topic, rec.partition);
      const next = rec.offset + 1;
      if ((this.#consumed.get(key)?.offset ?? -1) < next) this.#consumed.set(key, { topic: rec.topic, partition: rec.partition, offset: next });
    }
    return out;
  }

  /**
   * Commits `offsets` (each the NEXT offset to read), or by default the offset after the last
   * record `poll` returned for every partition held and not yet committed. Throws the fencing
   * error after this member was fenced (until the next poll rejoins), and any refusal.
   */
  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    if (this.#closed) throw FlarelogError.closed("group consumer");
    if (this.#memberId === undefined) {
      if (this.#fencedBy) throw this.#fencedBy;
      if (offsets && offsets.length > 0) throw FlarelogError.of("UNKNOWN_MEMBER_ID", `not a member of group ${this.#cfg.group} yet: poll() joins`);
      return;
    }
    const list = offsets ?? this.#uncommitted(this.#owned);
    if (list.length === 0) return;
    const r = await this.#commitNow(list);
    if (!r.ok) throw r.error;
  }

  /**
   * Auto-commits (if on), runs `onPartitionsRevoked` for what it holds, leaves, stops every timer.
   * A join that never got an answer may have made a member: that id is left as well.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    let failure: unknown;
    const memberId = this.#memberId;
    if (memberId !== undefined) {
      if (this.#cfg.autoCommit) await this.#autoCommit();
      const held = this.#owned;
      if (!isEmpty(held) && this.#memberId === memberId) failure = await this.#callback(this.#cfg.onPartitionsRevoked, held);
      await this.#inLane(async () => {
        if (this.#memberId !== memberId) return;
        this.#resetMember();
        // A lost answer or a 25 changes nothing for us: the session timeout ends the member anyway.
        await this.#timers.call(this.#requestTimeoutMs, (signal) => this.#client.leaveGroup(this.#cfg.group, memberId, { signal }));
      });
    } else if (this.#joinId !== undefined && this.#joinOutcomeUnknown) {
      const orphan = this.#joinId;
      await this.#inLane(() => this.#timers.call(this.#requestTimeoutMs, (signal) => this.#client.leaveGroup(this.#cfg.group, orphan, { signal })));
    }
    this.#closed = true;
    this.#timers.clear();
    if (failure !== undefined) throw failure;
  }

  /** Joins naming `#joinId`, retried at once while the outcome is unknown: every try is the same member. */
  async #join(): Promise<void> {
    await this.#inLane(async () => {
      const stale = this.#staleMemberId;
      if (stale !== undefined) {
        this.#staleMemberId = undefined;
        await this.#timers.call(this.#requestTimeoutMs, (signal) => this.#client.leaveGroup(this.#cfg.group, stale, { signal }));
      }
      const c = this.#cfg;
      const body: JoinGroupBody = {
        ...(c.topics !== undefined ? { topics: c.topics } : { topic_pattern: c.topicPattern! }),
        ...(c.sessionTimeoutMs !== undefined ? { session_timeout_ms: c.sessionTimeoutMs } : {}),
        ...(c.rebalanceTimeoutMs !== undefined ? { rebalance_timeout_ms: c.rebalanceTimeoutMs } : {}),
        ...(c.groupInstanceId !== undefined ? { group_instance_id: c.groupInstanceId } : {}),
        ...(c.assignor !== undefined ? { assignor: c.assignor } : {}),
        ...(c.autoOffsetReset !== undefined ? { auto_offset_reset: c.autoOffsetReset } : {}),
        member_id: (this.#joinId ??= newMemberId()),
      };
      let r: Outcome<MemberAssignment>;
      for (let attempt = 1; ; attempt++) {
        r = await this.#timers.call(this.#requestTimeoutMs, (signal) => this.#client.joinGroup(c.group, body, { signal }));
        // Once any try went unanswered, a member with this id may exist until a join is answered.
        if (!r.ok && r.error.outcomeUnknown) this.#joinOutcomeUnknown = true;
        if (r.ok || attempt >= JOIN_ATTEMPTS || !(r.error.outcomeUnknown || r.error.retriable)) break;
      }
      if (!r.ok) throw r.error;
      this.#resetMember();
      this.#joinId = undefined;
      this.#joinOutcomeUnknown = false;
      this.#memberId = r.body.member_id;
      this.#fencedBy = undefined;
      this.#applyAssignment(r.body, "coordinator");
      this.#scheduleHeartbeat(this.#heartbeatIntervalMs);
    });
  }

  /** Heartbeat and join answers are applied in lane order; a poll answer only when it is newer. */
  #applyAssignment(body: Pick<MemberAssignment, "member_epoch" | "assignment"> & { heartbeat_interval_ms?: number }, from: "coordinator" | "poll"): void {
    // Within one epoch the assignment can shrink (a revocation keeps the epoch), so a poll
    // answer at the epoch we know may be older than the heartbeat answer we applied.
    if (from === "poll" ? body.member_epoch <= this.#memberEpoch : body.member_epoch < this.#memberEpoch) return;
    this.#memberEpoch = body.member_epoch;
    this.#target = fromApi(body.assignment);
    if (body.heartbeat_interval_ms !== undefined && body.heartbeat_interval_ms > 0) this.#heartbeatIntervalMs = body.heartbeat_interval_ms;
  }

  /**
   * Brings what this member holds to the coordinator's assignment: revoked partitions are
   * auto-committed (if on), handed to `onPartitionsRevoked`, then released by a heartbeat sent
   * at once; new ones go to `onPartitionsAssigned`. A callback's error is thrown afterwards.
   */
  async #reconcile(): Promise<void> {
    const memberId = this.#memberId;
    if (memberId === undefined) return;
    let failure: unknown;
    const revoked = minus(this.#owned, this.#target);
    if (!isEmpty(revoked)) {
      if (this.#cfg.autoCommit) await this.#autoCommit(revoked);
      failure = await this.#callback(this.#cfg.onPartitionsRevoked, revoked);
      if (this.#memberId !== memberId) return this.#throwIf(failure);
      this.#owned = minus(this.#owned, revoked);
      for (const { topic, partition } of toList(revoked)) {
        this.#consumed.delete(tpKey(topic, partition));
        this.#committed.delete(tpKey(topic, partition));
      }
      await this.#heartbeat();
      if (this.#memberId !== memberId) return this.#throwIf(failure);
    }
    const added = minus(this.#target, this.#owned);
    if (!isEmpty(added)) {
      this.#owned = union(this.#owned, added);
      failure ??= await this.#callback(this.#cfg.onPartitionsAssigned, added);
    }
    this.#throwIf(failure);
  }

  #throwIf(failure: unknown): void {
    if (failure !== undefined) throw failure;
  }

  async #callback(cb: PartitionsCallback | undefined, partitions: TopicPartitions): Promise<unknown> {
    if (!cb) return undefined;
    try {
      await cb(toList(partitions));
      return undefined;
    } catch (e) {
      return e;
    }
  }

  async #fireLost(): Promise<void> {
    if (isEmpty(this.#lost)) return;
    const lost = this.#lost;
    this.#lost = {};
    this.#throwIf(await this.#callback(this.#cfg.onPartitionsLost, lost));
  }

  /** Commits what was returned and not yet committed; failures wait for the next try (as Kafka's auto-commit). */
  async #autoCommit(scope: TopicPartitions = this.#owned): Promise<void> {
    const list = this.#uncommitted(scope);
    if (list.length > 0) await this.#commitNow(list);
  }

  #uncommitted(scope: TopicPartitions): TopicPartitionOffset[] {
    return [...this.#consumed.entries()]
      .filter(([key, e]) => contains(scope, e.topic, e.partition) && (this.#committed.get(key) ?? -1) < e.offset)
      .map(([, e]) => ({ ...e }));
  }

  /** One commit in the lane; a 22 after our epoch moved meanwhile is tried once more with the new one. */
  #commitNow(offsets: TopicPartitionOffset[]): Promise<Outcome<null>> {
    return this.#inLane(async () => {
      for (let attempt = 0; ; attempt++) {
        const memberId = this.#memberId;
        if (memberId === undefined)
          return { ok: false, error: this.#fencedBy ?? FlarelogError.of("UNKNOWN_MEMBER_ID", `not a member of group ${this.#cfg.group}`) };
        const epoch = this.#memberEpoch;
        const r = await this.#timers.call(this.#requestTimeoutMs, (signal) =>
          this.#client.commitOffsets(this.#cfg.group, { member_id: memberId, member_epoch: epoch, offsets }, { signal }),
        );
        if (r.ok) {
          for (const e of offsets) {
            const key = tpKey(e.topic, e.partition);
            if (this.#consumed.has(key)) this.#committed.set(key, e.offset);
          }
          return r;
        }
        if (isFencingError(r.error) && this.#memberId === memberId) this.#fence(r.error, memberId);
        const epochMoved = r.error.errorCode === ERRORS.ILLEGAL_GENERATION.code && this.#memberId === memberId && this.#memberEpoch !== epoch;
        if (!epochMoved || attempt > 0) return r;
      }
    });
  }

  #scheduleHeartbeat(ms: number): void {
    this.#timers.cancel(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    if (this.#memberId === undefined || this.#closed) return;
    this.#heartbeatTimer = this.#timers.after(ms, () => void this.#heartbeat());
  }

  /** One heartbeat reporting `owned_partitions`; the next is scheduled an interval after it. */
  #heartbeat(): Promise<void> {
    const memberId = this.#memberId;
    if (memberId === undefined) return Promise.resolve();
    return this.#inLane(async () => {
      if (this.#memberId !== memberId) return;
      this.#timers.cancel(this.#heartbeatTimer);
      const body = { member_epoch: this.#memberEpoch, owned_partitions: toTopicPartitionList(this.#owned) };
      const r = await this.#timers.call(this.#requestTimeoutMs, (signal) => this.#client.heartbeat(this.#cfg.group, memberId, body, { signal }));
      if (this.#memberId !== memberId) return;
      if (r.ok) this.#applyAssignment(r.body, "coordinator");
      else if (isFencingError(r.error)) return this.#fence(r.error, memberId);
      else if (!r.error.retriable && !r.error.outcomeUnknown) this.#heartbeatError = r.error;
      this.#scheduleHeartbeat(this.#heartbeatIntervalMs);
    });
  }

  /** The membership is over: drop everything it held without committing; the next poll joins with a new id. */
  #fence(error: FlarelogError, memberId: string): void {
    this.#lost = union(this.#lost, this.#owned);
    this.#fencedBy = error;
    if (error.errorCode === ERRORS.FENCED_MEMBER_EPOCH.code) this.#staleMemberId = memberId;
    this.#resetMember();
  }

  #resetMember(): void {
    this.#timers.cancel(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    this.#memberId = undefined;
    this.#memberEpoch = -1;
    this.#cursor = 0;
    this.#target = {};
    this.#owned = {};
    this.#consumed.clear();
    this.#committed.clear();
  }

  #inLane<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lane.then(fn);
    this.#lane = run.catch(() => undefined);
    return run;
  }
}
