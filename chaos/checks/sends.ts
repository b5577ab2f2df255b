/**
 * The chaos checker's producer-order rules (called by `check` in chaos/checker.ts):
 * - `sendOffsetAnomalies`, `nonmonotonic_send`: per (producer process, partition), ok sends in
 *   invocation order: offsets strictly increasing within a send, and each send's first offset
 *   above every earlier offset of that producer whose value was read (once per send; a lost
 *   write's offset may come again).
 * - `reorderedValues`, `reordered` (idempotent histories only): per (producer, partition), the
 *   producer's values read in that partition, each at the offset it was first read, must come in
 *   the order the producer first sent them (send ops by invocation, values in request order);
 *   once per place where the order goes back. Every value read counts, acked or not.
 * Erasable TypeScript.
 */
import type { Anomaly } from "../checker.ts";
import type { Op, SendOp } from "../history.ts";
import { sortByTime, type Entry, type Facts } from "./facts.ts";

export function sendOffsetAnomalies(f: Facts): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const ids of f.sendsBy.values()) producerSends(f, sortByTime(f.ops, ids, "invokeMs"), anomalies);
  return anomalies;
}

/** One producer's ok sends to one partition, in invocation order: offsets only grow. */
function producerSends(f: Facts, ids: number[], anomalies: Anomaly[]): void {
  let last: number | undefined;
  let lastOp = -1;
  for (const i of ids) {
    const op = f.ops[i] as SendOp;
    const offs = op.offsets ?? [];
    const problems: string[] = [];
    for (let k = 1; k < offs.length; k++)
      if ((offs[k] as number) <= (offs[k - 1] as number))
        problems.push(`offsets within the send not increasing: ${offs.join(",")}`);
    const first = offs[0];
    if (first !== undefined && last !== undefined && first <= last)
      problems.push(`first offset ${first} not after ${last}, acked to it earlier (op ${lastOp})`);
    if (problems.length > 0)
      anomalies.push({
        kind: "nonmonotonic_send",
        partition: op.partition,
        process: op.process,
        offset: first ?? -1,
        detail: `${op.process} send op ${i} to p${op.partition}: ${[...new Set(problems)].join("; ")}`,
        ops: lastOp >= 0 ? [lastOp, i] : [i],
      });
    // Only offsets whose values were read move the bar: a never-read (lost or unseen, reported
    // as such) acks=1 write's offset is legitimately handed out again after a truncation.
    for (let k = 0; k < offs.length; k++) {
      const o = offs[k] as number;
      if ((f.values.get(op.values[k] as string)?.readPartition ?? -1) >= 0 && (last === undefined || o > last)) {
        last = o;
        lastOp = i;
      }
    }
  }
}

/** A value's producer, partition and rank in that producer's sends, and the send op. */
interface Rank {
  process: string;
  partition: number;
  rank: number;
  op: number;
}

/** Each value's rank in its producer's sends: send ops by invocation, values in request order. */
function sendRanks(ops: Op[]): Map<string, Rank> {
  const sendIds: number[] = [];
  for (let i = 0; i < ops.length; i++) if ((ops[i] as Op).type === "send") sendIds.push(i);
  const rank = new Map<string, Rank>();
  const next = new Map<string, number>();
  for (const i of sortByTime(ops, sendIds, "invokeMs")) {
    const op = ops[i] as SendOp;
    for (const v of op.values) {
      if (rank.has(v)) continue;
      const r = next.get(op.process) ?? 0;
      next.set(op.process, r + 1);
      rank.set(v, { process: op.process, partition: op.partition, rank: r, op: i });
    }
  }
  return rank;
}

type Read = { value: string; offset: number; rank: number; op: number; readOp: number };

/** Per (producer, partition): its values read in the partition it sent them to. */
function readsByProducer(rank: Map<string, Rank>, values: Map<string, Entry>) {
  const read = new Map<string, { process: string; partition: number; list: Read[] }>();
  for (const [v, r] of rank) {
    const e = values.get(v) as Entry;
    // Read elsewhere than sent (or never): other rules' business.
    if (e.readPartition !== r.partition) continue;
    const key = `${r.process}\u0000${r.partition}`;
    let group = read.get(key);
    if (group === undefined) read.set(key, (group = { process: r.process, partition: r.partition, list: [] }));
    group.list.push({ value: v, offset: e.readOffset, rank: r.rank, op: r.op, readOp: e.readOp });
  }
  return read.values();
}

export function reorderedValues(f: Facts): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const { process, partition, list } of readsByProducer(sendRanks(f.ops), f.values)) {
    list.sort((a, b) => a.offset - b.offset);
    for (let k = 1; k < list.length; k++) {
      const a = list[k - 1]!;
      const b = list[k]!;
      if (b.rank > a.rank) continue;
      anomalies.push({
        kind: "reordered",
        partition,
        process,
        value: b.value,
        offset: b.offset,
        detail:
          `${process} sent "${b.value}" (op ${b.op}) before "${a.value}" (op ${a.op}), ` +
          `but p${partition} holds "${a.value}" at ${a.offset} (op ${a.readOp}) ` +
          `and "${b.value}" at ${b.offset} (op ${b.readOp})`,
        ops: [b.op, a.op, a.readOp, b.readOp],
      });
    }
  }
  return anomalies;
}
