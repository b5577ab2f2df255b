/**
 * The chaos checker's `inconsistent_offset` rule (`inconsistentOffsets`, called by `check` in
 * chaos/checker.ts), counted once per (partition, offset): two different values read there; a
 * value acked there after it was acked elsewhere; a value read there that no send carried; an
 * acked value read, but not at its acked position (keyed at the acked position). An acked value
 * never read at all is the per-value rules' (lost or unseen), not an inconsistency. Reasons of one
 * position in that order: conflicting reads first, then per value in the order first met.
 * Erasable TypeScript.
 */
import type { Anomaly } from "../checker.ts";
import {
  OUTCOME,
  pos,
  posOffset,
  posPartition,
  readAt,
  readAtOp,
  sendOps,
  showPos,
  type Entry,
  type Facts,
} from "./facts.ts";

interface Inconsistency {
  reasons: string[];
  ops: number[];
  value?: string;
}

/** Inconsistencies keyed by position, so one bad offset counts once. */
type Flags = Map<number, Inconsistency>;

function flag(flags: Flags, p: number, reason: string, opIds: number[], value?: string): void {
  let e = flags.get(p);
  if (e === undefined) {
    e = { reasons: [], ops: [] };
    if (value !== undefined) e.value = value;
    flags.set(p, e);
  }
  e.reasons.push(reason);
  for (const o of opIds) if (!e.ops.includes(o)) e.ops.push(o);
}

export function inconsistentOffsets(f: Facts): Anomaly[] {
  const flags: Flags = new Map();
  for (const [p, c] of f.conflicts) {
    const list = [...c].map(([v, o]) => `"${v}" (op ${o})`).join(", ");
    flag(flags, p, `${showPos(p)} read with ${c.size} different values: ${list}`, [...c.values()]);
  }
  for (const [v, e] of f.values) flagValue(f, flags, v, e);
  return [...flags].map(([p, e]) => {
    const a: Anomaly = {
      kind: "inconsistent_offset",
      partition: posPartition(p),
      offset: posOffset(p),
      detail: e.reasons.join("; "),
      ops: e.ops,
    };
    if (e.value !== undefined) a.value = e.value;
    return a;
  });
}

/** One value's inconsistencies: acked at a second position; read but never sent; read away from its acked offset. */
function flagValue(f: Facts, flags: Flags, v: string, e: Entry): void {
  const acked = () => `${showPos(pos(e.partition, e.offset))} (op ${sendOps(e).join(", ")})`;
  for (const [p, o] of e.otherAcks ?? [])
    flag(flags, p, `"${v}" acked at ${showPos(p)} (op ${o}) after it was acked at ${acked()}`, [...sendOps(e), o], v);
  if (e.readPartition < 0) return;
  const rpos = pos(e.readPartition, e.readOffset);
  if (e.outcome < 0) {
    flag(flags, rpos, `${showPos(rpos)} read with "${v}" (op ${e.readOp}), a value no send carried`, [e.readOp], v);
    return;
  }
  if (e.outcome !== OUTCOME.ok || e.offset < 0) return;
  const ackedPos = pos(e.partition, e.offset);
  if (rpos === ackedPos || (e.moreReads?.has(ackedPos) ?? false)) return;
  const positions = [rpos, ...(e.moreReads?.keys() ?? [])];
  const there = readAt(f, e.partition, e.offset);
  const at = there === undefined ? "never read" : `read with "${there}" (op ${readAtOp(f, e.partition, e.offset)})`;
  const read = `read at ${positions.map(showPos).join(", ")} (op ${e.readOp}); ${showPos(ackedPos)} ${at}`;
  flag(flags, ackedPos, `"${v}" acked at ${acked()} but ${read}`, [...sendOps(e), e.readOp], v);
}
