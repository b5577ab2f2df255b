/**
 * The chaos checker's consumer-group rules (issue 6), over the `GroupOp`s of a group run; called
 * by `check` (chaos/checker.ts), which also feeds group reads into its read view (inconsistent
 * offsets, duplicates at two positions, aborted reads, lost/unseen).
 *
 * Rules:
 * - undelivered (at-least-once): a value the final drain read (it is in the log) that no group
 *   consumer processed — an ok group poll not marked `unprocessed`, by any member, before or after
 *   any rebalance. Counted once per value.
 * - redelivered: values the group processed more than once (same position, several polls).
 *   Allowed: counted, not an anomaly.
 * - Group reads per member (a member id is one join) and partition, its answers and polls in
 *   completion order. An ownership period of partition p starts at the member's first read of p
 *   and ends at any answer of the member whose assignment lacks p (then the server may drop its
 *   position: the next owner starts at the committed offset). Within a period the records of p
 *   continue exactly where the previous ones ended: a jump forward is a poll_skip, a step back a
 *   nonmonotonic_poll; records of p inside one answer are consecutive. The first read of a period
 *   may go back as far as it likes (re-reading from the committed offset) but must not start
 *   after max(every commit of p — ok or unknown — invoked before the poll completed, the end of
 *   this member's own earlier reads of p, 0 = earliest): else poll_skip (offsets nobody committed
 *   as processed were jumped).
 * - double_owned: member A provably owns p from the completion of an answer assigning it p until
 *   the invocation of its first request that could end that — a heartbeat not reporting p, a
 *   leave, a request answered 25/110/82 — and only while its session provably lives: from each ok
 *   join/heartbeat's completion to its invocation + the session timeout − CLOCK_MARGIN_MS.
 *   Another member's ok poll returning records of p that was invoked and completed inside such a
 *   span was served p while A held it: counted once per (poll, partition). A crashed member's
 *   span ends with its session, so a take-over after a session timeout is never counted.
 * - rebalances: distinct member epochs answered, minus one (the group epochs members reached).
 *
 * Linear apart from the double-ownership scan (polls × spans per partition; both small).
 * Erasable TypeScript.
 */
import type { Anomaly } from "./checker.ts";
import type { GroupOp, History, Op } from "./history.ts";

/** Slack for the server's clock reading a little early (workerd's Date.now advances on I/O). */
export const CLOCK_MARGIN_MS = 250;
const REJOIN_CODES: ReadonlySet<number> = new Set([25, 110, 82]);

export interface GroupStats {
  undelivered: number;
  redelivered: number;
  rebalances: number;
  doubleOwned: number;
  /** Reads of a partition by another member than the one that read it last (partition moves). */
  handovers: number;
}

interface Span {
  member: string;
  startMs: number;
  endMs: number;
  op: number;
}

export function checkGroups(history: History, drained: ReadonlySet<string>, acked: (value: string) => boolean, anomalies: Anomaly[]): GroupStats {
  const ops = history.ops;
  const sessionMs = history.sessionTimeoutMs ?? 0;
  const byMember = new Map<string, number[]>();
  const commits = new Map<number, { invokeMs: number; offset: number }[]>();
  const epochs = new Set<number>();
  const delivered = new Map<string, number>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    if (op.type !== "group") continue;
    if (op.member !== undefined) {
      const list = byMember.get(op.member);
      if (list === undefined) byMember.set(op.member, [i]);
      else list.push(i);
    }
    if (op.outcome === "ok" && op.answerEpoch !== undefined) epochs.add(op.answerEpoch);
    if (op.call === "commit" && op.outcome !== "fail")
      for (const o of op.offsets ?? []) {
        const list = commits.get(o.partition);
        if (list === undefined) commits.set(o.partition, [{ invokeMs: op.invokeMs, offset: o.offset }]);
        else list.push({ invokeMs: op.invokeMs, offset: o.offset });
      }
    if (op.call === "poll" && op.outcome === "ok" && op.unprocessed !== true)
      for (const r of op.records ?? []) delivered.set(r.value, (delivered.get(r.value) ?? 0) + 1);
  }

  // Highest commit of each partition invoked up to a time: sorted by invocation, prefix maxima.
  for (const list of commits.values()) {
    list.sort((a, b) => a.invokeMs - b.invokeMs);
    for (let k = 1; k < list.length; k++) list[k]!.offset = Math.max(list[k]!.offset, list[k - 1]!.offset);
  }
  const committedBy = (partition: number, ms: number): number => {
    const list = commits.get(partition);
    if (list === undefined) return 0;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.invokeMs <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : list[lo - 1]!.offset;
  };

  let undelivered = 0;
  let redelivered = 0;
  for (const [v, n] of delivered) if (n > 1) redelivered++;
  for (const v of drained) {
    if (delivered.has(v)) continue;
    undelivered++;
    anomalies.push({ kind: "undelivered", partition: -1, value: v, detail: `"${v}"${acked(v) ? " (acked)" : ""} is in the log (the drain read it) but no group consumer processed it`, ops: [] });
  }

  const spans = new Map<number, Span[]>();
  const pollsOf = new Map<number, number[]>();
  for (const [member, ids] of byMember) {
    ids.sort((a, b) => (ops[a] as GroupOp).completeMs - (ops[b] as GroupOp).completeMs || a - b);
    checkMemberReads(ops, ids, committedBy, anomalies);
    for (const [p, list] of memberSpans(ops, member, ids, sessionMs)) {
      const all = spans.get(p);
      if (all === undefined) spans.set(p, list);
      else all.push(...list);
    }
    for (const i of ids) {
      const op = ops[i] as GroupOp;
      if (op.call !== "poll" || op.outcome !== "ok") continue;
      for (const p of new Set((op.records ?? []).map((r) => r.partition))) {
        const list = pollsOf.get(p);
        if (list === undefined) pollsOf.set(p, [i]);
        else list.push(i);
      }
    }
  }

  let doubleOwned = 0;
  let handovers = 0;
  for (const [p, ids] of pollsOf) {
    ids.sort((a, b) => (ops[a] as GroupOp).completeMs - (ops[b] as GroupOp).completeMs || a - b);
    let lastReader: string | undefined;
    for (const i of ids) {
      const op = ops[i] as GroupOp;
      if (lastReader !== undefined && lastReader !== op.member) handovers++;
      lastReader = op.member;
      const holder = (spans.get(p) ?? []).find((s) => s.member !== op.member && s.startMs <= op.invokeMs && op.completeMs <= s.endMs);
      if (holder === undefined) continue;
      doubleOwned++;
      anomalies.push({
        kind: "double_owned",
        partition: p,
        process: op.process,
        offset: (op.records ?? []).find((r) => r.partition === p)?.offset ?? -1,
        detail:
          `${op.process} (member ${op.member}) poll op ${i} read p${p} at ${op.invokeMs}–${op.completeMs} ms while member ${holder.member} ` +
          `held p${p} (assigned by op ${holder.op}, not released, session alive) from ${holder.startMs} to ${holder.endMs} ms`,
        ops: [holder.op, i],
      });
    }
  }

  return { undelivered, redelivered, rebalances: Math.max(0, epochs.size - 1), doubleOwned, handovers };
}

/** One member's reads, per partition, against its ownership periods (see the header). */
function checkMemberReads(ops: Op[], ids: number[], committedBy: (partition: number, ms: number) => number, anomalies: Anomaly[]): void {
  /** Per partition: the offset after the last record read in the current period (absent: a new period). */
  const position = new Map<number, number>();
  /** Per partition: the offset after the last record this member ever read of it. */
  const ownEnd = new Map<number, number>();
  for (const i of ids) {
    const op = ops[i] as GroupOp;
    if (op.outcome !== "ok" || op.call === "commit" || op.call === "leave") continue;
    const byPartition = new Map<number, number[]>();
    for (const r of op.records ?? []) {
      const list = byPartition.get(r.partition);
      if (list === undefined) byPartition.set(r.partition, [r.offset]);
      else list.push(r.offset);
    }
    for (const [p, offsets] of byPartition) {
      const skip: string[] = [];
      const back: string[] = [];
      const head = offsets[0]!;
      const at = position.get(p);
      if (at !== undefined) {
        if (head > at) skip.push(`jumped from ${at} to ${head} while owning p${p}`);
        else if (head < at) back.push(`went back from ${at} to ${head} without losing p${p}`);
      } else {
        const committed = committedBy(p, op.completeMs);
        const bound = Math.max(committed, ownEnd.get(p) ?? 0);
        if (head > bound) skip.push(`started p${p} at ${head}, after the highest offset committed by then (${committed}) and its own earlier reads (${ownEnd.get(p) ?? "none"})`);
      }
      for (let k = 1; k < offsets.length; k++) {
        if (offsets[k]! > offsets[k - 1]! + 1) skip.push(`records jump from ${offsets[k - 1]} to ${offsets[k]}`);
        else if (offsets[k]! <= offsets[k - 1]!) back.push(`records go from ${offsets[k - 1]} to ${offsets[k]}`);
      }
      const where = `${op.process} (member ${op.member}) poll op ${i} of p${p}`;
      if (skip.length > 0) anomalies.push({ kind: "poll_skip", partition: p, process: op.process, offset: head, detail: `${where}: ${skip.join("; ")}`, ops: [i] });
      if (back.length > 0) anomalies.push({ kind: "nonmonotonic_poll", partition: p, process: op.process, offset: head, detail: `${where}: ${back.join("; ")}`, ops: [i] });
      const end = offsets.at(-1)! + 1;
      position.set(p, end);
      ownEnd.set(p, Math.max(ownEnd.get(p) ?? 0, end));
    }
    // An answer without p ends the period (the server may drop this member's position of p).
    if (op.assignment !== undefined) {
      const assigned = new Set(op.assignment);
      for (const p of [...position.keys()]) if (!assigned.has(p)) position.delete(p);
    }
  }
}

/** Where one member provably owned each partition and was alive (see the header). */
function memberSpans(ops: Op[], member: string, ids: number[], sessionMs: number): Map<number, Span[]> {
  // Alive: from each ok join/heartbeat's completion to its invocation + the session timeout.
  const alive: [number, number][] = [];
  for (const i of ids) {
    const op = ops[i] as GroupOp;
    if (op.outcome === "ok" && (op.call === "join" || op.call === "heartbeat")) {
      const until = op.invokeMs + sessionMs - CLOCK_MARGIN_MS;
      if (until > op.completeMs) alive.push([op.completeMs, until]);
    }
  }
  alive.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of alive) {
    const last = merged.at(-1);
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }

  const out = new Map<number, Span[]>();
  const open = new Map<number, { startMs: number; op: number }>();
  const close = (p: number, endMs: number) => {
    const o = open.get(p);
    if (o === undefined) return;
    open.delete(p);
    for (const [s, e] of merged) {
      const from = Math.max(s, o.startMs);
      const to = Math.min(e, endMs);
      if (from >= to) continue;
      const list = out.get(p);
      const span: Span = { member, startMs: from, endMs: to, op: o.op };
      if (list === undefined) out.set(p, [span]);
      else list.push(span);
    }
  };
  // Requests in invocation order: each may end ownership at its invocation.
  const byInvoke = [...ids].sort((a, b) => (ops[a] as GroupOp).invokeMs - (ops[b] as GroupOp).invokeMs || a - b);
  const events: { ms: number; i: number; kind: "end" | "start" }[] = [];
  for (const i of byInvoke) events.push({ ms: (ops[i] as GroupOp).invokeMs, i, kind: "end" });
  for (const i of ids) events.push({ ms: (ops[i] as GroupOp).completeMs, i, kind: "start" });
  events.sort((a, b) => a.ms - b.ms || (a.kind === b.kind ? a.i - b.i : a.kind === "end" ? -1 : 1));
  for (const ev of events) {
    const op = ops[ev.i] as GroupOp;
    if (ev.kind === "end") {
      if (op.call === "leave" || (op.outcome === "fail" && REJOIN_CODES.has(op.error?.code ?? -1)))
        for (const p of [...open.keys()]) close(p, op.invokeMs);
      else if (op.call === "heartbeat") {
        const owned = new Set(op.owned ?? []);
        for (const p of [...open.keys()]) if (!owned.has(p)) close(p, op.invokeMs);
      }
    } else if (op.outcome === "ok" && op.assignment !== undefined && op.call !== "leave") {
      for (const p of op.assignment) if (!open.has(p)) open.set(p, { startMs: op.completeMs, op: ev.i });
    }
  }
  for (const p of [...open.keys()]) close(p, Number.POSITIVE_INFINITY);
  return out;
}
