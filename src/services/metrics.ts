/**
 * What Flarelog measures, and the `/metrics` scrape (Prometheus text exposition).
 *
 * Two kinds of number:
 * - Counters and histograms of this isolate (requests, latency, bytes, records produced and
 *   fetched, produce outcomes, throttle time), bumped by small hooks where the numbers arise:
 *   `countRequest` (the door's request middleware), `countProduced` and `countFetched` (the
 *   produce and fetch services), `countThrottled` (the route guard's 429). A hook is a Map update, no I/O and no await, so the produce path pays nothing
 *   measurable. They count the isolate that answers the scrape: a deployed Worker runs many
 *   isolates, so for fleet-wide request totals use the Analytics Engine binding
 *   (docs/observability.md); locally there is one isolate.
 * - Partition and group state read from the Durable Objects at scrape time (the coordinator's
 *   partition states, each leader's offsets and stored bytes, each group's committed offsets), so these are exact
 *   and cost nothing between scrapes. Lag is HW − committed, from the same read of the HW.
 *
 * Scope: a scrape shows the caller's tenant (`ServiceContext.tenant`); the root's scrape shows
 * every tenant's counters (`allTenants`). Concurrency: counters are touched synchronously.
 */
import type { Result } from "../protocol/errors.ts";
import { NO_LEADER } from "../protocol/types.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { CounterFamily, gauge, HistogramFamily, keyOfValues, sample, type Labels } from "./metrics-registry.ts";
import { must, settle } from "./result.ts";
import { listTopics, type TopicDescription } from "./topics.ts";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const isolate = {
  requests: new CounterFamily("flarelog_requests_total", "Requests answered, by door, route, method and status"),
  latency: new HistogramFamily("flarelog_request_duration_seconds", "Time from request to answer, by door and route", SECONDS),
  bytesIn: new CounterFamily("flarelog_request_bytes_total", "Request body bytes, by door and route"),
  bytesOut: new CounterFamily("flarelog_response_bytes_total", "Response body bytes of answers that declare their length (produce and fetch answers), by door and route"),
  recordsIn: new CounterFamily("flarelog_records_in_total", "Records appended at the leader, by topic and partition"),
  recordBytesIn: new CounterFamily("flarelog_record_bytes_in_total", "Record batch bytes appended at the leader, by topic and partition"),
  recordsOut: new CounterFamily("flarelog_records_out_total", "Records fetched by clients, by topic and partition"),
  recordBytesOut: new CounterFamily("flarelog_record_bytes_out_total", "Record batch bytes fetched by clients, by topic and partition"),
  produceOutcomes: new CounterFamily("flarelog_produce_total", "Partition appends by acks and outcome (ok or the Kafka error name)"),
  throttleMs: new CounterFamily("flarelog_throttle_time_ms_total", "Throttle time (ms) answered with 429 by quota (requests, produce_bytes, fetch_bytes)"),
  throttled: new CounterFamily("flarelog_throttled_requests_total", "Requests answered 429 by a rate quota, by quota"),
};

export interface RequestSample {
  tenant: string;
  door: string;
  route: string;
  method: string;
  status: number;
  ms: number;
  bytesIn: number;
  /** Null when the answer does not declare its length (small JSON answers). */
  bytesOut: number | null;
}

/** The request middleware's hook: one answered request. */
export function countRequest(r: RequestSample): void {
  // Keyed updates: a request of a known route allocates no label objects (the produce path
  // runs this once per request; issue 20 holds it to ≥ 0.97× of produce without metrics).
  const routeKey = keyOfValues(r.tenant, r.door, r.route);
  const route = () => ({ tenant: r.tenant, door: r.door, route: r.route });
  const status = String(r.status);
  isolate.requests.incKeyed(keyOfValues(routeKey, r.method, status), () => ({ ...route(), method: r.method, status }));
  isolate.latency.observeKeyed(routeKey, route, r.ms / 1000);
  if (r.bytesIn > 0) isolate.bytesIn.incKeyed(routeKey, route, r.bytesIn);
  if (r.bytesOut !== null && r.bytesOut > 0) isolate.bytesOut.incKeyed(routeKey, route, r.bytesOut);
}

/** The produce service's hook: one append at a partition's leader and its outcome. */
export function countProduced(
  tenant: string,
  topic: string,
  partition: number,
  append: { records: number; bytes: number; acks: number; outcome: string },
): void {
  const acks = String(append.acks);
  isolate.produceOutcomes.incKeyed(keyOfValues(tenant, topic, acks, append.outcome), () => ({ tenant, topic, acks, outcome: append.outcome }));
  if (append.outcome !== "ok") return;
  const p = String(partition);
  const key = keyOfValues(tenant, topic, p);
  const where = () => ({ tenant, topic, partition: p });
  isolate.recordsIn.incKeyed(key, where, append.records);
  isolate.recordBytesIn.incKeyed(key, where, append.bytes);
}

/** The fetch service's hook: what one fetch handed to a client. */
export function countFetched(tenant: string, topic: string, partition: number, records: number, bytes: number): void {
  if (records === 0) return;
  const p = String(partition);
  const key = keyOfValues(tenant, topic, p);
  const where = () => ({ tenant, topic, partition: p });
  isolate.recordsOut.incKeyed(key, where, records);
  isolate.recordBytesOut.incKeyed(key, where, bytes);
}

/**
 * The route guard's hook: one request answered 429 by a rate quota (`requests_per_s`,
 * `produce_bytes_per_s`, `fetch_bytes_per_s`) with its `throttle_time_ms` (Kafka's
 * throttle-time metrics). The label drops the `_per_s` of the quota's name.
 */
export function countThrottled(tenant: string, quota: string, throttleTimeMs: number): void {
  const where = { tenant, quota: quota.replace(/_per_s$/, "") };
  isolate.throttled.inc(where);
  isolate.throttleMs.inc(where, throttleTimeMs);
}

export interface ScrapeScope {
  /** The root's scrape: every tenant's counters (partition state is still the context's tenant's). */
  allTenants: boolean;
}

/** The exposition text for `ctx.tenant` (and, for the root, every tenant's counters). */
export function scrapeMetrics(ctx: ServiceContext, scope: ScrapeScope): Promise<Result<string>> {
  return settle(async () => {
    const started = Date.now();
    const cluster = Cluster.of(ctx);
    const topics = must(await listTopics(ctx));
    const groups = await groupLines(cluster, topics);
    const keep = (l: Labels) => scope.allTenants || l.tenant === ctx.tenant;
    const lines = [
      ...Object.values(isolate).flatMap((f) => f.render(keep)),
      ...partitionLines(ctx.tenant, topics),
      ...groups,
      "# HELP flarelog_scrape_duration_seconds Time this scrape took to read the Durable Objects",
      "# TYPE flarelog_scrape_duration_seconds gauge",
      sample("flarelog_scrape_duration_seconds", { tenant: ctx.tenant }, (Date.now() - started) / 1000),
    ];
    return `${lines.join("\n")}\n`;
  });
}

type Pairs = [Labels, number][];

/** Per-partition gauges and the tenant's totals, from one description of every topic. */
export function partitionLines(tenant: string, topics: readonly TopicDescription[]): string[] {
  const g: Record<string, Pairs> = {
    log_start_offset: [], high_watermark: [], log_end_offset: [], leader: [], leader_epoch: [],
    partition_epoch: [], replicas: [], isr: [], under_replicated: [], offline: [],
  };
  const stored: Pairs = [];
  let underReplicated = 0;
  let offline = 0;
  for (const t of topics) {
    for (const p of t.partitions) {
      const l = { tenant, topic: t.meta.name, partition: String(p.partition) };
      if (p.offsets) {
        stored.push([{ ...l, replica: String(p.leader) }, p.offsets.storedBytes]);
        g.log_start_offset!.push([l, p.offsets.logStartOffset]);
        g.high_watermark!.push([l, p.offsets.highWatermark]);
        g.log_end_offset!.push([l, p.offsets.logEndOffset]);
      }
      const under = p.isr.length < p.replicas.length ? 1 : 0;
      const noLeader = p.leader === NO_LEADER ? 1 : 0;
      underReplicated += under;
      offline += noLeader;
      g.leader!.push([l, p.leader]);
      g.leader_epoch!.push([l, p.leaderEpoch]);
      g.partition_epoch!.push([l, p.partitionEpoch]);
      g.replicas!.push([l, p.replicas.length]);
      g.isr!.push([l, p.isr.length]);
      g.under_replicated!.push([l, under]);
      g.offline!.push([l, noLeader]);
    }
  }
  return [
    ...Object.entries(g).flatMap(([k, v]) => gauge(`flarelog_partition_${k}`, PARTITION_HELP[k]!, v)),
    ...gauge("flarelog_partition_storage_bytes", "Bytes of record batches stored in the leader replica's log (each in-sync replica holds about as much)", stored),
    ...gauge("flarelog_under_replicated_partitions", "Partitions whose ISR is smaller than their replica set", [[{ tenant }, underReplicated]]),
    ...gauge("flarelog_offline_partitions", "Partitions with no leader (no live in-sync replica)", [[{ tenant }, offline]]),
    ...gauge("flarelog_topics", "Topics", [[{ tenant }, topics.length]]),
    ...gauge("flarelog_storage_bytes", "Bytes stored in the leader replicas' logs of the tenant's partitions (× RF for every replica)", [[{ tenant }, stored.reduce((sum, [, v]) => sum + v, 0)]]),
  ];
}

const PARTITION_HELP: Record<string, string> = {
  log_start_offset: "The leader's log start offset (absent when the leader cannot be read)",
  high_watermark: "The leader's high watermark: the first offset not yet committed to the ISR",
  log_end_offset: "The leader's log end offset: the offset the next record gets",
  leader: "The leader's replica id (-1: none)",
  leader_epoch: "The leader epoch; it rises by one at every leader election (increase() counts elections)",
  partition_epoch: "The partition epoch; it rises at every ISR shrink or expand and every election",
  replicas: "Replicas assigned",
  isr: "In-sync replicas",
  under_replicated: "1 when the ISR is smaller than the replica set",
  offline: "1 when the partition has no leader",
};

/** Each group's members and, per committed partition, its offset and lag (HW − committed). */
async function groupLines(cluster: Cluster, topics: readonly TopicDescription[]): Promise<string[]> {
  const tenant = cluster.tenant;
  const hw = new Map<string, number>();
  for (const t of topics)
    for (const p of t.partitions) if (p.offsets) hw.set(`${t.meta.name}\u0000${p.partition}`, p.offsets.highWatermark);
  const ids = must(await call(async () => ({ ok: true as const, value: await cluster.coordinator().listGroups() })));
  const described = await Promise.all(ids.map((id) => call(async () => cluster.group(id).describe())));
  const members: Pairs = [];
  const committed: Pairs = [];
  const lag: Pairs = [];
  described.forEach((d, i) => {
    if (!d.ok) return; // deleted since the registry was read
    members.push([{ tenant, group: ids[i]! }, d.value.members.length]);
    for (const o of d.value.offsets) {
      const l = { tenant, group: ids[i]!, topic: o.topic, partition: String(o.partition) };
      committed.push([l, o.offset]);
      const h = hw.get(`${o.topic}\u0000${o.partition}`);
      if (h !== undefined) lag.push([l, Math.max(0, h - o.offset)]);
    }
  });
  return [
    ...gauge("flarelog_group_members", "Members of a consumer group", members),
    ...gauge("flarelog_group_committed_offset", "A group's committed offset per partition", committed),
    ...gauge("flarelog_group_lag", "A group's lag per partition: high watermark minus committed offset", lag),
  ];
}
