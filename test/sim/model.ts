/**
 * Shared shapes of the replication simulation: its timing configuration, the statistics a run
 * reports, the deliberately broken rules ("mutants") used to prove the checker can fail, and
 * the context every simulated node reaches the others through.
 */
import type { Result } from "../../src/protocol/errors.ts";
import type { Offset, ProducerIdentity, RecordInput } from "../../src/protocol/types.ts";
import type { Prng } from "../support/prng.ts";
import type { SimCoordinator } from "./coordinator.ts";
import type { Network } from "./network.ts";
import type { SimReplica } from "./replica.ts";
import type { Scheduler } from "./scheduler.ts";

export interface SimConfig {
  replicas: number;
  minInsyncReplicas: number;
  replicaLagTimeMaxMs: number;
  /** A push, AlterPartition or state fetch that has not answered by then has failed. */
  rpcTimeoutMs: number;
  /** An acks=all wait ends with REQUEST_TIMED_OUT after this long. */
  produceTimeoutMs: number;
  /** The leader's alarm: re-drive pushes and ISR checks. */
  leaderTickMs: number;
  coordinatorTickMs: number;
  /** How long the coordinator must see a leader unreachable before it elects another. */
  failureDetectionMs: number;
  /** The coordinator re-sends its state to every replica this often (messages can be lost). */
  stateRebroadcastMs: number;
  maxPushBytes: number;
  /** LeaderState's pipelineAfterMs: 0 pipelines every push at once, the most reordering the push streams can see. */
  pipelineAfterMs: number;
  segmentBytes: number;
  /**
   * The replicas' durable store: the memory store, or SQLite over node:sqlite (the replica DO's
   * store and migrations), reopened as a new store object on recovery so nothing but what SQLite
   * holds survives a crash.
   */
  storage: "memory" | "sqlite";
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  replicas: 3,
  minInsyncReplicas: 2,
  replicaLagTimeMaxMs: 1000,
  rpcTimeoutMs: 300,
  produceTimeoutMs: 1500,
  leaderTickMs: 100,
  coordinatorTickMs: 50,
  failureDetectionMs: 300,
  stateRebroadcastMs: 500,
  maxPushBytes: 600,
  pipelineAfterMs: 0,
  segmentBytes: 1500,
  storage: "memory",
};

/** A rule broken on purpose, to show the checker catches it. */
export type Mutant =
  | "none"
  | "hw-from-leader-only"
  | "follower-skips-log-matching"
  | "leader-forgets-isr-proposal"
  /** The leader ignores the producer fields: an idempotent retry is appended like any batch. */
  | "leader-ignores-producer";

/** Record counts unless said otherwise. */
export interface SimStats {
  produced: { acks1: number; acksAll: number };
  acked: { acks1: number; acksAll: number };
  failed: { acks1: number; acksAll: number };
  notEnoughReplicas: number;
  elections: number;
  isrShrinks: number;
  isrExpands: number;
  /** Records removed from some replica's log by a truncation (divergent tails). */
  truncatedRecords: number;
  /** Append requests to a leader whose epoch the coordinator had already replaced, and their acks=all confirmations. */
  zombieAppends: number;
  zombieAcksAll: number;
  /** Acked records missing at their acked offset from the final leader's log. */
  acks1Lost: number;
  acksAllLost: number;
  events: number;
  simTimeMs: number;
  messages: number;
  dropped: number;
  duplicated: number;
  /** Idempotent producers: re-sends of a batch whose outcome was not learned or that failed. */
  idempotentRetries: number;
  /** Idempotent producers: answers that were a duplicate's original offsets. */
  duplicateAnswers: number;
}

export const emptyStats = (): SimStats => ({
  produced: { acks1: 0, acksAll: 0 },
  acked: { acks1: 0, acksAll: 0 },
  failed: { acks1: 0, acksAll: 0 },
  notEnoughReplicas: 0,
  elections: 0,
  isrShrinks: 0,
  isrExpands: 0,
  truncatedRecords: 0,
  zombieAppends: 0,
  zombieAcksAll: 0,
  acks1Lost: 0,
  acksAllLost: 0,
  events: 0,
  simTimeMs: 0,
  messages: 0,
  dropped: 0,
  duplicated: 0,
  idempotentRetries: 0,
  duplicateAnswers: 0,
});

export interface SimProduceRequest {
  records: RecordInput[];
  acks: 1 | -1;
  leaderEpoch: number;
  producer?: ProducerIdentity;
}

export type SimProduceResult = Result<{ baseOffset: Offset; lastOffset: Offset; leaderEpoch: number; duplicate?: boolean }>;

export interface SimContext {
  readonly sched: Scheduler;
  readonly net: Network;
  readonly prng: Prng;
  readonly config: SimConfig;
  readonly stats: SimStats;
  readonly mutant: Mutant;
  readonly coordinator: SimCoordinator;
  replica(id: number): SimReplica;
}

export const replicaNode = (id: number): string => `r${id}`;
export const COORDINATOR = "coord";
