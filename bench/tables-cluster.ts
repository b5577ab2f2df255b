/**
 * The replication and consumer-group sections of the tables `npm run bench` prints
 * (`replicationTables`, `groupsTables`; called by `printTables` in bench/tables.ts): produce by
 * replication factor, leader fail-over and follower offline rounds, the steady producer's
 * integrity, and group rebalance times and group consume throughput.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { GroupsResult } from "./groups.ts";
import { formatNumber, table } from "./harness.ts";
import { PRODUCE_BATCH, VALUE_BYTES } from "./http.ts";
import type { ReplicationResult } from "./replication.ts";

/** Error counts as "2× timeout, 1× 503", "-" when there were none. */
const errs = (e: Record<string, number>): string =>
  Object.entries(e)
    .map(([k, n]) => `${n}× ${k}`)
    .join(", ") || "-";

export function replicationTables(x: ReplicationResult): string[] {
  const s = x.steady_producer;
  const g = x.integrity;
  return [
    ...replicationProduceTable(x),
    ...failoverTable(x.failover),
    ...followerTable(x.follower_offline),
    `Steady producer: ${formatNumber(s.requests)} requests, ${formatNumber(s.succeeded)} acked ` +
      `(p50 ${s.latency_ok.p50_ms} ms, p99 ${s.latency_ok.p99_ms} ms), errors: ${errs(s.errors)}`,
    `Read back ${formatNumber(g.records_read)} records (HW ${formatNumber(g.high_watermark)}): ` +
      `${g.acked_records_lost} acked records lost, ${g.values_written_twice} values written twice, ` +
      `failed requests written anyway: ${errs(g.failed_but_written)}`,
    ...g.examples.map((e) => `  written twice: ${e}`),
    "",
  ];
}

function replicationProduceTable(x: ReplicationResult): string[] {
  const p0 = x.produce[0];
  if (!p0) return [];
  return [
    `Replication — produce: ${p0.records_per_request} records × ${p0.value_bytes} B per request, 1 partition, ` +
      `RF 3 with min.insync.replicas 2, ${p0.rounds} interleaved rounds`,
    table(
      [
        "RF", "acks", "conc", "requests", "records/s", "vs RF 1", "MB/s values", "req/s",
        "p50 ms", "p90 ms", "p99 ms", "workerd CPU ms/req",
      ],
      x.produce.map((p) => [
        p.replication_factor,
        p.acks,
        p.concurrency,
        p.requests,
        p.records_per_s,
        `${p.relative_to_rf1_acks1.toFixed(2)}×`,
        p.payload_mb_per_s,
        p.requests_per_s,
        p.latency.p50_ms,
        p.latency.p90_ms,
        p.latency.p99_ms,
        p.workerd_cpu_ms_per_request ?? "?",
      ]),
    ),
    "",
  ];
}

function failoverTable(f: ReplicationResult["failover"]): string[] {
  if (f.rounds.length === 0) return [];
  const inFlight = (r: (typeof f.rounds)[number]): string => {
    if (r.in_flight === null) return "-";
    const ms = `${formatNumber(r.in_flight.ms)} ms`;
    return r.in_flight.ok ? `ok ${ms}` : `${r.in_flight.error} ${ms}`;
  };
  return [
    `Replication — leader offline under a steady acks=all load (sequential producer, ${PRODUCE_BATCH} × ` +
      `${VALUE_BYTES} B): ${f.rounds.length} rounds`,
    table(
      [
        "round", "leader", "epoch", "offline call ms", "fail-over ms", "failed before success", "in-flight request",
        "online call ms", "behind", "ISR expand ms", "polls",
      ],
      f.rounds.map((r) => [
        r.round + 1,
        `${r.old_leader} → ${r.new_leader}`,
        `${r.old_epoch} → ${r.new_epoch}`,
        r.offline_call_ms,
        r.failover_ms ?? "none",
        errs(r.errors_before_success),
        inFlight(r),
        r.online_call_ms,
        r.records_behind ?? "?",
        r.isr_expand_ms ?? "never",
        r.isr_polls,
      ]),
    ),
    `fail-over p50 ${f.failover_ms.p50_ms} ms, max ${f.failover_ms.max_ms} ms; ` +
      `offline call p50 ${f.offline_call_ms.p50_ms} ms, max ${f.offline_call_ms.max_ms} ms; ` +
      `ISR expand after online p50 ${f.isr_expand_ms.p50_ms} ms, max ${f.isr_expand_ms.max_ms} ms ` +
      `(online call p50 ${f.online_call_ms.p50_ms} ms)`,
    "behind: records the partition took while the replica was offline; " +
      "polls: describes until the ISR showed 3 members (1: the first already did)",
    "",
  ];
}

function followerTable(fo: ReplicationResult["follower_offline"]): string[] {
  if (fo.rounds.length === 0) return [];
  return [
    `Replication — follower offline (admin) under the same load: ${fo.rounds.length} rounds`,
    table(
      [
        "round", "leader", "follower", "offline call ms", "ISR in answer", "ISR described after",
        "producer errors", "online call ms", "behind", "ISR expand ms", "polls",
      ],
      fo.rounds.map((r) => [
        r.round + 1,
        r.leader,
        r.follower,
        r.offline_call_ms,
        `[${r.isr_in_answer.join(",")}]`,
        `[${r.isr_described_after.join(",")}]`,
        errs(r.producer_errors),
        r.online_call_ms,
        r.records_behind ?? "?",
        r.isr_expand_ms ?? "never",
        r.isr_polls,
      ]),
    ),
    `ISR shrink (offline call) p50 ${fo.offline_call_ms.p50_ms} ms, max ${fo.offline_call_ms.max_ms} ms; ` +
      `ISR expand after online p50 ${fo.isr_expand_ms.p50_ms} ms, max ${fo.isr_expand_ms.max_ms} ms ` +
      `(online call p50 ${fo.online_call_ms.p50_ms} ms)`,
    "",
  ];
}

/** Whole milliseconds from 100 ms up, so a column does not mix "2218" and "2,952". */
const ms = (v: number): number => (v >= 100 ? Math.round(v) : v);

export function groupsTables(x: GroupsResult): string[] {
  return [...leaveTable(x), ...crashTable(x), ...consumeTable(x)];
}

/**
 * A rebalance table's two rows, survivors heartbeating at the interval (random phase) and back to
 * back: the label, the rounds, the variant's `figures`, then every round's `time`.
 */
function variantRows<V extends { rounds: unknown[] }>(
  x: { heartbeat_interval_ms: number; interval: V; continuous: V },
  figures: (v: V) => number[],
  time: (r: V["rounds"][number]) => number,
): (string | number)[][] {
  const row = (v: V, label: string) => [
    label,
    v.rounds.length,
    ...figures(v),
    v.rounds.map((r) => formatNumber(ms(time(r)))).join(", "),
  ];
  return [row(x.interval, `every ${x.heartbeat_interval_ms} ms, random phase`), row(x.continuous, "back to back")];
}

function leaveTable(x: GroupsResult): string[] {
  const figures = (v: GroupsResult["leave"]["interval"]) => [
    ms(v.rebalance_ms.p50_ms),
    ms(v.rebalance_ms.max_ms),
    v.delete_ms.p50_ms,
  ];
  return [
    `Consumer groups — rebalance after a leave: ${x.members} members, ${x.partitions} partitions, ` +
      `${x.assignor} assignor, session ${x.leave.session_timeout_ms} ms (server default), ` +
      `heartbeat_interval_ms ${x.leave.heartbeat_interval_ms}`,
    table(
      ["survivors heartbeat", "rounds", "p50 ms", "max ms", "DELETE p50 ms", "all rounds, ms"],
      variantRows(x.leave, figures, (r) => r.rebalance_ms),
    ),
    "rebalance: DELETE sent → the two survivors' heartbeat answers own all partitions",
    "",
  ];
}

function crashTable(x: GroupsResult): string[] {
  const figures = (v: GroupsResult["crash"]["interval"]) => [
    ms(v.total_ms.p50_ms),
    ms(v.total_ms.max_ms),
    ms(v.beyond_session_ms.p50_ms),
    ms(v.beyond_session_ms.max_ms),
  ];
  return [
    "Consumer groups — rebalance after a crash (member stops heartbeating): " +
      `session_timeout_ms ${x.crash.session_timeout_ms}, heartbeat_interval_ms ${x.crash.heartbeat_interval_ms}`,
    table(
      [
        "survivors heartbeat", "rounds", "total p50 ms", "total max ms", "beyond session p50 ms", "beyond max ms",
        "all rounds, ms",
      ],
      variantRows(x.crash, figures, (r) => r.total_ms),
    ),
    "total: the victim's last heartbeat answer → the survivors' answers own all partitions; " +
      "beyond = total − session timeout",
    "",
  ];
}

function consumeTable(x: GroupsResult): string[] {
  const c = x.consume;
  return [
    `Consumer groups — consume: ${formatNumber(c.records)} records × ${c.value_bytes} B ` +
      `on ${c.partitions} partitions ` +
      `(RF 1), max_records=${c.max_records}; plain = one consumer, partition fetch endpoint, round-robin, ` +
      `1 request in flight; group = ${x.members} members polling in parallel, commit after each poll`,
    table(
      [
        "round", "mode", "records/s", "requests", "empty", "p50 ms", "p99 ms", "commit p50 ms", "missing",
        "duplicates", "wrong values", "workerd CPU ms/1000 rec",
      ],
      c.runs.map((r) => [
        r.round + 1,
        r.mode,
        r.records_per_s,
        r.requests,
        r.empty_requests,
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.commit_latency?.p50_ms ?? "-",
        r.missing,
        r.duplicates,
        r.wrong_values,
        r.workerd_cpu_ms_per_1000_records ?? "?",
      ]),
    ),
    `plain ${formatNumber(c.plain_records_per_s)} records/s, group ${formatNumber(c.group_records_per_s)} records/s: ` +
      `group ÷ plain ${c.ratio}×; fill ${c.fill.elapsed_s} s = ${formatNumber(c.fill.records_per_s)} records/s ` +
      `(${c.fill.records_per_request} per request, concurrency ${c.fill.concurrency})`,
    "",
  ];
}
