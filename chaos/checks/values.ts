/**
 * The chaos checker's per-value rules (`valueAnomalies`, called by `check` in chaos/checker.ts):
 * a value read at two or more positions is a `duplicate`; a value read whose every send failed
 * an `aborted_read`; an acked value never read is `lost` when its partition's reads reached its
 * acked offset, else `unseen`. One pass over the values, in the order first met; per value in
 * that order (duplicate, aborted read; or lost/unseen). Erasable TypeScript.
 */
import type { Anomaly } from "../checker.ts";
import type { SendOp } from "../history.ts";
import { OUTCOME, pos, readAt, readAtOp, sendOps, showPos, type Entry, type Facts } from "./facts.ts";

export function valueAnomalies(f: Facts): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [v, e] of f.values) {
    if (e.readPartition >= 0) {
      if (e.moreReads !== null) anomalies.push(duplicate(v, e, e.moreReads));
      if (e.outcome === OUTCOME.fail) anomalies.push(abortedRead(v, e));
    } else if (e.outcome === OUTCOME.ok) anomalies.push(unread(f, v, e));
  }
  return anomalies;
}

function duplicate(v: string, e: Entry, moreReads: Map<number, number>): Anomaly {
  const readAs = `${showPos(pos(e.readPartition, e.readOffset))} (op ${e.readOp})`;
  const where = [readAs, ...[...moreReads].map(([p, o]) => `${showPos(p)} (op ${o})`)];
  return {
    kind: "duplicate",
    partition: e.readPartition,
    value: v,
    offset: e.readOffset,
    detail: `value "${v}" read at ${where.length} positions: ${where.join(", ")}`,
    ops: [e.readOp, ...moreReads.values()],
  };
}

function abortedRead(v: string, e: Entry): Anomaly {
  const readAs = `${showPos(pos(e.readPartition, e.readOffset))} (op ${e.readOp})`;
  return {
    kind: "aborted_read",
    partition: e.readPartition,
    value: v,
    offset: e.readOffset,
    detail: `value "${v}" read at ${readAs} though its send failed (op ${sendOps(e).join(", ")})`,
    ops: [...sendOps(e), e.readOp],
  };
}

/** Acked, never read: lost (reads reached its offset) or unseen. */
function unread(f: Facts, v: string, e: Entry): Anomaly {
  const top = f.views.get(e.partition)?.max ?? -1;
  const sendOp = sendOps(e).find((o) => (f.ops[o] as SendOp).outcome === "ok") as number;
  const acked = `"${v}" acked at p${e.partition}@${e.offset} (op ${sendOp})`;
  if (e.offset >= 0 && top >= e.offset) {
    const there = readAt(f, e.partition, e.offset);
    const at = there === undefined ? "not read" : `read with "${there}" (op ${readAtOp(f, e.partition, e.offset)})`;
    return {
      kind: "lost",
      partition: e.partition,
      value: v,
      offset: e.offset,
      detail: `${acked} never read though reads reached offset ${top}; the offset was ${at}`,
      ops: [sendOp],
    };
  }
  const a: Anomaly = {
    kind: "unseen",
    partition: e.partition,
    value: v,
    detail:
      e.offset < 0
        ? `"${v}" acked (op ${sendOp}) without an offset and never read`
        : `${acked} never read; reads of p${e.partition} end at ${top}`,
    ops: [sendOp],
  };
  if (e.offset >= 0) a.offset = e.offset;
  return a;
}
