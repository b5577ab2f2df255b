/**
 * The chaos checker: a pure function from a recorded `History` to the issue's `Report` plus the
 * list of anomalies, each with offending values, offsets and op indices (positions in
 * `history.ops`) so a human can find them in the saved history.
 *
 * Rules (per partition):
 * - Read view: every `ok` poll (consumers and the final drain) → (partition, offset) → values read.
 * - inconsistent_offsets: counted once per (partition, offset) that is inconsistent: two different
 *   values read there; or an acked value that was read, but not at its acked position (the acked
 *   offset read with another value, or the value read only elsewhere — keyed at the acked
 *   position); or a read value no send ever carried. An acked value never read at all is a lost or
 *   unseen write, not an inconsistency, even if its acked offset was read with another value (that
 *   is how a truncated acks=1 write looks).
 * - duplicates: one value read at two or more different positions (also across partitions), once
 *   per value.
 * - lost: an acked value never read although its partition's reads reached its acked offset (some
 *   offset ≥ it was read). unseen: an acked value never read, its partition's reads ending below
 *   its acked offset (or the send answered no offset for it).
 * - aborted_reads: a value read whose sends all had outcome `fail` (once per value).
 * - poll_skip / nonmonotonic_poll: per (consumer process, partition), over its ok polls in
 *   completion order, with its position = the previous ok poll's `nextOffset`: a poll asking from
 *   after the position skips, from before it goes backwards; records must start exactly at
 *   `fromOffset` (-1 = "earliest": anywhere on the first poll, at the position later) and be
 *   consecutive; `nextOffset` must be last + 1 (or `fromOffset` when empty). At most one anomaly
 *   of each kind per poll.
 * - nonmonotonic_send: per (producer process, partition), ok sends in invocation order: offsets
 *   strictly increasing within a send, and each send's first offset above every earlier offset of
 *   that producer whose value was read (once per send; a lost write's offset may come again).
 * - reordered (idempotent histories only, issue 5): per (producer process, partition), the values
 *   of that producer read in that partition, taken at the offset each was first read, must come in
 *   the order the producer first sent them (send ops by invocation, values in request order):
 *   counted once per place where the order goes back. Every value read counts, acked or not: an
 *   idempotent producer's batches are written in sequence order whether or not it heard back.
 * - Several sends of the same values (re-sends after an unknown outcome, issue 5): the value is one
 *   value — acked if any send was ok (`acked` counts values, not sends), aborted only if every send
 *   failed; a value acked at two different positions is an inconsistent offset at the second.
 * - Counters and `valid` as in issue 4; with acks "1", lost and unseen are reported but allowed.
 *   `retries` counts send ops with `attempt` > 1; `producer_resets` the first request of each
 *   re-initialisation (`init` ops with `reset`). Init ops count in ops/ok/fail/info like any request.
 * - Fail-over: per nemesis op with `leader: true`, from its startMs to the completion of the first
 *   ok send invoked at or after that start (in the partition a "p<N>/…" target names, else any);
 *   sends in flight across the fault do not end it (an old leader may have answered them). p50 is
 *   the nearest-rank median; faults never followed by an ok send are left out (listed in
 *   `failovers` with ms null). availability = ok sends / sends, 0 when there were no sends.
 *
 * - Groups (issue 6): the records of ok group polls join the read view like any poll's (so
 *   inconsistent offsets, duplicates at two positions, aborted reads and lost/unseen see them);
 *   the group rules — undelivered, redelivered, the per-member ownership-period read rules,
 *   double_owned, rebalances — are chaos/group-checker.ts's. Group ops count as requests.
 *   `valid` in a group history also needs undelivered and double_owned at 0.
 *
 * Linear in the number of ops and values (Maps keyed by value and by offset). Erasable TypeScript.
 */
import { checkGroups, type GroupStats } from "./group-checker.ts";
import type { History, NemesisOp, Op, PollOp, Report, SendOp } from "./history.ts";

export type AnomalyKind =
  | "lost"
  | "unseen"
  | "duplicate"
  | "inconsistent_offset"
  | "aborted_read"
  | "poll_skip"
  | "nonmonotonic_poll"
  | "nonmonotonic_send"
  | "reordered"
  | "undelivered"
  | "double_owned";

export interface Anomaly {
  kind: AnomalyKind;
  partition: number;
  /** One human sentence with the offending values and offsets. */
  detail: string;
  /** The value concerned, when there is one. */
  value?: string;
  /** The offset concerned (for inconsistent offsets the (partition, offset) counted). */
  offset?: number;
  /** The client process, for the per-client rules. */
  process?: string;
  /** Indices into `history.ops` of the operations involved. */
  ops: number[];
}

/** One leader fault and how long the partition (or the topic) took to take a write again. */
export interface Failover {
  op: number;
  action: string;
  target?: string;
  /** The partition named by a "p<N>/…" target, else null (any partition counts). */
  partition: number | null;
  startMs: number;
  /** Time from the fault's start to the completion of the first ok send invoked at or after it; null if none. */
  ms: number | null;
  /** Op index of that send. */
  send: number | null;
}

export interface CheckResult {
  report: Report;
  anomalies: Anomaly[];
  failovers: Failover[];
  /** Group histories only. */
  groups?: GroupStats;
}

/** Encodes (partition, offset) as one number (partitions < 2^12, offsets < 2^40). */
const POS_BASE = 2 ** 40;
const pos = (partition: number, offset: number): number => partition * POS_BASE + offset;
const posPartition = (p: number): number => Math.floor(p / POS_BASE);
const posOffset = (p: number): number => p % POS_BASE;
const showPos = (p: number): string => `p${posPartition(p)}@${posOffset(p)}`;

/**
 * Everything known about one value, from its sends and its reads (one Map entry per value; every
 * field always present so the objects share one shape).
 */
interface Entry {
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

const OUTCOME = { fail: 0, info: 1, ok: 2 } as const;

/** The send ops that carried a value. */
const sendOps = (e: Entry): number[] => (e.moreSends === null ? [e.sendOp] : [e.sendOp, ...e.moreSends]);

/** One partition's read view: offset → first value read and its poll (dense arrays: offsets are). */
interface View {
  values: (string | undefined)[];
  ops: number[];
  max: number;
}

export function check(history: History): CheckResult {
  const ops = history.ops;
  const anomalies: Anomaly[] = [];
  let ok = 0;
  let fail = 0;
  let info = 0;
  let sends = 0;
  let okSends = 0;
  let acked = 0;
  let retries = 0;
  let resets = 0;

  const values = new Map<string, Entry>();
  const entry = (v: string): Entry => {
    let e = values.get(v);
    if (e === undefined) {
      e = { outcome: -1, partition: -1, offset: -1, otherAcks: null, sendOp: -1, moreSends: null, readPartition: -1, readOffset: -1, readOp: -1, moreReads: null };
      values.set(v, e);
    }
    return e;
  };
  /** Per partition: offset → first value read there and its poll, and the highest offset read. */
  const views = new Map<number, View>();
  const view = (partition: number): View => {
    let v = views.get(partition);
    if (v === undefined) views.set(partition, (v = { values: [], ops: [], max: -1 }));
    return v;
  };
  const readAt = (partition: number, offset: number): string | undefined => views.get(partition)?.values[offset];
  const readAtOp = (partition: number, offset: number): number | undefined => views.get(partition)?.ops[offset];
  /** Positions read with several values → every value with a poll that read it. */
  const conflicts = new Map<number, Map<string, number>>();

  /** One record read by poll `i` (plain or group): the read view and the value's read positions. */
  const readRecord = (partition: number, o: number, value: string, i: number): void => {
    const pv = view(partition);
    if (o > pv.max) pv.max = o;
    const first = pv.values[o];
    if (first === undefined) {
      pv.values[o] = value;
      pv.ops[o] = i;
    } else if (first !== value) {
      const p = pos(partition, o);
      let c = conflicts.get(p);
      if (c === undefined) {
        c = new Map([[first, pv.ops[o] as number]]);
        conflicts.set(p, c);
      }
      if (!c.has(value)) c.set(value, i);
    }
    const e = entry(value);
    if (e.readPartition < 0) {
      e.readPartition = partition;
      e.readOffset = o;
      e.readOp = i;
    } else if (e.readOffset !== o || e.readPartition !== partition) {
      const p = pos(partition, o);
      e.moreReads ??= new Map();
      if (!e.moreReads.has(p)) e.moreReads.set(p, i);
    }
  };
  /** Values read by plain polls (in a group run: the final drain, i.e. what the log holds). */
  const plainReads = new Set<string>();

  const sendsBy = new Map<string, number[]>();
  const pollsBy = new Map<string, number[]>();
  const nemeses: number[] = [];

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    if (op.type === "nemesis") {
      nemeses.push(i);
      continue;
    }
    if (op.outcome === "ok") ok++;
    else if (op.outcome === "fail") fail++;
    else info++;
    if (op.type === "init") {
      if (op.reset && op.attempt === 1) resets++;
      continue;
    }
    if (op.type === "group") {
      if (op.call === "poll" && op.outcome === "ok") for (const r of op.records ?? []) readRecord(r.partition, r.offset, r.value, i);
      continue;
    }
    if (op.type === "send") {
      sends++;
      if ((op.attempt ?? 1) > 1) retries++;
      const outcome = OUTCOME[op.outcome];
      if (op.outcome === "ok") {
        okSends++;
        pushTo(sendsBy, `${op.process}\u0000${op.partition}`, i);
      }
      for (let k = 0; k < op.values.length; k++) {
        const e = entry(op.values[k] as string);
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
          acked++;
        } else if (offset !== undefined && (offset !== e.offset || op.partition !== e.partition)) (e.otherAcks ??= []).push([pos(op.partition, offset), i]);
      }
    } else if (op.outcome === "ok") {
      pushTo(pollsBy, `${op.process}\u0000${op.partition}`, i);
      for (const r of op.records ?? []) {
        readRecord(op.partition, r.offset, r.value, i);
        plainReads.add(r.value);
      }
    }
  }

  // Inconsistent offsets, keyed by position so one bad offset counts once.
  const inconsistent = new Map<number, { reasons: string[]; ops: number[]; value?: string }>();
  const flag = (p: number, reason: string, opIds: number[], value?: string): void => {
    let e = inconsistent.get(p);
    if (e === undefined) {
      e = { reasons: [], ops: [] };
      if (value !== undefined) e.value = value;
      inconsistent.set(p, e);
    }
    e.reasons.push(reason);
    for (const o of opIds) if (!e.ops.includes(o)) e.ops.push(o);
  };
  for (const [p, c] of conflicts) {
    const list = [...c].map(([v, o]) => `"${v}" (op ${o})`).join(", ");
    flag(p, `${showPos(p)} read with ${c.size} different values: ${list}`, [...c.values()]);
  }

  for (const [v, e] of values) {
    for (const [p, o] of e.otherAcks ?? [])
      flag(p, `"${v}" acked at ${showPos(p)} (op ${o}) after it was acked at ${showPos(pos(e.partition, e.offset))} (op ${sendOps(e).join(", ")})`, [...sendOps(e), o], v);
    if (e.readPartition >= 0) {
      // Read: duplicates, never-sent values, aborted reads, acked values read elsewhere.
      const rpos = pos(e.readPartition, e.readOffset);
      const readAs = `${showPos(rpos)} (op ${e.readOp})`;
      if (e.moreReads !== null) {
        const where = [readAs, ...[...e.moreReads].map(([p, o]) => `${showPos(p)} (op ${o})`)];
        anomalies.push({
          kind: "duplicate",
          partition: e.readPartition,
          value: v,
          offset: e.readOffset,
          detail: `value "${v}" read at ${where.length} positions: ${where.join(", ")}`,
          ops: [e.readOp, ...e.moreReads.values()],
        });
      }
      if (e.outcome < 0) {
        flag(rpos, `${showPos(rpos)} read with "${v}" (op ${e.readOp}), a value no send carried`, [e.readOp], v);
      } else if (e.outcome === OUTCOME.fail) {
        anomalies.push({
          kind: "aborted_read",
          partition: e.readPartition,
          value: v,
          offset: e.readOffset,
          detail: `value "${v}" read at ${readAs} though its send failed (op ${sendOps(e).join(", ")})`,
          ops: [...sendOps(e), e.readOp],
        });
      } else if (e.outcome === OUTCOME.ok && e.offset >= 0) {
        const ackedPos = pos(e.partition, e.offset);
        if (rpos !== ackedPos && !(e.moreReads?.has(ackedPos) ?? false)) {
          const positions = [rpos, ...(e.moreReads?.keys() ?? [])];
          const there = readAt(e.partition, e.offset);
          const at = there === undefined ? "never read" : `read with "${there}" (op ${readAtOp(e.partition, e.offset)})`;
          flag(
            ackedPos,
            `"${v}" acked at ${showPos(ackedPos)} (op ${sendOps(e).join(", ")}) but read at ${positions.map(showPos).join(", ")} (op ${e.readOp}); ${showPos(ackedPos)} ${at}`,
            [...sendOps(e), e.readOp],
            v,
          );
        }
      }
    } else if (e.outcome === OUTCOME.ok) {
      // Acked, never read: lost (reads reached its offset) or unseen.
      const top = views.get(e.partition)?.max ?? -1;
      const sendOp = sendOps(e).find((o) => (ops[o] as SendOp).outcome === "ok") as number;
      if (e.offset >= 0 && top >= e.offset) {
        const there = readAt(e.partition, e.offset);
        const at = there === undefined ? "not read" : `read with "${there}" (op ${readAtOp(e.partition, e.offset)})`;
        anomalies.push({
          kind: "lost",
          partition: e.partition,
          value: v,
          offset: e.offset,
          detail: `"${v}" acked at p${e.partition}@${e.offset} (op ${sendOp}) never read though reads reached offset ${top}; the offset was ${at}`,
          ops: [sendOp],
        });
      } else {
        const a: Anomaly = {
          kind: "unseen",
          partition: e.partition,
          value: v,
          detail:
            e.offset < 0
              ? `"${v}" acked (op ${sendOp}) without an offset and never read`
              : `"${v}" acked at p${e.partition}@${e.offset} (op ${sendOp}) never read; reads of p${e.partition} end at ${top}`,
          ops: [sendOp],
        };
        if (e.offset >= 0) a.offset = e.offset;
        anomalies.push(a);
      }
    }
  }
  for (const [p, e] of inconsistent) {
    const a: Anomaly = { kind: "inconsistent_offset", partition: posPartition(p), offset: posOffset(p), detail: e.reasons.join("; "), ops: e.ops };
    if (e.value !== undefined) a.value = e.value;
    anomalies.push(a);
  }

  // Per consumer and partition: poll skips and backward polls.
  for (const ids of pollsBy.values()) {
    ids.sort((a, b) => (ops[a] as PollOp).completeMs - (ops[b] as PollOp).completeMs || a - b);
    checkPolls(ops, ids, anomalies);
  }

  // Per producer and partition: offsets only grow.
  for (const ids of sendsBy.values()) {
    ids.sort((a, b) => (ops[a] as SendOp).invokeMs - (ops[b] as SendOp).invokeMs || a - b);
    let last: number | undefined;
    let lastOp = -1;
    for (const i of ids) {
      const op = ops[i] as SendOp;
      const offs = op.offsets ?? [];
      const problems: string[] = [];
      for (let k = 1; k < offs.length; k++)
        if ((offs[k] as number) <= (offs[k - 1] as number)) problems.push(`offsets within the send not increasing: ${offs.join(",")}`);
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
        if ((values.get(op.values[k] as string)?.readPartition ?? -1) >= 0 && (last === undefined || o > last)) {
          last = o;
          lastOp = i;
        }
      }
    }
  }

  if (history.idempotent === true) checkSendOrder(ops, values, anomalies);
  const groupStats =
    history.groups === true ? checkGroups(history, plainReads, (v) => (values.get(v)?.offset ?? -1) >= 0, anomalies) : undefined;

  const failovers = failoverTimes(ops, nemeses);
  const times = failovers.flatMap((f) => (f.ms === null ? [] : [f.ms])).sort((a, b) => a - b);

  const count = (k: AnomalyKind): number => {
    let n = 0;
    for (const a of anomalies) if (a.kind === k) n++;
    return n;
  };
  const lost = count("lost");
  const unseen = count("unseen");
  const duplicates = count("duplicate");
  const inconsistentOffsets = count("inconsistent_offset");
  const abortedReads = count("aborted_read");
  const nonmonotonic = count("poll_skip") + count("nonmonotonic_poll") + count("nonmonotonic_send");
  const reordered = count("reordered");
  const strict = duplicates + inconsistentOffsets + abortedReads + nonmonotonic + reordered + count("undelivered") + count("double_owned") === 0;
  const valid = history.acks === "1" ? strict : strict && lost + unseen === 0;

  const report: Report = {
    seed: history.seed,
    idempotent: history.idempotent === true,
    ops: ok + fail + info,
    ok,
    fail,
    info,
    acked,
    lost,
    unseen,
    duplicates,
    inconsistent_offsets: inconsistentOffsets,
    aborted_reads: abortedReads,
    nonmonotonic,
    reordered,
    retries,
    producer_resets: resets,
    groups: history.groups === true,
    undelivered: groupStats?.undelivered ?? 0,
    redelivered: groupStats?.redelivered ?? 0,
    rebalances: groupStats?.rebalances ?? 0,
    double_owned: groupStats?.doubleOwned ?? 0,
    availability: sends === 0 ? 0 : Math.round((okSends / sends) * 1000) / 1000,
    failover_ms_p50: times.length === 0 ? null : (times[Math.ceil(times.length / 2) - 1] as number),
    failover_ms_max: times.length === 0 ? null : (times[times.length - 1] as number),
    valid,
  };
  const result: CheckResult = { report, anomalies, failovers };
  if (groupStats !== undefined) result.groups = groupStats;
  return result;
}

/**
 * Idempotent histories: per (producer, partition), the producer's values read in that partition,
 * in offset order (each at its first read), must keep the order the producer first sent them.
 */
function checkSendOrder(ops: Op[], values: Map<string, Entry>, anomalies: Anomaly[]): void {
  // Each value's rank in its producer's sends: send ops by invocation, values in request order.
  const sendIds: number[] = [];
  for (let i = 0; i < ops.length; i++) if ((ops[i] as Op).type === "send") sendIds.push(i);
  sendIds.sort((a, b) => (ops[a] as SendOp).invokeMs - (ops[b] as SendOp).invokeMs || a - b);
  const rank = new Map<string, { process: string; partition: number; rank: number; op: number }>();
  const next = new Map<string, number>();
  for (const i of sendIds) {
    const op = ops[i] as SendOp;
    for (const v of op.values) {
      if (rank.has(v)) continue;
      const r = next.get(op.process) ?? 0;
      next.set(op.process, r + 1);
      rank.set(v, { process: op.process, partition: op.partition, rank: r, op: i });
    }
  }
  type Read = { value: string; offset: number; rank: number; op: number; readOp: number };
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
  for (const { process, partition, list } of read.values()) {
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
          `but p${partition} holds "${a.value}" at ${a.offset} (op ${a.readOp}) and "${b.value}" at ${b.offset} (op ${b.readOp})`,
        ops: [b.op, a.op, a.readOp, b.readOp],
      });
    }
  }
}

function pushTo(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}

/** One consumer's ok polls of one partition, in completion order. */
function checkPolls(ops: Op[], ids: number[], anomalies: Anomaly[]): void {
  let position: number | undefined;
  let prevOp = -1;
  for (const i of ids) {
    const op = ops[i] as PollOp;
    const recs = op.records ?? [];
    const skip: string[] = [];
    const back: string[] = [];
    const from = op.fromOffset;
    if (position !== undefined && from >= 0) {
      if (from > position) skip.push(`asked from ${from} after the previous poll (op ${prevOp}) ended at ${position}`);
      else if (from < position) back.push(`asked from ${from} before the previous poll (op ${prevOp}) ended at ${position}`);
    }
    const head = recs[0]?.offset;
    if (head !== undefined) {
      if (from >= 0) {
        if (head > from) skip.push(`first record at ${head}, asked from ${from}`);
        else if (head < from) back.push(`first record at ${head}, asked from ${from}`);
      } else if (position !== undefined) {
        // "earliest" again later on: the records must continue at the position.
        if (head > position) skip.push(`first record at ${head} after the previous poll (op ${prevOp}) ended at ${position}`);
        else if (head < position) back.push(`first record at ${head} before the previous poll (op ${prevOp}) ended at ${position}`);
      }
    }
    for (let k = 1; k < recs.length; k++) {
      const a = (recs[k - 1] as { offset: number }).offset;
      const b = (recs[k] as { offset: number }).offset;
      if (b > a + 1) skip.push(`records jump from ${a} to ${b}`);
      else if (b <= a) back.push(`records go from ${a} to ${b}`);
    }
    const tail = recs.at(-1)?.offset;
    const expectedNext = tail !== undefined ? tail + 1 : from >= 0 ? from : undefined;
    if (op.nextOffset !== undefined && expectedNext !== undefined) {
      if (op.nextOffset > expectedNext) skip.push(`nextOffset ${op.nextOffset}, expected ${expectedNext}`);
      else if (op.nextOffset < expectedNext) back.push(`nextOffset ${op.nextOffset}, expected ${expectedNext}`);
    }
    const where = `${op.process} poll op ${i} of p${op.partition} from ${from}`;
    const involved = prevOp >= 0 ? [prevOp, i] : [i];
    if (skip.length > 0)
      anomalies.push({ kind: "poll_skip", partition: op.partition, process: op.process, offset: from, detail: `${where}: ${skip.join("; ")}`, ops: involved });
    if (back.length > 0)
      anomalies.push({ kind: "nonmonotonic_poll", partition: op.partition, process: op.process, offset: from, detail: `${where}: ${back.join("; ")}`, ops: involved });
    const next = op.nextOffset ?? expectedNext;
    if (next !== undefined) position = next;
    prevOp = i;
  }
}

/**
 * For each nemesis op with `leader: true`: the time from its start to the completion of the first
 * ok send invoked at or after that start (a request that an old leader could not have answered
 * before the fault), in the partition its "p<N>/…" target names, else in any partition.
 */
function failoverTimes(ops: Op[], nemeses: number[]): Failover[] {
  const leaderFaults = nemeses.filter((i) => (ops[i] as NemesisOp).leader === true);
  if (leaderFaults.length === 0) return [];
  // Ok sends sorted by invocation, with the earliest completion from each index on (suffix min).
  const index = (filter: (s: SendOp) => boolean) => {
    const ids: number[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as Op;
      if (op.type === "send" && op.outcome === "ok" && filter(op)) ids.push(i);
    }
    ids.sort((a, b) => (ops[a] as SendOp).invokeMs - (ops[b] as SendOp).invokeMs || a - b);
    const best = new Array<number>(ids.length);
    for (let k = ids.length - 1; k >= 0; k--) {
      const here = ids[k] as number;
      const after = k + 1 < ids.length ? (best[k + 1] as number) : -1;
      best[k] = after >= 0 && (ops[after] as SendOp).completeMs < (ops[here] as SendOp).completeMs ? after : here;
    }
    return { ids, best };
  };
  const cache = new Map<number | null, ReturnType<typeof index>>();
  return leaderFaults.map((i) => {
    const n = ops[i] as NemesisOp;
    const m = /^p(\d+)(?:\/|$)/.exec(n.target ?? "");
    const partition = m ? Number(m[1]) : null;
    let idx = cache.get(partition);
    if (idx === undefined) {
      idx = index((s) => partition === null || s.partition === partition);
      cache.set(partition, idx);
    }
    // First ok send invoked at or after the fault's start (binary search on invokeMs).
    let lo = 0;
    let hi = idx.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ops[idx.ids[mid] as number] as SendOp).invokeMs < n.startMs) lo = mid + 1;
      else hi = mid;
    }
    const send = lo < idx.ids.length ? (idx.best[lo] as number) : null;
    const f: Failover = {
      op: i,
      action: n.action,
      partition,
      startMs: n.startMs,
      ms: send === null ? null : (ops[send] as SendOp).completeMs - n.startMs,
      send,
    };
    if (n.target !== undefined) f.target = n.target;
    return f;
  });
}

/** The summary table (plain text) printed before the report's JSON line. */
export function formatSummary(result: CheckResult, examplesPerKind = 5): string {
  const r = result.report;
  const rows: [string, string][] = [
    ["seed", String(r.seed)],
    ["ops (ok / fail / info)", `${r.ops} (${r.ok} / ${r.fail} / ${r.info})`],
    ["acked values", String(r.acked)],
    ["availability (ok sends)", r.availability.toFixed(3)],
    ["lost", String(r.lost)],
    ["unseen", String(r.unseen)],
    ["duplicates", String(r.duplicates)],
    ["inconsistent offsets", String(r.inconsistent_offsets)],
    ["aborted reads", String(r.aborted_reads)],
    ["nonmonotonic (skips, backward polls, sends)", String(r.nonmonotonic)],
    ["reordered (idempotent only)", r.idempotent ? String(r.reordered) : "-"],
    ["re-sends / producer resets", `${r.retries} / ${r.producer_resets}`],
    ...(r.groups
      ? ([
          ["group: undelivered (at-least-once)", String(r.undelivered)],
          ["group: redelivered values (allowed)", String(r.redelivered)],
          ["group: rebalances / partition handovers", `${r.rebalances} / ${result.groups?.handovers ?? "-"}`],
          ["group: double-owned reads", String(r.double_owned)],
        ] as [string, string][])
      : []),
    ["leader fail-overs", `${result.failovers.length} (${result.failovers.filter((f) => f.ms === null).length} without a later ok send)`],
    ["fail-over ms p50 / max", `${r.failover_ms_p50 ?? "-"} / ${r.failover_ms_max ?? "-"}`],
    ["valid", String(r.valid)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const byKind = new Map<AnomalyKind, Anomaly[]>();
  for (const a of result.anomalies) {
    const list = byKind.get(a.kind);
    if (list === undefined) byKind.set(a.kind, [a]);
    else list.push(a);
  }
  for (const [kind, list] of byKind) {
    lines.push(`  ${kind}: ${list.length}`);
    for (const a of list.slice(0, examplesPerKind)) lines.push(`    - ${a.detail}`);
    if (list.length > examplesPerKind) lines.push(`    … ${list.length - examplesPerKind} more`);
  }
  return lines.join("\n");
}
