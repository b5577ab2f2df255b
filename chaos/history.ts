/**
 * The history a chaos run records and the checker reads (Jepsen style): every client operation
 * as one entry with its invoke and completion times and its outcome, plus the nemesis' faults.
 *
 * Outcomes: `ok` (2xx), `fail` (a definite rejection before any write: 4xx, or a Kafka code that
 * proves nothing was written, e.g. 19), `info` (unknown: timeout, 5xx, reset, 20, 7, a lost
 * answer). Times are milliseconds since the run started. Erasable TypeScript only (Node runs it
 * with type stripping).
 *
 * Retries (issue 5): a producer may send the same values several times (`attempt` 2, 3, …) until
 * one attempt is definite; each attempt is its own `SendOp`. A value is one value however often
 * it was sent: acked if any attempt was ok, aborted only if every attempt failed.
 *
 * Groups (issue 6): group consumers record every group request as a `GroupOp` (join, heartbeat,
 * poll, commit, leave) with the member id it concerned; a poll's records carry their partition.
 */

export type Outcome = "ok" | "fail" | "info";

export interface SendOp {
  type: "send";
  /** The client, e.g. "producer-2". */
  process: string;
  partition: number;
  /** Unique values, one per record of the request, in order. */
  values: string[];
  invokeMs: number;
  completeMs: number;
  outcome: Outcome;
  /** On `ok`: the offset of each value, in order. */
  offsets?: number[];
  error?: { code: number; name: string; status: number };
  /** 1 for the first send of these values, 2… for re-sends of the same values (absent: 1). */
  attempt?: number;
  /** Set on an idempotent send: the identity and first sequence the body carried. */
  producer?: ProducerIdentity;
}

export interface ProducerIdentity {
  id: number;
  epoch: number;
  /** The first record's sequence (record i has base + i, wrapping at 2^31 - 1 to 0). */
  baseSequence: number;
}

/**
 * One `POST /v1/producers` of an idempotent producer: the first (`{}`) or a re-initialisation
 * after its sequence state became uncertain (`reset`: the body named its id and epoch, or `{}`
 * again when bumping was refused).
 */
export interface InitOp {
  type: "init";
  process: string;
  invokeMs: number;
  completeMs: number;
  outcome: Outcome;
  /** True for a re-initialisation (a producer reset), false for the producer's first. */
  reset: boolean;
  /** Why the producer reset, e.g. "45 OUT_OF_ORDER_SEQUENCE_NUMBER on p1". */
  reason?: string;
  /** 1 for the first request of this initialisation, 2… for its re-sends. */
  attempt: number;
  /** What the body named (absent: `{}`). */
  from?: { id: number; epoch: number };
  /** On `ok`: the identity answered. */
  id?: number;
  epoch?: number;
  error?: { code: number; name: string; status: number };
}

export interface PollOp {
  type: "poll";
  /** The consumer, e.g. "consumer-0"; "drain" for the final read. */
  process: string;
  partition: number;
  /** The offset the poll asked for (the consumer's position). */
  fromOffset: number;
  invokeMs: number;
  completeMs: number;
  outcome: Outcome;
  /** On `ok`: the records returned, in order. */
  records?: { offset: number; value: string }[];
  nextOffset?: number;
  highWatermark?: number;
  error?: { code: number; name: string; status: number };
}

export interface NemesisOp {
  type: "nemesis";
  /** e.g. "offline", "online", "kill", "restart", "proxy-slow", "proxy-drop", "proxy-heal". */
  action: string;
  /** What it hit, e.g. "p0/r1" or "server". */
  target?: string;
  /** True when the fault took a partition leader away (a fail-over is expected). */
  leader?: boolean;
  startMs: number;
  endMs: number;
}

/** One consumer-group request of a group consumer (issue 6). Partitions are the topic's. */
export interface GroupOp {
  type: "group";
  call: "join" | "heartbeat" | "poll" | "commit" | "leave";
  /** The consumer, e.g. "consumer-1". */
  process: string;
  /** The member the request named; for a join, the member id answered (absent if none). */
  member?: string;
  /** Heartbeat and commit: the member epoch sent. */
  memberEpoch?: number;
  /** An ok join, heartbeat or poll: the member epoch answered. */
  answerEpoch?: number;
  invokeMs: number;
  completeMs: number;
  outcome: Outcome;
  /** Heartbeat: the `owned_partitions` sent. */
  owned?: number[];
  /** An ok join, heartbeat or poll: the assignment answered. */
  assignment?: number[];
  /** An ok poll: the records returned, in the answer's order. */
  records?: { partition: number; offset: number; value: string }[];
  /** An ok poll whose answer came after the consumer crashed: its records were never processed. */
  unprocessed?: boolean;
  /** Commit: the offsets sent (the next offset to read, per partition). */
  offsets?: { partition: number; offset: number }[];
  /** Join: why the consumer (re)joined, e.g. "start", "25 UNKNOWN_MEMBER_ID", "lost poll", "crash". */
  reason?: string;
  error?: { code: number; name: string; status: number };
}

export type Op = SendOp | PollOp | InitOp | GroupOp | NemesisOp;

export interface History {
  seed: number;
  topic: string;
  partitions: number;
  acks: "all" | "1";
  /** True when producers send with the idempotent form (issue 5). */
  idempotent?: boolean;
  /** True when producers re-send the values of a send whose outcome was unknown (issue 5). */
  retries?: boolean;
  /** True when the consumers were members of one consumer group (issue 6). */
  groups?: boolean;
  /** Groups: the members' session timeout (the checker's bound on how long a silent member lives). */
  sessionTimeoutMs?: number;
  durationMs: number;
  ops: Op[];
}

/** The report's last line: the fields issue 4 names, then issue 5's. */
export interface Report {
  seed: number;
  idempotent: boolean;
  ops: number;
  ok: number;
  fail: number;
  info: number;
  acked: number;
  lost: number;
  unseen: number;
  duplicates: number;
  inconsistent_offsets: number;
  aborted_reads: number;
  nonmonotonic: number;
  /** Idempotent runs: a producer's values read in one partition out of the order it sent them. */
  reordered: number;
  /** Send attempts after a batch's first (re-sends of the same values). */
  retries: number;
  /** Idempotent producers re-initialised (epoch bumped or a new id) because their sequence state was uncertain. */
  producer_resets: number;
  /** True when the consumers were a consumer group (issue 6); the four counters below are 0 otherwise. */
  groups: boolean;
  /** Groups: acked values in the log (the drain read them) that no group consumer ever read. */
  undelivered: number;
  /** Groups: values the group read more than once (allowed by at-least-once; counted once per value). */
  redelivered: number;
  /** Groups: group epochs the members were brought to after the first (distinct member epochs answered − 1). */
  rebalances: number;
  /** Groups: reads of a partition by one member while another provably held it, believed it and was alive. */
  double_owned: number;
  availability: number;
  failover_ms_p50: number | null;
  failover_ms_max: number | null;
  valid: boolean;
}
