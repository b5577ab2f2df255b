/**
 * The history a chaos run records and the checker reads (Jepsen style): every client operation
 * as one entry with its invoke and completion times and its outcome, plus the nemesis' faults.
 *
 * Outcomes: `ok` (2xx), `fail` (a definite rejection before any write: 4xx, or a Kafka code that
 * proves nothing was written, e.g. 19), `info` (unknown: timeout, 5xx, reset, 20, 7, a lost
 * answer). Times are milliseconds since the run started. Erasable TypeScript only (Node runs it
 * with type stripping).
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

export type Op = SendOp | PollOp | NemesisOp;

export interface History {
  seed: number;
  topic: string;
  partitions: number;
  acks: "all" | "1";
  /** True when producers send with the idempotent form (issue 5). */
  idempotent?: boolean;
  durationMs: number;
  ops: Op[];
}

/** The report's last line, exactly the fields the issue names. */
export interface Report {
  seed: number;
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
  availability: number;
  failover_ms_p50: number | null;
  failover_ms_max: number | null;
  valid: boolean;
}
