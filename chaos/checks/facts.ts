/**
 * The chaos checker's one pass over a history (`collectFacts`, called by `check` in
 * chaos/checker.ts): every value with its sends and reads, each partition's read view, the
 * offsets read with several values, the ok sends and polls per client and partition, the nemesis
 * ops, and the op counters. Every rule in chaos/checks/ reads these facts; none reads the history
 * again except through `facts.ops`. Linear in ops and values. Erasable TypeScript.
 */
import type { History, Op, PollOp, SendOp } from "../history.ts";

/** Encodes (partition, offset) as one number (partitions < 2^12, offsets < 2^40). */
const POS_BASE = 2 ** 40;
export const pos = (partition: number, offset: number): number => partition * POS_BASE + offset;
export const posPartition = (p: number): number => Math.floor(p / POS_BASE);
export const posOffset = (p: number): number => p % POS_BASE;
export const showPos = (p: number): string => `p${posPartition(p)}@${posOffset(p)}`;

/**
 * Everything known about one value, from its sends and its reads (one Map entry per value; every
 * field always present so the objects share one shape).
 */
export interface Entry {
  /** Best outcome over every send carrying it: 2 ok > 1 info > 0 fail; -1 when no send did. */
  outcome: number;
  /** The partition it was sent to. */
  partition: number;
  /** The acked offset (the first ok send's), -1 when none. */
  offset: number;
  /** Other positions a later ok send acked it at, with that send (an inconsistency). */
  otherAcks: [number, number][] | null;
  /** The first send op carrying it, and any others (a value sent twice). */
  sendOp: number;
  moreSends: number[] | null;
  /** The first position it was read at (`readPartition` -1 when never read) and the poll. */
  readPartition: number;
  readOffset: number;
  readOp: number;
  /** Further distinct positions it was read at → a poll that read it there (duplicates only). */
  moreReads: Map<number, number> | null;
}

export const OUTCOME = { fail: 0, info: 1, ok: 2 } as const;

/** The send ops that carried a value. */
export const sendOps = (e: Entry): number[] => (e.moreSends === null ? [e.sendOp] : [e.sendOp, ...e.moreSends]);

/** One partition's read view: offset → first value read and its poll (dense arrays: offsets are). */
export interface View {
  values: (string | undefined)[];
  ops: number[];
  max: number;
}

/** The op counters of the report. */
export interface Counts {
  ok: number;
  fail: number;
  info: number;
  sends: number;
  okSends: number;
  /** Values with an acked offset (not sends). */
  acked: number;
  /** Send ops with `attempt` > 1. */
  retries: number;
  /** The first request of each producer re-initialisation. */
  resets: number;
}

export interface Facts {
  ops: Op[];
  /** Per value, in the order first met (sent or read). */
  values: Map<string, Entry>;
  /** Per partition: offset → first value read there and its poll, and the highest offset read. */
  views: Map<number, View>;
  /** Positions read with several values → every value with a poll that read it. */
  conflicts: Map<number, Map<string, number>>;
  /** Values read by plain polls (in a group run: the final drain, i.e. what the log holds). */
  plainReads: Set<string>;
  /** Per (producer, partition): its ok send ops. */
  sendsBy: Map<string, number[]>;
  /** Per (consumer, partition): its ok poll ops. */
  pollsBy: Map<string, number[]>;
  nemeses: number[];
  counts: Counts;
}

/** The value read at (partition, offset) first, and the poll that read it. */
export const readAt = (f: Facts, partition: number, offset: number): string | undefined =>
  f.views.get(partition)?.values[offset];
export const readAtOp = (f: Facts, partition: number, offset: number): number | undefined =>
  f.views.get(partition)?.ops[offset];

/** Sorts op indices by a time of their ops, ties by index (history order). */
export function sortByTime(ops: Op[], ids: number[], time: "invokeMs" | "completeMs"): number[] {
  return ids.sort((a, b) => (ops[a] as SendOp | PollOp)[time] - (ops[b] as SendOp | PollOp)[time] || a - b);
}

function entry(f: Facts, v: string): Entry {
  let e = f.values.get(v);
  if (e === undefined) {
    e = {
      outcome: -1,
      partition: -1,
      offset: -1,
      otherAcks: null,
      sendOp: -1,
      moreSends: null,
      readPartition: -1,
      readOffset: -1,
      readOp: -1,
      moreReads: null,
    };
    f.values.set(v, e);
  }
  return e;
}

/** Notes `value` read at (partition, o) in the partition's read view, or a conflict when it held another. */
function viewRecord(f: Facts, partition: number, o: number, value: string, i: number): void {
  let pv = f.views.get(partition);
  if (pv === undefined) f.views.set(partition, (pv = { values: [], ops: [], max: -1 }));
  if (o > pv.max) pv.max = o;
  const first = pv.values[o];
  if (first === undefined) {
    pv.values[o] = value;
    pv.ops[o] = i;
  } else if (first !== value) {
    const p = pos(partition, o);
    let c = f.conflicts.get(p);
    if (c === undefined) {
      c = new Map([[first, pv.ops[o] as number]]);
      f.conflicts.set(p, c);
    }
    if (!c.has(value)) c.set(value, i);
  }
}

/** One record read by poll `i` (plain or group): the read view and the value's read positions. */
function readRecord(f: Facts, partition: number, o: number, value: string, i: number): void {
  viewRecord(f, partition, o, value, i);
  const e = entry(f, value);
  if (e.readPartition < 0) {
    e.readPartition = partition;
    e.readOffset = o;
    e.readOp = i;
  } else if (e.readOffset !== o || e.readPartition !== partition) {
    const p = pos(partition, o);
    e.moreReads ??= new Map();
    if (!e.moreReads.has(p)) e.moreReads.set(p, i);
  }
}

/** Send op `i`: every value's best outcome, acked offset (or another one: an inconsistency) and sends. */
function recordSend(f: Facts, op: SendOp, i: number): void {
  f.counts.sends++;
  if ((op.attempt ?? 1) > 1) f.counts.retries++;
  const outcome = OUTCOME[op.outcome];
  if (op.outcome === "ok") {
    f.counts.okSends++;
    pushTo(f.sendsBy, `${op.process}\u0000${op.partition}`, i);
  }
  for (let k = 0; k < op.values.length; k++) {
    const e = entry(f, op.values[k] as string);
    const offset = op.outcome === "ok" ? op.offsets?.[k] : undefined;
    if (e.sendOp < 0) e.sendOp = i;
    else (e.moreSends ??= []).push(i);
    if (outcome > e.outcome) {
      e.outcome = outcome;
      e.partition = op.partition;
    }
    if (offset !== undefined && e.offset < 0) {
      e.offset = offset;
      e.partition = op.partition;
      f.counts.acked++;
    } else if (offset !== undefined && (offset !== e.offset || op.partition !== e.partition))
      (e.otherAcks ??= []).push([pos(op.partition, offset), i]);
  }
}

/** Op `i`, any type but nemesis: the counters, then what it sent or read. */
function recordOp(f: Facts, op: Exclude<Op, { type: "nemesis" }>, i: number): void {
  if (op.outcome === "ok") f.counts.ok++;
  else if (op.outcome === "fail") f.counts.fail++;
  else f.counts.info++;
  if (op.type === "init") {
    if (op.reset && op.attempt === 1) f.counts.resets++;
  } else if (op.type === "group") {
    if (op.call === "poll" && op.outcome === "ok")
      for (const r of op.records ?? []) readRecord(f, r.partition, r.offset, r.value, i);
  } else if (op.type === "send") recordSend(f, op, i);
  else if (op.outcome === "ok") {
    pushTo(f.pollsBy, `${op.process}\u0000${op.partition}`, i);
    for (const r of op.records ?? []) {
      readRecord(f, op.partition, r.offset, r.value, i);
      f.plainReads.add(r.value);
    }
  }
}

export function collectFacts(history: History): Facts {
  const f: Facts = {
    ops: history.ops,
    values: new Map(),
    views: new Map(),
    conflicts: new Map(),
    plainReads: new Set(),
    sendsBy: new Map(),
    pollsBy: new Map(),
    nemeses: [],
    counts: { ok: 0, fail: 0, info: 0, sends: 0, okSends: 0, acked: 0, retries: 0, resets: 0 },
  };
  for (let i = 0; i < f.ops.length; i++) {
    const op = f.ops[i] as Op;
    if (op.type === "nemesis") f.nemeses.push(i);
    else recordOp(f, op, i);
  }
  return f;
}

function pushTo(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}
