/**
 * Replication faults for the chaos build only: a `ReplicaTransport` wrapper that delays a
 * leader's pushes (the request leg, the answer leg, or both; jittered) and holds ("pauses") the
 * pushes to chosen replicas until they are released, so the lag a real deployment has between
 * locations exists in a one-process local run; and per-replica clock skews (every replica here
 * shares one OS clock), which the chaos entry applies to the replicas' clocks.
 *
 * Invariants: with an empty table and a base of 0 the wrapper adds no delay and changes nothing
 * (calls and results pass through unchanged; with jitter, pipelined pushes to one follower may
 * overtake each other, which LeaderState and the follower's rules absorb); a paused push is sent once its replica is released, never dropped;
 * AlterPartition and partition-state calls are never delayed (the nemesis targets replication).
 * Who calls: only `chaos/worker.ts` (the chaos bundle's entry) — the production entry
 * (`workers/broker.ts`) never imports this module, which `test/unit/push-faults.test.ts` proves on
 * its esbuild bundle. Concurrency: one table per isolate (locally every Durable Object of the
 * Worker shares it); set from the chaos entry's control route, read at each push.
 */
import type { ReplicaTransport } from "./replica-transport.ts";

/** A delay on pushes; an absent field matches every partition / leader / follower. */
export interface PushDelayRule {
  partition?: number;
  from?: number;
  to?: number;
  /** "request": before the push reaches the follower; "answer": before the leader sees the answer. */
  leg: "request" | "answer";
  minMs: number;
  maxMs: number;
}

/**
 * The whole fault state: base jitter (REPLICA_PUSH_DELAY_MS) on every push, rules, paused
 * replicas, and clock skews (ms added to the clock of every replica with that id).
 */
export interface PushFaultState {
  baseMaxMs: number;
  rules: PushDelayRule[];
  paused: { partition?: number; replica: number }[];
  skews?: { replica: number; ms: number }[];
}

/** One push's link: partition, leader (sender) and follower. */
export interface PushLink {
  partition: number;
  from: number;
  to: number;
}

const matches = (r: { partition?: number }, link: PushLink) => r.partition === undefined || r.partition === link.partition;

export class PushFaultTable {
  private state: PushFaultState = { baseMaxMs: 0, rules: [], paused: [] };
  private releases: (() => void)[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  get current(): PushFaultState {
    return this.state;
  }

  /** Replaces the fault state; pushes held by a pause that is gone go on at once. */
  set(next: PushFaultState): void {
    this.state = next;
    const waiting = this.releases;
    this.releases = [];
    for (const release of waiting) release();
  }

  /** The delay (ms) for this leg of this push: the base jitter plus every matching rule's. */
  delayMs(link: PushLink, leg: PushDelayRule["leg"]): number {
    let ms = leg === "request" && this.state.baseMaxMs > 0 ? Math.floor(this.random() * (this.state.baseMaxMs + 1)) : 0;
    for (const r of this.state.rules) {
      if (r.leg !== leg || !matches(r, link) || (r.from !== undefined && r.from !== link.from) || (r.to !== undefined && r.to !== link.to)) continue;
      ms += r.minMs + Math.floor(this.random() * (r.maxMs - r.minMs + 1));
    }
    return ms;
  }

  /** The clock skew (ms) of replica id `replica`; 0 unless a skew names it. */
  skewMs(replica: number): number {
    return this.state.skews?.find((s) => s.replica === replica)?.ms ?? 0;
  }

  /** Resolves once no pause holds pushes to `link.to` (at once if none does). */
  async unpaused(link: PushLink): Promise<void> {
    while (this.state.paused.some((p) => p.replica === link.to && matches(p, link)))
      await new Promise<void>((release) => this.releases.push(release));
  }
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((done) => setTimeout(done, ms)) : Promise.resolve());

/** `inner` with the table's faults applied to pushes from replica `from` of `partition`. */
export function faultyTransport(inner: ReplicaTransport, table: PushFaultTable, partition: number, from: number): ReplicaTransport {
  return {
    async replicate(followerId, req) {
      const link = { partition, from, to: followerId };
      await table.unpaused(link);
      await sleep(table.delayMs(link, "request"));
      const res = await inner.replicate(followerId, req);
      await sleep(table.delayMs(link, "answer"));
      return res;
    },
    alterPartition: (req) => inner.alterPartition(req),
    partitionState: () => inner.partitionState(),
  };
}

/** Parses the control route's body; null when it is not a `PushFaultState`. */
export function parsePushFaultState(body: unknown, baseMaxMs: number): PushFaultState | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as { rules?: unknown; paused?: unknown; skews?: unknown };
  const rules = Array.isArray(b.rules) ? b.rules : [];
  const paused = Array.isArray(b.paused) ? b.paused : [];
  const skews = Array.isArray(b.skews) ? b.skews : [];
  const int = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 600_000;
  const opt = (v: unknown) => v === undefined || int(v);
  const goodRule = (r: PushDelayRule) =>
    (r.leg === "request" || r.leg === "answer") && opt(r.partition) && opt(r.from) && opt(r.to) && int(r.minMs) && int(r.maxMs) && r.minMs <= r.maxMs;
  const goodPause = (p: { partition?: number; replica: number }) => opt(p.partition) && int(p.replica);
  if (!rules.every((r) => typeof r === "object" && r !== null && goodRule(r as PushDelayRule))) return null;
  if (!paused.every((p) => typeof p === "object" && p !== null && goodPause(p as { replica: number }))) return null;
  const goodSkew = (k: { replica: number; ms: number }) => int(k.replica) && Number.isInteger(k.ms) && Math.abs(k.ms) <= 600_000;
  if (!skews.every((k) => typeof k === "object" && k !== null && goodSkew(k as { replica: number; ms: number }))) return null;
  return { baseMaxMs, rules: rules as PushDelayRule[], paused: paused as { partition?: number; replica: number }[], skews: skews as { replica: number; ms: number }[] };
}
