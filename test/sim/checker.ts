/**
 * The simulation's invariants, checked after every event (the first violation is kept):
 * - each replica's leader epoch never decreases, nor its stored HW (the one a restart recovers)
 *   nor its HW in memory while it runs (except when its log start moves, which only a full
 *   truncation does); the HW is never below the stored one. Across a crash the HW may come back
 *   lower than it was, at the stored one: a leader keeps an HW rise in memory until its next
 *   write or until something shows it (src/log/partition-log.ts);
 * - at most one replica is ever leader in a given epoch;
 * - no record below a replica's HW ever changes (the spy store sees every removal);
 * - the committed prefix (below the highest HW any leader reached) is one sequence: every
 *   replica's records below its HW equal it, every member of the coordinator's ISR holds all of
 *   it and never changes it, and every replica that becomes leader holds it;
 * - a follower's HW never passes what some leader had committed;
 * - an acks=all acknowledgement names records that are in the committed prefix at their offset.
 * Records are compared by value (every produced value is unique).
 */
import type { Offset } from "../../src/protocol/types.ts";
import type { PartitionLog } from "../../src/log/partition-log.ts";
import type { SimContext } from "./model.ts";
import type { SimReplica } from "./replica.ts";

const decoder = new TextDecoder();

/** The values of records [from, to) of a log (fewer if the log ends first). */
export function valuesBetween(log: PartitionLog, from: Offset, to: Offset): string[] {
  const out: string[] = [];
  let offset = Math.max(from, log.logStartOffset);
  while (offset < to && offset < log.logEndOffset) {
    const r = log.read({ offset, maxRecords: to - offset, maxBytes: 1 << 30 }, "logEndOffset");
    if (!r.ok) throw new Error(`read at ${offset}: ${r.err.message}`);
    for (const rec of r.value.records) if (rec.offset < to) out.push(rec.value ? decoder.decode(rec.value) : "<null>");
    if (r.value.nextOffset === offset) break;
    offset = r.value.nextOffset;
  }
  return out;
}

interface Seen {
  leaderEpoch: number;
  highWatermark: Offset;
  storedHighWatermark: Offset;
  /** The log object it was seen with: a new one means the replica crashed and recovered since. */
  log: PartitionLog | null;
  logStartOffset: Offset;
  logEndOffset: Offset;
}

export class Checker {
  /** The committed prefix: committed[offset] is the value every replica must agree on. */
  readonly committed: string[] = [];
  violation: string | null = null;
  readonly #seen = new Map<number, Seen>();
  readonly #leaderOfEpoch = new Map<number, number>();
  #isr: number[] = [];
  #committedCheckedOnIsr = 0;

  readonly #ctx: SimContext;

  constructor(ctx: SimContext) {
    this.#ctx = ctx;
  }

  #fail(message: string): void {
    this.violation ??= message;
  }

  /** After every event. */
  check(replicas: readonly SimReplica[]): void {
    if (this.violation) return;
    // Leaders first: they extend the committed prefix that followers are compared with.
    const leadersFirst = [...replicas].sort((a, b) => Number(b.log.role === "leader") - Number(a.log.role === "leader"));
    const isr = this.#ctx.coordinator.state.isr;
    for (const r of leadersFirst) this.#checkReplica(r, isr);
    for (const id of isr) {
      const from = this.#isr.includes(id) ? this.#committedCheckedOnIsr : 0;
      if (from < this.committed.length) this.#checkHoldsCommitted(this.#ctx.replica(id), from, `ISR member ${id}`);
    }
    this.#isr = [...isr];
    this.#committedCheckedOnIsr = this.committed.length;
  }

  #checkReplica(r: SimReplica, isr: readonly number[]): void {
    const o = r.log.offsets();
    const seen = this.#seen.get(r.id) ?? { leaderEpoch: 0, highWatermark: 0, storedHighWatermark: 0, logStartOffset: 0, logEndOffset: 0, log: null };
    if (o.leaderEpoch < seen.leaderEpoch) this.#fail(`replica ${r.id}: leader epoch went back from ${seen.leaderEpoch} to ${o.leaderEpoch}`);
    const restarted = o.logStartOffset > seen.logStartOffset;
    const recovered = seen.log !== null && seen.log !== r.log;
    const stored = r.log.storedHighWatermark;
    if (!restarted && stored < seen.storedHighWatermark)
      this.#fail(`replica ${r.id}: stored HW went back from ${seen.storedHighWatermark} to ${stored}`);
    if (stored > o.highWatermark) this.#fail(`replica ${r.id}: HW ${o.highWatermark} is below its stored HW ${stored}`);
    if (!restarted && !recovered && o.highWatermark < seen.highWatermark)
      this.#fail(`replica ${r.id}: HW went back from ${seen.highWatermark} to ${o.highWatermark}`);
    if (o.role === "leader") {
      const owner = this.#leaderOfEpoch.get(o.leaderEpoch);
      if (owner === undefined) {
        this.#leaderOfEpoch.set(o.leaderEpoch, r.id);
        this.#checkHoldsCommitted(r, 0, `new leader ${r.id} (epoch ${o.leaderEpoch})`);
      } else if (owner !== r.id) this.#fail(`epoch ${o.leaderEpoch} has two leaders: ${owner} and ${r.id}`);
    }
    const changed = r.store.takeLowestChange();
    if (changed < seen.logEndOffset) this.#ctx.stats.truncatedRecords += seen.logEndOffset - changed;
    if (!restarted && changed < seen.highWatermark)
      this.#fail(`replica ${r.id}: record ${changed} changed below its HW ${seen.highWatermark}`);
    if (isr.includes(r.id) && changed < this.committed.length)
      this.#fail(`ISR member ${r.id}: committed record ${changed} changed (committed up to ${this.committed.length})`);
    const from = restarted ? o.logStartOffset : seen.highWatermark;
    if (o.highWatermark > from) this.#checkBelowHighWatermark(r, from, o.highWatermark, o.role === "leader");
    this.#seen.set(r.id, {
      leaderEpoch: o.leaderEpoch,
      highWatermark: o.highWatermark,
      storedHighWatermark: stored,
      logStartOffset: o.logStartOffset,
      logEndOffset: o.logEndOffset,
      log: r.log,
    });
  }

  /** Records that just came below this replica's HW: equal to the committed prefix, or (a leader) extending it. */
  #checkBelowHighWatermark(r: SimReplica, from: Offset, to: Offset, leader: boolean): void {
    const values = valuesBetween(r.log, from, to);
    if (values.length !== to - from) return this.#fail(`replica ${r.id}: HW ${to} but records end at ${from + values.length}`);
    for (const [i, v] of values.entries()) {
      const offset = from + i;
      if (offset < this.committed.length) {
        if (this.committed[offset] !== v)
          return this.#fail(`replica ${r.id}: record ${offset} below its HW is ${v}, but ${this.committed[offset]} was committed`);
      } else if (leader) this.committed.push(v);
      else return this.#fail(`follower ${r.id}: HW ${to} passes every leader's HW (${this.committed.length})`);
    }
  }

  #checkHoldsCommitted(r: SimReplica, from: Offset, who: string): void {
    const to = this.committed.length;
    const start = Math.max(from, r.log.logStartOffset);
    const values = valuesBetween(r.log, start, to);
    if (values.length !== to - start) return this.#fail(`${who} lacks committed records: its log ends at ${r.log.logEndOffset}, committed up to ${to}`);
    for (const [i, v] of values.entries())
      if (this.committed[start + i] !== v)
        return this.#fail(`${who}: record ${start + i} is ${v}, but ${this.committed[start + i]} was committed`);
  }

  /** An acks=all acknowledgement reached a producer: the records must be committed as acked. */
  onAckAll(baseOffset: Offset, values: readonly string[], leaderEpoch: number): void {
    for (const [i, v] of values.entries())
      if (this.committed[baseOffset + i] !== v)
        this.#fail(`acks=all ack (epoch ${leaderEpoch}) of ${v} at ${baseOffset + i}, but committed there is ${this.committed[baseOffset + i] ?? "nothing"}`);
  }
}
