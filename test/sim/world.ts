/**
 * One seeded run of the replication simulation: N replicas (PartitionLog + LeaderState), the
 * coordinator, producers, the faulty network and a scenario's chaos (crashes, partitions,
 * zombie leaders, admin offline, preferred-leader elections), with the Checker after every
 * event. After `durationMs` every fault is healed and the cluster is left alone for
 * `quiesceMs`; then it must have converged (one leader, every replica in the ISR with the same
 * log and HW) and the acked records are counted against the final leader's log.
 * Everything random comes from one Prng(seed), so a seed replays exactly.
 */
import type { PartitionState } from "../../src/protocol/types.ts";
import { Prng } from "../support/prng.ts";
import { Checker, valuesBetween } from "./checker.ts";
import { SimCoordinator } from "./coordinator.ts";
import {
  COORDINATOR,
  DEFAULT_SIM_CONFIG,
  emptyStats,
  replicaNode,
  type Mutant,
  type SimConfig,
  type SimContext,
  type SimProduceResult,
  type SimStats,
} from "./model.ts";
import { Network, NO_FAULTS, type LinkFaults } from "./network.ts";
import { SimReplica } from "./replica.ts";
import { Scheduler } from "./scheduler.ts";

export type ChaosAction =
  | "crash-follower"
  | "crash-leader"
  | "isolate-follower"
  | "isolate-leader"
  /** Cut the leader from the coordinator and the other replicas; producers still reach it. */
  | "zombie-leader"
  /** Cut the leader from the coordinator only: it still reaches its followers. */
  | "cut-leader-from-coordinator"
  | "offline-follower"
  | "offline-leader"
  | "preferred-leader";

const LEADER_ACTIONS: ReadonlySet<ChaosAction> = new Set([
  "crash-leader",
  "isolate-leader",
  "zombie-leader",
  "cut-leader-from-coordinator",
  "offline-leader",
]);

export interface Scenario {
  name: string;
  /**
   * Producers are idempotent (issue 5): acks=all, one batch in flight each, and a batch whose
   * outcome is unknown or failed is re-sent with the same sequence until it succeeds.
   */
  idempotent?: boolean;
  config?: Partial<SimConfig>;
  faults: LinkFaults;
  durationMs: number;
  quiesceMs: number;
  produceIntervalMs: [number, number];
  acksAllShare: number;
  chaos: ChaosAction[];
  chaosIntervalMs: [number, number];
  /** How long a fault lasts before it heals. */
  faultMs: [number, number];
  /** At most this many replicas are impaired at once. */
  maxImpaired: number;
}

export interface SimOutcome {
  stats: SimStats;
  violation: string | null;
  trace: string[];
}

interface Acked {
  acks: 1 | -1;
  offset: number;
  value: string;
}

class SimClient {
  #seq = 0;

  readonly #w: World;
  readonly node: string;
  metadata: PartitionState;
  /** Idempotent mode: this producer's id, and its one batch in flight (sequence of its first record). */
  readonly #producerId: number | null;
  #inFlight: { values: string[]; sequence: number } | null = null;

  constructor(w: World, node: string, metadata: PartitionState, producerId: number | null) {
    this.#w = w;
    this.node = node;
    this.metadata = metadata;
    this.#producerId = producerId;
  }

  produce(acksAll: boolean): void {
    if (this.#producerId !== null) return this.#produceIdempotent();
    const w = this.#w;
    const leader = this.metadata.leader;
    if (leader < 0) return this.refresh();
    const acks = acksAll ? -1 : 1;
    const values = Array.from({ length: w.prng.int(1, 3) }, () => `${this.node}-${this.#seq++}`);
    const records = values.map((v) => ({ key: null, value: new TextEncoder().encode(v), headers: [] }));
    if (acksAll) w.stats.produced.acksAll += values.length;
    else w.stats.produced.acks1 += values.length;
    w.net.call<SimProduceResult>(
      this.node,
      replicaNode(leader),
      `produce acks=${acks} [${values}] e${this.metadata.leaderEpoch}`,
      w.config.produceTimeoutMs + 2 * w.config.rpcTimeoutMs,
      (reply) => w.replica(leader).onProduce({ records, acks, leaderEpoch: this.metadata.leaderEpoch }, reply),
      (res) => {
        if (res?.ok) {
          const { baseOffset, leaderEpoch } = res.value;
          values.forEach((value, i) => w.acked.push({ acks, offset: baseOffset + i, value }));
          if (acksAll) {
            w.stats.acked.acksAll += values.length;
            w.checker.onAckAll(baseOffset, values, leaderEpoch);
          } else w.stats.acked.acks1 += values.length;
          return;
        }
        if (acksAll) w.stats.failed.acksAll += values.length;
        else w.stats.failed.acks1 += values.length;
        this.refresh();
      },
    );
  }

  /** A new batch unless one is in flight (max.in.flight.requests.per.connection = 1). */
  #produceIdempotent(): void {
    if (this.#inFlight) return;
    const values = Array.from({ length: this.#w.prng.int(1, 3) }, () => `${this.node}-${this.#seq++}`);
    this.#inFlight = { values, sequence: this.#seq - values.length };
    this.#w.stats.produced.acksAll += values.length;
    this.#sendInFlight();
  }

  /**
   * Sends the batch in flight to the leader we know, with its sequence; any failure or lost
   * answer re-sends it (after a metadata refresh), forever: the run's quiet period lets it land.
   * A sequence or epoch error cannot happen to a producer with one batch in flight and is a violation.
   */
  #sendInFlight(): void {
    const w = this.#w;
    const batch = this.#inFlight!;
    const retry = () => {
      w.stats.idempotentRetries++;
      this.refresh();
      w.sched.after(w.prng.int(20, 80), `retry ${this.node} seq ${batch.sequence}`, () => this.#sendInFlight());
    };
    const leader = this.metadata.leader;
    if (leader < 0) return retry();
    const records = batch.values.map((v) => ({ key: null, value: new TextEncoder().encode(v), headers: [] }));
    const producer = { producerId: this.#producerId!, producerEpoch: 0, baseSequence: batch.sequence };
    w.net.call<SimProduceResult>(
      this.node,
      replicaNode(leader),
      `produce idempotent seq ${batch.sequence} [${batch.values}] e${this.metadata.leaderEpoch}`,
      w.config.produceTimeoutMs + 2 * w.config.rpcTimeoutMs,
      (reply) => w.replica(leader).onProduce({ records, acks: -1, leaderEpoch: this.metadata.leaderEpoch, producer }, reply),
      (res) => {
        if (res?.ok) {
          const { baseOffset, leaderEpoch } = res.value;
          batch.values.forEach((value, i) => w.acked.push({ acks: -1, offset: baseOffset + i, value }));
          w.stats.acked.acksAll += batch.values.length;
          w.checker.onAckAll(baseOffset, batch.values, leaderEpoch);
          this.#inFlight = null;
          return;
        }
        const code = res?.err.error;
        if (code === "OUT_OF_ORDER_SEQUENCE_NUMBER" || code === "INVALID_PRODUCER_EPOCH")
          w.checker.violation ??= `idempotent producer ${this.node} got ${code} for its only batch in flight (seq ${batch.sequence}): ${res!.err.message}`;
        retry();
      },
    );
  }

  refresh(): void {
    const w = this.#w;
    w.net.call<PartitionState>(
      this.node,
      COORDINATOR,
      "metadata",
      w.config.rpcTimeoutMs,
      (reply) => reply(w.coordinator.state),
      (s) => {
        if (s && s.partitionEpoch > this.metadata.partitionEpoch) this.metadata = s;
      },
    );
  }
}

export class World implements SimContext {
  readonly sched = new Scheduler();
  readonly prng: Prng;
  readonly net: Network;
  readonly config: SimConfig;
  readonly stats = emptyStats();
  readonly coordinator: SimCoordinator;
  readonly replicas: SimReplica[];
  readonly checker: Checker;
  readonly acked: Acked[] = [];
  readonly #clients: SimClient[];
  readonly #impaired = new Set<number>();
  #chaosOn = true;

  readonly mutant: Mutant;
  readonly #scenario: Scenario;

  constructor(scenario: Scenario, seed: number, mutant: Mutant = "none") {
    this.#scenario = scenario;
    this.mutant = mutant;
    this.prng = new Prng(seed);
    this.config = { ...DEFAULT_SIM_CONFIG, ...scenario.config };
    this.net = new Network(this.sched, this.prng, scenario.faults, (node) => this.#isUp(node));
    const ids = Array.from({ length: this.config.replicas }, (_, i) => i);
    this.replicas = ids.map((id) => new SimReplica(this, id));
    this.coordinator = new SimCoordinator(this, ids);
    this.checker = new Checker(this);
    this.#clients = [0, 1, 2].map((i) => new SimClient(this, `c${i}`, this.coordinator.state, scenario.idempotent ? 1000 + i : null));
  }

  replica(id: number): SimReplica {
    return this.replicas[id]!;
  }

  #isUp(node: string): boolean {
    return node.startsWith("r") ? this.replica(Number(node.slice(1))).up : true;
  }

  #every(intervalMs: number, label: string, fn: () => void, jitterMs = 0): void {
    const loop = () => {
      fn();
      this.sched.after(intervalMs + (jitterMs ? this.prng.int(0, jitterMs) : 0), label, loop);
    };
    this.sched.after(this.prng.int(1, intervalMs), label, loop);
  }

  run(): SimOutcome {
    const { config } = this;
    const sc = this.#scenario;
    for (const r of this.replicas) r.applyState(this.coordinator.state);
    for (const r of this.replicas) this.#every(config.leaderTickMs, `tick ${r.node}`, () => r.drive(), 10);
    this.#every(config.coordinatorTickMs, "tick coord", () => this.coordinator.tick());
    this.#every(config.stateRebroadcastMs, "rebroadcast", () => this.coordinator.broadcast());
    const produce = () => {
      if (this.sched.now() >= sc.durationMs) return;
      this.#clients[this.prng.int(0, this.#clients.length - 1)]!.produce(this.prng.chance(sc.acksAllShare));
      this.sched.after(this.prng.int(...sc.produceIntervalMs), "produce", produce);
    };
    this.sched.after(this.prng.int(...sc.produceIntervalMs), "produce", produce);
    const chaos = () => {
      if (!this.#chaosOn || sc.chaos.length === 0) return;
      this.#chaos(sc.chaos[this.prng.int(0, sc.chaos.length - 1)]!);
      this.sched.after(this.prng.int(...sc.chaosIntervalMs), "chaos", chaos);
    };
    this.sched.after(this.prng.int(...sc.chaosIntervalMs), "chaos", chaos);

    const check = () => {
      this.checker.check(this.replicas);
      if (this.checker.violation) this.sched.log(`  VIOLATION: ${this.checker.violation}`);
      return this.checker.violation !== null;
    };
    this.sched.runUntil(sc.durationMs, check);
    if (!this.checker.violation) {
      this.#healEverything();
      this.sched.runUntil(sc.durationMs + sc.quiesceMs, check);
    }
    if (!this.checker.violation) this.#finalChecks();
    Object.assign(this.stats, {
      events: this.sched.events,
      simTimeMs: this.sched.now(),
      messages: this.net.counts.sent,
      dropped: this.net.counts.dropped,
      duplicated: this.net.counts.duplicated,
    });
    return { stats: this.stats, violation: this.checker.violation, trace: this.sched.traceTail() };
  }

  #pick(candidates: number[]): number | null {
    const free = candidates.filter((id) => !this.#impaired.has(id) && this.replica(id).up && !this.replica(id).offline);
    if (free.length === 0 || this.#impaired.size >= this.#scenario.maxImpaired) return null;
    return free[this.prng.int(0, free.length - 1)]!;
  }

  #chaos(action: ChaosAction): void {
    if (action === "preferred-leader") {
      this.sched.log("  chaos: preferred leader election");
      this.coordinator.preferredLeaderElection();
      return;
    }
    const { leader, replicas } = this.coordinator.state;
    const followers = replicas.filter((r) => r !== leader);
    const target = LEADER_ACTIONS.has(action) ? this.#pick(leader >= 0 ? [leader] : []) : this.#pick(followers);
    if (target === null) return;
    const r = this.replica(target);
    const heal = (what: string, fn: () => void) => {
      this.#impaired.add(target);
      this.sched.after(this.prng.int(...this.#scenario.faultMs), `heal ${what} r${target}`, () => {
        fn();
        this.#impaired.delete(target);
      });
    };
    this.sched.log(`  chaos: ${action} r${target}`);
    const others = [COORDINATOR, ...replicas.filter((id) => id !== target).map(replicaNode)];
    const cut = (nodes: string[]) => {
      for (const n of nodes) this.net.cut(r.node, n);
      heal("links", () => nodes.forEach((n) => this.net.heal(r.node, n)));
    };
    switch (action) {
      case "crash-follower":
      case "crash-leader":
        r.crash();
        return heal("crash", () => r.recover());
      case "isolate-follower":
      case "isolate-leader":
        return cut([...others, ...this.#clients.map((c) => c.node)]);
      case "zombie-leader":
        return cut(others);
      case "cut-leader-from-coordinator":
        return cut([COORDINATOR]);
      case "offline-follower":
      case "offline-leader":
        r.setOffline(true);
        this.coordinator.takeOffline(target);
        return heal("offline", () => {
          r.setOffline(false);
          this.coordinator.bringOnline(target);
          r.fetchState();
        });
    }
  }

  #healEverything(): void {
    this.sched.log("  === heal everything, stop producing ===");
    this.#chaosOn = false;
    this.net.faults = NO_FAULTS;
    this.net.healAll();
    for (const r of this.replicas) {
      if (!r.up) r.recover();
      if (r.offline) {
        r.setOffline(false);
        this.coordinator.bringOnline(r.id);
        r.fetchState();
      }
    }
    this.#impaired.clear();
  }

  /** Convergence, then acked records against the final leader's log. */
  #finalChecks(): void {
    const fail = (m: string) => void (this.checker.violation ??= m);
    const { leader, isr, replicas } = this.coordinator.state;
    if (leader < 0) return fail("did not converge: no leader after healing");
    const lead = this.replica(leader);
    if (!lead.leader) return fail(`did not converge: replica ${leader} does not act as leader`);
    if (isr.length !== replicas.length) return fail(`did not converge: ISR is [${isr}] after healing`);
    const leo = lead.log.logEndOffset;
    const truth = valuesBetween(lead.log, 0, leo);
    for (const r of this.replicas) {
      const o = r.log.offsets();
      if (o.logEndOffset !== leo || o.highWatermark !== leo)
        return fail(`did not converge: replica ${r.id} has LEO ${o.logEndOffset} HW ${o.highWatermark}, leader LEO ${leo}`);
      const values = valuesBetween(r.log, 0, leo);
      const at = values.findIndex((v, i) => v !== truth[i]);
      if (at >= 0) return fail(`did not converge: replica ${r.id} differs from the leader at offset ${at}`);
    }
    if (this.#scenario.idempotent) {
      // Exactly once: no value twice, and each producer's values in the order it sent them.
      const seen = new Map<string, number>();
      const lastOf = new Map<string, number>();
      for (const [offset, v] of truth.entries()) {
        if (seen.has(v)) return fail(`duplicate: ${v} at offsets ${seen.get(v)} and ${offset}`);
        seen.set(v, offset);
        const [client, n] = v.split("-") as [string, string];
        if ((lastOf.get(client) ?? -1) >= Number(n)) return fail(`reordered: ${v} at ${offset} after ${client}-${lastOf.get(client)}`);
        lastOf.set(client, Number(n));
      }
    }
    for (const a of this.acked) {
      if (truth[a.offset] === a.value) continue;
      if (a.acks === 1) this.stats.acks1Lost++;
      else {
        this.stats.acksAllLost++;
        fail(`acks=all record ${a.value} acked at ${a.offset} is not in the final log (found ${truth[a.offset]})`);
      }
    }
  }
}

/** Runs one seed; never throws for a violation (it is in the outcome). */
export function runSeed(scenario: Scenario, seed: number, mutant: Mutant = "none"): SimOutcome {
  return new World(scenario, seed, mutant).run();
}
