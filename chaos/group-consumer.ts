/**
 * The chaos group consumer (issue 6): one member of the run's consumer group at a time, sequential
 * (one request in flight), every request recorded as a `GroupOp`. It joins with the topic and
 * `auto_offset_reset: "earliest"`, heartbeats every `heartbeat_interval_ms` reporting the
 * partitions it owns, polls the member route, processes (the history records what it read) and
 * commits after processing — at most every COMMIT_INTERVAL_MS, like Kafka's auto-commit interval,
 * and always before giving partitions up: per partition, the offset after the last record processed.
 *
 * Rules, Kafka's consumer's (and src/client/group-consumer.ts's):
 * - an answer (join, heartbeat or poll) whose assignment lacks owned partitions is a revocation:
 *   the member commits what it processed of them first, then reports them released by leaving
 *   them out of `owned_partitions` in a heartbeat sent at once; new partitions are owned at once;
 * - 25 UNKNOWN_MEMBER_ID, 110 FENCED_MEMBER_EPOCH, 82 FENCED_INSTANCE_ID: the member is gone or
 *   fenced, so nothing more is committed for it; it rejoins as a new member (after 110 it first
 *   tries to leave, so the old id stops holding partitions before its session ends);
 * - every poll brings back the previous answer's `cursor`, so a poll whose answer was lost is
 *   simply followed by the next poll, which reads the same records again (no rejoin);
 * - every join names a member id chosen here (KIP-1082); a join whose answer is lost is retried
 *   with the same id and finds the member it created; after fencing the next join uses a new id;
 * - a crash (`crash(until, afterProcessing)`, the nemesis' consumer fault): nothing is committed
 *   or left; the member is abandoned and the consumer is silent until `until` (longer than the
 *   session timeout), then joins as a new member. A poll in flight when the crash began was either
 *   processed (`afterProcessing`: the crash hit between processing and the commit, so the next
 *   owner re-reads it) or is marked `unprocessed` (the consumer died before processing it).
 * Bounded: every request has the client timeout; the loop has an iteration cap; after `stop` it
 * commits, leaves (bounded attempts) and returns. Node 24 type stripping: erasable TypeScript.
 */
import type { GroupOp } from "./history.ts";
import { call, classify, realTimer, type Stopper, type Timer, type WorkloadConfig } from "./workload.ts";

export interface GroupOptions {
  group: string;
  sessionTimeoutMs: number;
  /** The poll's `wait_ms` (long-poll). */
  waitMs: number;
}

/** Codes after which the member must rejoin as a new member and commit nothing. */
const REJOIN_CODES: ReadonlySet<number> = new Set([25, 110, 82]);
const ILLEGAL_GENERATION = 22;
const FENCED_MEMBER_EPOCH = 110;
const NO_ANSWER_PAUSE_MS = 250;
const ERROR_PAUSE_MS = 200;
/** After a heartbeat without an answer, the next one goes this soon (the session keeps running). */
const HEARTBEAT_RETRY_MS = 500;
/** A revocation's commit is re-sent this often while its outcome is unknown, then given up (redelivery). */
const REVOKE_COMMIT_ATTEMPTS = 3;
/** Processed offsets are committed at most this often while nothing is being given up. */
const COMMIT_INTERVAL_MS = 1_000;

interface Member {
  id: string;
  epoch: number;
  /** The last poll answer's cursor: the next poll brings it back (a lost answer is then read again). */
  cursor: number;
  heartbeatIntervalMs: number;
  /** Invoke time of the last heartbeat attempt, and of the last ok heartbeat or the join. */
  lastHeartbeatMs: number;
  lastAliveMs: number;
}

export class ChaosGroupConsumer {
  readonly process: string;
  readonly #cfg: WorkloadConfig;
  readonly #opts: GroupOptions;
  readonly #stop: Stopper;
  readonly #out: (op: GroupOp) => void;
  readonly #timer: Timer;
  #member: Member | null = null;
  /** Partitions this member owns and processes. */
  readonly #owned = new Set<number>();
  /** Per owned partition: the offset after the last record processed, and after the last ok commit. */
  readonly #processed = new Map<number, number>();
  readonly #committed = new Map<number, number>();
  #releasePending = false;
  #crashUntil = -1;
  #crashAfterProcessing = false;
  /** When the last commit of this member was sent (the commit interval runs from it). */
  #lastCommitMs = Number.NEGATIVE_INFINITY;
  #joinReason = "start";
  /** The member id this consumer's next join names (KIP-1082): kept while joins go unanswered, new after fencing. */
  #joinId: string | null = null;
  #joins = 0;

  constructor(cfg: WorkloadConfig, opts: GroupOptions, index: number, stop: Stopper, out: (op: GroupOp) => void) {
    this.process = `consumer-${index}`;
    this.#cfg = cfg;
    this.#opts = opts;
    this.#stop = stop;
    this.#out = out;
    this.#timer = cfg.timer ?? realTimer;
  }

  /** The consumer fault: silent (no heartbeat, poll, commit or leave) until `untilMs` (the run's clock). */
  crash(untilMs: number, afterProcessing: boolean): void {
    this.#crashUntil = untilMs;
    this.#crashAfterProcessing = afterProcessing;
  }

  #crashed(): boolean {
    return this.#cfg.now() < this.#crashUntil;
  }

  async run(): Promise<void> {
    for (let iteration = 0; !this.#stop.stopped && iteration < 1_000_000; iteration++) {
      if (this.#crashed()) {
        if (this.#member !== null) this.#forget("crash");
        await this.#timer.pause(Math.min(200, Math.max(1, this.#crashUntil - this.#cfg.now())));
        continue;
      }
      const m = this.#member;
      if (m === null) await this.#join();
      else if (this.#releasePending || this.#timer.now() - m.lastHeartbeatMs >= m.heartbeatIntervalMs) await this.#heartbeat(m);
      else await this.#poll(m);
    }
    if (this.#member !== null && !this.#crashed()) {
      await this.#commit(this.#member, [...this.#owned]);
      await this.#leave(this.#member, 5);
    }
  }

  /** Drops the member without a word to the server (crash, or after 25/110/82). */
  #forget(reason: string): void {
    this.#member = null;
    this.#owned.clear();
    this.#processed.clear();
    this.#committed.clear();
    this.#releasePending = false;
    this.#joinReason = reason;
    this.#joinId = null;
  }

  async #request(op: GroupOp, method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.#cfg.base}/v1/groups/${this.#opts.group}${path}`;
    const r = await (this.#cfg.call ?? call)(url, this.#cfg.token, method, this.#cfg.requestTimeoutMs, body);
    op.completeMs = this.#cfg.now();
    if (r.error !== undefined) {
      op.outcome = classify(r.status, r.error.code);
      op.error = r.error;
      return undefined;
    }
    op.outcome = "ok";
    return r.json;
  }

  #op(callName: GroupOp["call"], member?: Member): GroupOp {
    const op: GroupOp = { type: "group", call: callName, process: this.process, invokeMs: this.#cfg.now(), completeMs: -1, outcome: "info" };
    if (member !== undefined) op.member = member.id;
    return op;
  }

  /** The answer's partitions of the run's topic, or undefined when the body is not the contract's. */
  #partitions(list: unknown): number[] | undefined {
    if (!Array.isArray(list)) return undefined;
    const out: number[] = [];
    for (const e of list as { topic?: unknown; partitions?: unknown }[]) {
      if (typeof e?.topic !== "string" || !Array.isArray(e.partitions) || !e.partitions.every((p) => Number.isInteger(p))) return undefined;
      if (e.topic === this.#cfg.topic) out.push(...(e.partitions as number[]));
    }
    return out.sort((a, b) => a - b);
  }

  #malformed(op: GroupOp, status = 200): void {
    op.outcome = "info";
    op.error = { code: -1, name: "MALFORMED_2XX", status };
  }

  async #pause(ms: number, started: number): Promise<void> {
    const wait = ms - (this.#timer.now() - started);
    if (wait > 0) await this.#timer.pause(wait);
  }

  async #join(): Promise<void> {
    const started = this.#timer.now();
    const op = this.#op("join");
    op.reason = this.#joinReason;
    // A client-chosen member id: if this join's answer is lost, the retry names the same member.
    this.#joinId ??= `${this.process}-${++this.#joins}`;
    const json = (await this.#request(op, "POST", "/members", {
      topics: [this.#cfg.topic],
      auto_offset_reset: "earliest",
      session_timeout_ms: this.#opts.sessionTimeoutMs,
      member_id: this.#joinId,
    })) as { member_id?: unknown; member_epoch?: unknown; heartbeat_interval_ms?: unknown; assignment?: unknown } | undefined;
    if (json !== undefined) {
      const assignment = this.#partitions(json?.assignment);
      if (typeof json?.member_id === "string" && typeof json.member_epoch === "number" && typeof json.heartbeat_interval_ms === "number" && assignment) {
        op.member = json.member_id;
        op.answerEpoch = json.member_epoch;
        op.assignment = assignment;
        this.#out(op);
        const now = this.#timer.now();
        // The session runs from the join; the first heartbeat is due one interval later.
        this.#member = { id: json.member_id, epoch: json.member_epoch, cursor: 0, heartbeatIntervalMs: json.heartbeat_interval_ms, lastHeartbeatMs: now, lastAliveMs: started };
        this.#joinReason = "rejoin";
        await this.#apply(this.#member, json.member_epoch, assignment);
        return;
      }
      this.#malformed(op);
    }
    this.#out(op);
    // An unanswered join may have created a member: the next join names the same id and finds it.
    await this.#pause(op.error?.status === 0 ? NO_ANSWER_PAUSE_MS : ERROR_PAUSE_MS * 2, started);
  }

  async #heartbeat(m: Member): Promise<void> {
    const started = this.#timer.now();
    const op = this.#op("heartbeat", m);
    op.memberEpoch = m.epoch;
    op.owned = [...this.#owned].sort((a, b) => a - b);
    const releasing = this.#releasePending;
    this.#releasePending = false;
    m.lastHeartbeatMs = started;
    const json = (await this.#request(op, "POST", `/members/${m.id}/heartbeat`, {
      member_epoch: m.epoch,
      owned_partitions: op.owned.length === 0 ? [] : [{ topic: this.#cfg.topic, partitions: op.owned }],
    })) as { member_epoch?: unknown; heartbeat_interval_ms?: unknown; assignment?: unknown } | undefined;
    if (json !== undefined) {
      const assignment = this.#partitions(json?.assignment);
      if (typeof json?.member_epoch === "number" && assignment) {
        op.answerEpoch = json.member_epoch;
        op.assignment = assignment;
        this.#out(op);
        m.lastAliveMs = started;
        if (typeof json.heartbeat_interval_ms === "number") m.heartbeatIntervalMs = json.heartbeat_interval_ms;
        await this.#apply(m, json.member_epoch, assignment);
        return;
      }
      this.#malformed(op);
    }
    this.#out(op);
    if (this.#crashed()) return;
    const code = op.error?.code ?? -1;
    if (op.outcome === "fail" && REJOIN_CODES.has(code)) return this.#fenced(m, code, op.error!.name);
    // Unknown: report again soon (a release not confirmed is reported again).
    if (releasing) this.#releasePending = true;
    m.lastHeartbeatMs = started - m.heartbeatIntervalMs + (op.outcome === "info" ? HEARTBEAT_RETRY_MS : m.heartbeatIntervalMs);
    await this.#pause(op.error?.status === 0 ? NO_ANSWER_PAUSE_MS : ERROR_PAUSE_MS, started);
  }

  async #poll(m: Member): Promise<void> {
    const started = this.#timer.now();
    const op = this.#op("poll", m);
    const json = (await this.#request(op, "GET", `/members/${m.id}/records?max_records=200&wait_ms=${this.#opts.waitMs}&cursor=${m.cursor}`)) as
      | { records?: unknown; member_epoch?: unknown; assignment?: unknown; cursor?: unknown }
      | undefined;
    if (json !== undefined) {
      const assignment = this.#partitions(json?.assignment);
      const records = json?.records;
      const good =
        Array.isArray(records) &&
        typeof json?.member_epoch === "number" &&
        typeof json?.cursor === "number" &&
        assignment !== undefined &&
        records.every(
          (r: { topic?: unknown; partition?: unknown; offset?: unknown; value?: unknown }) =>
            r?.topic === this.#cfg.topic && typeof r.partition === "number" && typeof r.offset === "number" && (typeof r.value === "string" || r.value === null),
        );
      if (good) {
        op.answerEpoch = json.member_epoch as number;
        op.assignment = assignment;
        op.records = (records as { partition: number; offset: number; value: string | null }[]).map((r) => ({ partition: r.partition, offset: r.offset, value: r.value ?? "" }));
        m.cursor = json.cursor as number;
        if (this.#crashed()) {
          // Crashed while the answer was on its way: processed but not committed, or never processed.
          if (!this.#crashAfterProcessing) op.unprocessed = true;
          this.#out(op);
          return;
        }
        this.#out(op);
        await this.#apply(m, json.member_epoch as number, assignment);
        if (this.#member !== m) return;
        // Process (the history holds what was read), then commit what was processed.
        for (const r of op.records) if (this.#owned.has(r.partition)) this.#processed.set(r.partition, Math.max(this.#processed.get(r.partition) ?? 0, r.offset + 1));
        if (this.#timer.now() - this.#lastCommitMs >= COMMIT_INTERVAL_MS) await this.#commit(m, [...this.#owned]);
        await this.#pause(50, started);
        return;
      }
      this.#malformed(op);
    }
    this.#out(op);
    if (this.#crashed()) return;
    const code = op.error?.code ?? -1;
    if (op.outcome === "fail" && REJOIN_CODES.has(code)) return this.#fenced(m, code, op.error!.name);
    // A lost answer needs nothing special: the next poll brings back the old cursor, so the
    // server reads the same records again.
    await this.#pause(ERROR_PAUSE_MS, started);
  }

  /** 25/110/82: the member is gone or fenced; after 110 it still holds partitions, so try to leave once. */
  async #fenced(m: Member, code: number, name: string): Promise<void> {
    if (code === FENCED_MEMBER_EPOCH) await this.#leave(m, 1);
    if (!this.#crashed()) this.#forget(`${code} ${name}`);
  }

  /**
   * Takes an answered assignment: a new epoch, new partitions owned at once, and lost partitions
   * committed (what was processed of them) before they are released by the next heartbeat.
   */
  async #apply(m: Member, epoch: number, assignment: number[]): Promise<void> {
    m.epoch = epoch;
    const assigned = new Set(assignment);
    for (const p of assignment) this.#owned.add(p);
    const revoked = [...this.#owned].filter((p) => !assigned.has(p));
    if (revoked.length === 0) return;
    for (let attempt = 1; attempt <= REVOKE_COMMIT_ATTEMPTS && this.#member === m && !this.#crashed(); attempt++)
      if ((await this.#commit(m, revoked)) !== "info") break;
    if (this.#member !== m || this.#crashed()) return;
    for (const p of revoked) {
      this.#owned.delete(p);
      this.#processed.delete(p);
      this.#committed.delete(p);
    }
    this.#releasePending = true;
  }

  /** Commits what was processed beyond the last ok commit of `partitions`; "none" when nothing was due. */
  async #commit(m: Member, partitions: number[]): Promise<"ok" | "fail" | "info" | "none"> {
    const offsets = partitions
      .filter((p) => (this.#processed.get(p) ?? -1) > (this.#committed.get(p) ?? -1))
      .sort((a, b) => a - b)
      .map((p) => ({ partition: p, offset: this.#processed.get(p)! }));
    if (offsets.length === 0) return "none";
    const started = this.#timer.now();
    this.#lastCommitMs = started;
    const op = this.#op("commit", m);
    op.memberEpoch = m.epoch;
    op.offsets = offsets;
    await this.#request(op, "POST", "/offsets", {
      member_id: m.id,
      member_epoch: m.epoch,
      offsets: offsets.map((o) => ({ topic: this.#cfg.topic, partition: o.partition, offset: o.offset })),
    });
    this.#out(op);
    if (op.outcome === "ok") for (const o of offsets) this.#committed.set(o.partition, o.offset);
    else if (!this.#crashed()) {
      const code = op.error?.code ?? -1;
      if (op.outcome === "fail" && REJOIN_CODES.has(code)) await this.#fenced(m, code, op.error!.name);
      // A stale epoch: the next heartbeat brings the current one (and any revocation).
      else if (code === ILLEGAL_GENERATION) m.lastHeartbeatMs = Number.NEGATIVE_INFINITY;
      else await this.#pause(op.error?.status === 0 ? NO_ANSWER_PAUSE_MS : ERROR_PAUSE_MS, started);
    }
    return op.outcome;
  }

  /**
   * `DELETE` the member, re-sent while unanswered, at most `attempts` times and never past the
   * moment its session must have ended anyway (the last ok heartbeat's invoke + the session timeout).
   */
  async #leave(m: Member, attempts: number): Promise<void> {
    for (let attempt = 1; attempt <= Math.min(attempts, 1_000); attempt++) {
      if (this.#crashed() || this.#timer.now() > m.lastAliveMs + this.#opts.sessionTimeoutMs) return;
      const started = this.#timer.now();
      const op = this.#op("leave", m);
      await this.#request(op, "DELETE", `/members/${m.id}`);
      this.#out(op);
      if (op.outcome !== "info") return;
      await this.#pause(NO_ANSWER_PAUSE_MS, started);
    }
  }
}
