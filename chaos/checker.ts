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
 * `check` composes one pass per anomaly family, each in chaos/checks/: the facts every rule
 * reads, collected in one pass over the ops (facts.ts); per value: lost, unseen, duplicate,
 * aborted read (values.ts); inconsistent offsets (offsets.ts); consumers' polls (polls.ts);
 * producers' offsets and, idempotent only, their order (sends.ts); the group rules
 * (chaos/group-checker.ts); fail-over times (failover.ts). The anomalies come in that order.
 *
 * Linear in the number of ops and values (Maps keyed by value and by offset). Erasable TypeScript.
 * Called by chaos/run.ts after a run and by chaos/check.ts on a saved history.
 */
import { collectFacts, type Counts } from "./checks/facts.ts";
import { failoverTimes } from "./checks/failover.ts";
import { inconsistentOffsets } from "./checks/offsets.ts";
import { pollAnomalies } from "./checks/polls.ts";
import { reorderedValues, sendOffsetAnomalies } from "./checks/sends.ts";
import { valueAnomalies } from "./checks/values.ts";
import { checkGroups, type GroupStats } from "./group-checker.ts";
import type { History, Report } from "./history.ts";

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

export function check(history: History): CheckResult {
  const facts = collectFacts(history);
  const anomalies: Anomaly[] = [
    ...valueAnomalies(facts),
    ...inconsistentOffsets(facts),
    ...pollAnomalies(facts),
    ...sendOffsetAnomalies(facts),
    ...(history.idempotent === true ? reorderedValues(facts) : []),
  ];
  const isAcked = (v: string): boolean => (facts.values.get(v)?.offset ?? -1) >= 0;
  const groupStats = history.groups === true ? checkGroups(history, facts.plainReads, isAcked, anomalies) : undefined;
  const failovers = failoverTimes(facts);
  const result: CheckResult = {
    report: report(history, facts.counts, anomalies, failovers, groupStats),
    anomalies,
    failovers,
  };
  if (groupStats !== undefined) result.groups = groupStats;
  return result;
}

/** The counters and `valid` (issue 4; with acks "1", lost and unseen are reported but allowed). */
function report(
  history: History,
  c: Counts,
  anomalies: Anomaly[],
  failovers: Failover[],
  groupStats?: GroupStats,
): Report {
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
  const groupAnomalies = count("undelivered") + count("double_owned");
  const strict = duplicates + inconsistentOffsets + abortedReads + nonmonotonic + reordered + groupAnomalies === 0;
  const times = failovers.flatMap((f) => (f.ms === null ? [] : [f.ms])).sort((a, b) => a - b);
  return {
    seed: history.seed,
    idempotent: history.idempotent === true,
    ops: c.ok + c.fail + c.info,
    ok: c.ok,
    fail: c.fail,
    info: c.info,
    acked: c.acked,
    lost,
    unseen,
    duplicates,
    inconsistent_offsets: inconsistentOffsets,
    aborted_reads: abortedReads,
    nonmonotonic,
    reordered,
    retries: c.retries,
    producer_resets: c.resets,
    groups: history.groups === true,
    undelivered: groupStats?.undelivered ?? 0,
    redelivered: groupStats?.redelivered ?? 0,
    rebalances: groupStats?.rebalances ?? 0,
    double_owned: groupStats?.doubleOwned ?? 0,
    availability: c.sends === 0 ? 0 : Math.round((c.okSends / c.sends) * 1000) / 1000,
    failover_ms_p50: times.length === 0 ? null : (times[Math.ceil(times.length / 2) - 1] as number),
    failover_ms_max: times.length === 0 ? null : (times[times.length - 1] as number),
    valid: history.acks === "1" ? strict : strict && lost + unseen === 0,
  };
}

/** The summary table (plain text) printed before the report's JSON line. */
export function formatSummary(result: CheckResult, examplesPerKind = 5): string {
  const r = result.report;
  const withoutSend = result.failovers.filter((f) => f.ms === null).length;
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
    ["leader fail-overs", `${result.failovers.length} (${withoutSend} without a later ok send)`],
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
