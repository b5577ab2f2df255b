/**
 * The end-to-end latency workload (OpenMessaging Benchmark's "end-to-end latency": the time from
 * the producer sending a record to a consumer receiving it), measured against the local server
 * through the HTTP API (docs/benchmarks.md, "End-to-end latency").
 *
 * - One topic with 1 partition per configuration: RF 1 with acks=1, and RF 3
 *   (min.insync.replicas 2) with acks=all.
 * - An open-loop producer at a fixed rate: request i is due at `start + i / rate`, an absolute
 *   schedule, so a slow answer does not lower the rate (several requests may be in flight). A
 *   send that starts more than `LATE_MS` after its due time counts as late. Each request's
 *   records carry its sequence number (and the record's index) in the value; the producer keeps
 *   sequence → send time (`performance.now()` just before the request) in this process, so no
 *   clocks are compared across processes.
 * - One consumer in the same process long-polls the partition endpoint from offset 0
 *   (`wait_ms`, each request from the previous answer's `next_offset`); for each record
 *   received, latency = answer parsed − its request's send time.
 * - The first `e2eWarmupMs` of sends are not measured (their records are still checked). After
 *   the producer stops, the consumer drains until every acknowledged record arrived (capped);
 *   each record must arrive exactly once, else the run fails.
 * - The target's ablation (`e2eAblation`): the RF 3 workload and the same workload against the
 *   floor worker's own produce → commit → long-poll pipeline, in alternating rounds.
 *
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { headline, KAFKA_COLUMNS, summarize, table, type Headline, type LatencySummary } from "./harness.ts";
import { startFloor } from "./floor.ts";
import { platformHop } from "./platform-hop.ts";
import { call, createTopic, expectStatus, VALUE_BYTES, type Http } from "./http.ts";

export interface E2eConfig {
  /** Measured producer time per configuration (after the warm-up). */
  e2eDurationMs: number;
  /** Unmeasured producer time before it, at the same rate. */
  e2eWarmupMs: number;
  /** Produce requests per second (open loop). */
  e2eRequestsPerSecond: number;
  e2eRecordsPerRequest: number;
  /** The consumer's long-poll `wait_ms` (the API's maximum is 30 000). */
  e2eWaitMs: number;
  /** After the producer stopped: how long the consumer may take to receive the rest. */
  e2eDrainCapMs: number;
  /** Also run RF 3, acks=all (min.insync.replicas 2). */
  e2eReplicated: boolean;
}

/** A send that starts later than this after its due time counts as late. */
const LATE_MS = 5;
/** The consumer's `max_records` per long poll. */
const MAX_RECORDS = 500;

export interface E2eRun {
  topic: string;
  replication_factor: number;
  acks: string;
  min_insync_replicas: number | null;
  records_per_request: number;
  value_bytes: number;
  wait_ms: number;
  duration_s: number;
  warmup_s: number;
  target_requests_per_s: number;
  target_records_per_s: number;
  /** Measured window only (warm-up excluded). */
  requests: number;
  records: number;
  records_per_s: number;
  requests_per_s: number;
  /** Record values only, 10^6 bytes per second, at the achieved rate. */
  payload_mb_per_s: number;
  /** Sends (warm-up included) that started more than late_threshold_ms after their due time. */
  late_sends: number;
  late_threshold_ms: number;
  max_lateness_ms: number;
  max_in_flight: number;
  /** Send → received by the consumer, per record of the measured window. */
  latency: LatencySummary;
  /** Send → produce answer, per request of the measured window. */
  produce_latency: LatencySummary;
  /** All consumer requests (warm-up and drain included). */
  fetch_requests: number;
  empty_fetches: number;
  /** Records received per non-empty fetch, mean. */
  records_per_fetch: number;
  /** Producer stopped → the consumer had every record. */
  drain_ms: number;
  missing: number;
  duplicates: number;
}

export interface E2eResult {
  runs: E2eRun[];
  /** The platform's Worker → DO → DO round trip at the same rate (bench/platform-hop.ts), same run. */
  platform_hop?: LatencySummary;
  /** The RF 3 acks=all run's e2e p99 ÷ the platform hop's p99 (target ≤ 2). */
  rf3_p99_ratio?: number;
  /** The same hop on the e2e producer's open-loop schedule (several in flight when one is slow), same run. */
  platform_hop_open?: LatencySummary;
  /** The RF 3 acks=all run's e2e p99 ÷ the open-loop hop's p99. */
  rf3_p99_ratio_open?: number;
  /** The e2e target's ablation (`e2eAblation`), same run. */
  ablation?: E2eAblation;
}

/**
 * The e2e target's ablation in the same rounds: the RF 3 acks=all workload against Flarelog and
 * the same workload against the floor's own produce → commit → long-poll pipeline
 * (`floorE2eRun`), alternating for `rounds` rounds of e2eDurationMs ÷ rounds each (after their
 * own warm-up), every round's measured records pooled per side, so both sides meet the same
 * moments of the machine.
 */
export interface E2eAblation {
  rounds: number;
  round_duration_s: number;
  /** Send → received, Flarelog RF 3 acks=all (a fresh topic per round). */
  flarelog_rf3: LatencySummary;
  /** Send → received, the floor's pipeline (a fresh object per round). */
  floor_pipeline: LatencySummary;
  /** Send → produce answer, the floor's pipeline. */
  floor_pipeline_produce: LatencySummary;
  /** floor_pipeline p99 ÷ the hop's p99 (one at a time): the ≤ 2 target, for the platform itself. */
  floor_over_hop_p99: number;
  /** flarelog_rf3 p99 ÷ floor_pipeline p99: what Flarelog adds to the platform's own e2e tail. */
  flarelog_over_floor_p99: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
const r2 = (v: number) => Number(v.toFixed(2));

/** A value of exactly VALUE_BYTES ASCII characters that starts with `seq:index:`. */
function recordValue(seq: number, index: number): string {
  const head = `${seq}:${index}:`;
  return head + "x".repeat(Math.max(0, VALUE_BYTES - head.length));
}

interface FetchAnswer {
  records: { offset: number; value: string | null }[];
  next_offset: number;
}

/** Per-request times (performance.now ms) of one run, for bench/e2e-tail.ts's timeline. */
export interface E2eTrace {
  /** Measured produce requests: sent, answered. */
  produce: { t0: number; t1: number }[];
  /** Consumer fetches that returned records: sent, answered, and the oldest record's send time. */
  fetches: { t0: number; t1: number; oldestSend: number }[];
}

/**
 * The two requests of an e2e run against one server: Flarelog's HTTP API (`e2eRun`), or the
 * floor's own produce → commit → long poll (`floorE2eRun`).
 */
export interface E2eTarget {
  /** What failures name. */
  label: string;
  /** Sends one produce request's JSON body; resolves once it is answered and its answer checked. */
  produce(body: string): Promise<void>;
  /** One long poll from `offset`: the record values received in order, and where the next poll starts. */
  poll(offset: number): Promise<{ values: string[]; next: number }>;
}

/** Everything of an `E2eRun` but its topic's settings: one run of the open-loop producer and the consumer. */
export type E2eMeasured = Omit<E2eRun, "topic" | "replication_factor" | "acks" | "min_insync_replicas">;

/**
 * One configuration's run; `trace`, when given, receives every request's times, `latencies`
 * every measured record's send → received.
 */
export async function e2eRun(
  http: Http,
  client: FlarelogClient,
  cfg: E2eConfig,
  opts: { rf: number; acks: string; minIsr: number | null; topic?: string },
  log: (line: string) => void,
  trace?: E2eTrace,
  latencies?: number[],
): Promise<E2eRun> {
  const topic = opts.topic ?? `bench-e2e-rf${opts.rf}-acks${opts.acks}`;
  await createTopic(client, topic, { replication_factor: opts.rf, ...(opts.minIsr === null ? {} : { configs: { "min.insync.replicas": String(opts.minIsr) } }) });
  const perRequest = cfg.e2eRecordsPerRequest;
  const target: E2eTarget = {
    label: topic,
    async produce(body) {
      const r = await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=${opts.acks}`, body);
      expectStatus(`produce to ${topic}`, r, 200);
      const { offsets } = JSON.parse(r.text) as { offsets: { offset?: number }[] };
      if (offsets.length !== perRequest || offsets.some((o) => o.offset === undefined)) throw new Error(`produce to ${topic}: ${r.text.slice(0, 300)}`);
    },
    async poll(offset) {
      const r = await call(http, "GET", `/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_records=${MAX_RECORDS}&wait_ms=${cfg.e2eWaitMs}`);
      expectStatus(`fetch ${topic}@${offset}`, r, 200);
      const body = JSON.parse(r.text) as FetchAnswer;
      if (body.records.length !== 0 && body.records[0]!.offset !== offset) throw new Error(`fetch ${topic}@${offset}: first record at ${body.records[0]!.offset}`);
      return { values: body.records.map((rec) => rec.value ?? ""), next: body.next_offset };
    },
  };
  const measured = await e2eLoop(cfg, target, trace, latencies);
  const run: E2eRun = { topic, replication_factor: opts.rf, acks: opts.acks, min_insync_replicas: opts.minIsr, ...measured };
  log(
    `  e2e RF ${opts.rf} acks=${opts.acks}: ${run.records_per_s} records/s (target ${run.target_records_per_s}, ${run.late_sends} late sends), ` +
      `e2e p50 ${run.latency.p50_ms} ms p99 ${run.latency.p99_ms} ms, produce p50 ${run.produce_latency.p50_ms} ms, ` +
      `${run.fetch_requests} fetches (${run.empty_fetches} empty), missing ${run.missing}, duplicates ${run.duplicates}`,
  );
  return run;
}

/**
 * The open-loop producer and the long-polling consumer against `target` (the module comment);
 * throws when a record is missing or came twice after the drain. `latencies`, when given,
 * receives every measured record's send → received; `produceLatencies` every measured request's
 * send → answer.
 */
export async function e2eLoop(
  cfg: E2eConfig,
  target: E2eTarget,
  trace?: E2eTrace,
  latencies?: number[],
  produceLatencies: number[] = [],
): Promise<E2eMeasured> {
  const perRequest = cfg.e2eRecordsPerRequest;
  const intervalMs = 1000 / cfg.e2eRequestsPerSecond;
  const totalRequests = Math.round(((cfg.e2eWarmupMs + cfg.e2eDurationMs) / 1000) * cfg.e2eRequestsPerSecond);
  const warmupRequests = Math.round((cfg.e2eWarmupMs / 1000) * cfg.e2eRequestsPerSecond);

  const sendTimes: number[] = [];
  const firstProduce = produceLatencies.length;
  /** Per record (seq × perRequest + index): received yet. */
  const seen = new Uint8Array(totalRequests * perRequest);
  const e2e = latencies ?? [];
  const firstE2e = e2e.length;
  let ackedRecords = 0;
  let received = 0;
  let duplicates = 0;
  let producerDone = false;
  let producerError: unknown = null;
  let consumerError: unknown = null;
  let late = 0;
  let maxLateness = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let fetches = 0;
  let empty = 0;
  let measureStart = 0;
  let measureEnd = 0;
  let producerEnd = 0;

  // Consumer: long-polls from offset 0 until the producer is done and every acked record arrived.
  const consumer = (async () => {
    let offset = 0;
    let drainDeadline = Number.POSITIVE_INFINITY;
    for (;;) {
      if (producerError !== null) return;
      if (producerDone) {
        if (received >= ackedRecords) return;
        if (drainDeadline === Number.POSITIVE_INFINITY) drainDeadline = producerEnd + cfg.e2eDrainCapMs;
        if (performance.now() > drainDeadline) return;
      }
      const asked = performance.now();
      const { values, next } = await target.poll(offset);
      const now = performance.now();
      let oldestSend = Number.POSITIVE_INFINITY;
      fetches++;
      if (values.length === 0) empty++;
      for (const v of values) {
        const [seqText, indexText] = v.split(":", 2);
        const seq = Number(seqText);
        const index = Number(indexText);
        if (!Number.isInteger(seq) || seq < 0 || seq >= totalRequests || sendTimes[seq] === undefined || !Number.isInteger(index) || index < 0 || index >= perRequest)
          throw new Error(`fetch ${target.label}@${offset}: unexpected value ${v.slice(0, 40)}`);
        const key = seq * perRequest + index;
        if (seen[key] !== 0) {
          duplicates++;
          continue;
        }
        seen[key] = 1;
        received++;
        if (seq >= warmupRequests) e2e.push(now - sendTimes[seq]!);
        oldestSend = Math.min(oldestSend, sendTimes[seq]!);
      }
      if (trace && oldestSend !== Number.POSITIVE_INFINITY) trace.fetches.push({ t0: asked, t1: now, oldestSend });
      offset = next;
    }
  })();
  // Handled at once (awaited below), so a failed fetch stops the producer instead of being an unhandled rejection.
  consumer.catch((e: unknown) => {
    consumerError = e;
  });

  // Producer: open loop on an absolute schedule.
  const bodies = (seq: number) => JSON.stringify({ records: Array.from({ length: perRequest }, (_, i) => ({ value: recordValue(seq, i) })) });
  const pending = new Set<Promise<void>>();
  const start = performance.now() + 50;
  for (let seq = 0; seq < totalRequests && producerError === null && consumerError === null; seq++) {
    const due = start + seq * intervalMs;
    const body = bodies(seq);
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const t0 = performance.now();
    const lateness = t0 - due;
    if (lateness > LATE_MS) late++;
    maxLateness = Math.max(maxLateness, lateness);
    if (seq === warmupRequests) measureStart = t0;
    sendTimes[seq] = t0;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const p = (async () => {
      try {
        await target.produce(body);
        const ms = performance.now() - t0;
        if (seq >= warmupRequests) produceLatencies.push(ms);
        if (seq >= warmupRequests) trace?.produce.push({ t0, t1: t0 + ms });
        ackedRecords += perRequest;
      } catch (e) {
        producerError ??= e;
      } finally {
        inFlight--;
      }
    })();
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  // The measured window ends when the next request would have been due.
  measureEnd = Math.max(performance.now(), start + totalRequests * intervalMs);
  await Promise.all(pending);
  producerEnd = performance.now();
  producerDone = true;
  await consumer;
  if (producerError !== null) throw producerError;
  const drainMs = performance.now() - producerEnd;

  const measuredRequests = totalRequests - warmupRequests;
  const measuredRecords = measuredRequests * perRequest;
  const windowS = (measureEnd - measureStart) / 1000;
  const missing = totalRequests * perRequest - received;
  const nonEmpty = fetches - empty;
  if (missing !== 0 || duplicates !== 0)
    throw new Error(`e2e ${target.label}: ${missing} records missing, ${duplicates} duplicates after a ${cfg.e2eDrainCapMs} ms drain`);
  return {
    records_per_request: perRequest,
    value_bytes: VALUE_BYTES,
    wait_ms: cfg.e2eWaitMs,
    duration_s: r2(windowS),
    warmup_s: cfg.e2eWarmupMs / 1000,
    target_requests_per_s: cfg.e2eRequestsPerSecond,
    target_records_per_s: cfg.e2eRequestsPerSecond * perRequest,
    requests: measuredRequests,
    records: measuredRecords,
    records_per_s: Math.round(measuredRecords / windowS),
    requests_per_s: Number((measuredRequests / windowS).toFixed(1)),
    payload_mb_per_s: r2((measuredRecords * VALUE_BYTES) / 1e6 / windowS),
    late_sends: late,
    late_threshold_ms: LATE_MS,
    max_lateness_ms: r2(maxLateness),
    max_in_flight: maxInFlight,
    latency: summarize(e2e.slice(firstE2e)),
    produce_latency: summarize(produceLatencies.slice(firstProduce)),
    fetch_requests: fetches,
    empty_fetches: empty,
    records_per_fetch: r2(received / Math.max(1, nonEmpty)),
    drain_ms: r2(drainMs),
    missing,
    duplicates,
  };
}

/**
 * The e2e workload itself (the open-loop producer and long-polling consumer of `e2eLoop`, the
 * same bodies, client and checks) against the floor worker at `floorUrl` (bench/floor.ts
 * `startFloor`), on its own produce → commit → long-poll pipeline under the name `name`:
 * `/e2e-write` (the hop: a row in a DO and in two more, awaited; then the rows committed in order
 * wake the waiting polls) and `/e2e-read` (a long poll of the committed rows, the producer's JSON
 * bodies spliced into one answer). What the platform itself takes from a send to a consumer's
 * answer at RF 3 acks=all with no log format, offsets, epochs, HW or ISR.
 */
export async function floorE2eRun(
  floorUrl: string,
  cfg: E2eConfig,
  name: string,
  latencies?: number[],
  produceLatencies?: number[],
): Promise<E2eMeasured> {
  const http = { base: floorUrl, token: "" };
  const rowsPerPoll = Math.max(1, Math.floor(MAX_RECORDS / cfg.e2eRecordsPerRequest));
  const target: E2eTarget = {
    label: `floor /e2e-write?p=${name}`,
    async produce(body) {
      expectStatus(`floor /e2e-write?p=${name}`, await call(http, "POST", `/e2e-write?p=${name}`, body), 200);
    },
    async poll(offset) {
      const r = await call(http, "GET", `/e2e-read?p=${name}&from=${offset}&max=${rowsPerPoll}&wait_ms=${cfg.e2eWaitMs}`);
      expectStatus(`floor /e2e-read?p=${name} from ${offset}`, r, 200);
      const answer = JSON.parse(r.text) as { next: number; rows: { records: { value: string }[] }[] };
      return { values: answer.rows.flatMap((row) => row.records.map((x) => x.value)), next: answer.next };
    },
  };
  return e2eLoop(cfg, target, undefined, latencies, produceLatencies);
}

/** Rounds of the e2e ablation (`E2eAblation`). */
const E2E_ABLATION_ROUNDS = 4;

/** The e2e target's ablation (`E2eAblation`); `hopP99` is the same run's one-at-a-time hop p99. */
export async function e2eAblation(
  http: Http,
  client: FlarelogClient,
  cfg: E2eConfig,
  persistDir: string,
  hopP99: number,
  log: (line: string) => void,
): Promise<E2eAblation> {
  const rounds = E2E_ABLATION_ROUNDS;
  const roundCfg: E2eConfig = { ...cfg, e2eDurationMs: cfg.e2eDurationMs / rounds };
  const flarelog: number[] = [];
  const floorLatencies: number[] = [];
  const floorProduce: number[] = [];
  const floor = await startFloor(persistDir);
  try {
    for (let i = 0; i < rounds; i++) {
      await e2eRun(http, client, roundCfg, { rf: 3, acks: "all", minIsr: 2, topic: `bench-e2e-ablation-r${i}` }, () => {}, undefined, flarelog);
      await floorE2eRun(floor.url, roundCfg, `e2e-r${i}`, floorLatencies, floorProduce);
    }
  } finally {
    await floor.stop();
  }
  const flarelogRf3 = summarize(flarelog);
  const floorPipeline = summarize(floorLatencies);
  const ablation: E2eAblation = {
    rounds,
    round_duration_s: roundCfg.e2eDurationMs / 1000,
    flarelog_rf3: flarelogRf3,
    floor_pipeline: floorPipeline,
    floor_pipeline_produce: summarize(floorProduce),
    floor_over_hop_p99: r2(floorPipeline.p99_ms / hopP99),
    flarelog_over_floor_p99: r2(flarelogRf3.p99_ms / floorPipeline.p99_ms),
  };
  log(
    `  ablation, ${rounds} alternating rounds of ${ablation.round_duration_s} s: Flarelog RF 3 acks=all e2e p50 ${flarelogRf3.p50_ms} ms, p99 ${flarelogRf3.p99_ms} ms; ` +
      `the floor's own pipeline p50 ${floorPipeline.p50_ms} ms, p99 ${floorPipeline.p99_ms} ms (÷ the hop's p99: ${ablation.floor_over_hop_p99}); ` +
      `Flarelog ÷ floor p99: ${ablation.flarelog_over_floor_p99}`,
  );
  return ablation;
}

/** `hopDir`: the state of the platform round trip's Miniflare instance (bench/platform-hop.ts). */
export async function e2eScenario(
  http: Http,
  client: FlarelogClient,
  cfg: E2eConfig,
  log: (line: string) => void,
  hopDir?: string,
): Promise<E2eResult> {
  const configs = [{ rf: 1, acks: "1", minIsr: null }, ...(cfg.e2eReplicated ? [{ rf: 3, acks: "all", minIsr: 2 }] : [])];
  const runs: E2eRun[] = [];
  for (const c of configs) runs.push(await e2eRun(http, client, cfg, c, log));
  if (hopDir === undefined) return { runs };
  const hop = await platformHop(cfg, `${hopDir}-closed`);
  const open = await platformHop(cfg, `${hopDir}-open`, "open");
  const rf3 = runs.find((r) => r.replication_factor === 3);
  const ratio = rf3 ? r2(rf3.latency.p99_ms / hop.p99_ms) : undefined;
  const ratioOpen = rf3 ? r2(rf3.latency.p99_ms / open.p99_ms) : undefined;
  log(`  platform Worker → DO → 2 DOs round trip, one at a time: p50 ${hop.p50_ms} ms, p99 ${hop.p99_ms} ms; RF 3 e2e p99 ÷ it: ${ratio}`);
  log(`  the same round trip on the e2e schedule (open loop): p50 ${open.p50_ms} ms, p99 ${open.p99_ms} ms; RF 3 e2e p99 ÷ it: ${ratioOpen}`);
  const ablation = rf3 ? await e2eAblation(http, client, cfg, `${hopDir}-e2e`, hop.p99_ms, log) : undefined;
  return {
    runs,
    platform_hop: hop,
    platform_hop_open: open,
    ...(ratio !== undefined ? { rf3_p99_ratio: ratio } : {}),
    ...(ratioOpen !== undefined ? { rf3_p99_ratio_open: ratioOpen } : {}),
    ...(ablation ? { ablation } : {}),
  };
}

export function e2eTable(x: E2eResult): string[] {
  const r0 = x.runs[0];
  if (!r0) return [];
  return [
    `End-to-end latency: open-loop producer at ${r0.target_requests_per_s} requests/s × ${r0.records_per_request} records × ${r0.value_bytes} B ` +
      `(${r0.target_records_per_s} records/s), one consumer long-polling (wait_ms ${r0.wait_ms}), 1 partition, ${r0.duration_s} s measured after ${r0.warmup_s} s warm-up`,
    table(
      ["RF", "acks", ...KAFKA_COLUMNS, "target rec/s", "late sends", "max in flight", "produce p50 ms", "produce p99 ms", "fetches", "empty", "rec/fetch"],
      x.runs.map((r) => [
        r.replication_factor,
        r.acks,
        r.records,
        r.records_per_s,
        r.payload_mb_per_s,
        r.latency.mean_ms,
        r.latency.max_ms,
        r.latency.p50_ms,
        r.latency.p95_ms,
        r.latency.p99_ms,
        r.latency.p99_9_ms,
        r.target_records_per_s,
        r.late_sends,
        r.max_in_flight,
        r.produce_latency.p50_ms,
        r.produce_latency.p99_ms,
        r.fetch_requests,
        r.empty_fetches,
        r.records_per_fetch,
      ]),
    ),
    `latency columns: record sent → received by the consumer; late: a send started > ${r0.late_threshold_ms} ms after its due time; missing and duplicates: ` +
      x.runs.map((r) => `${r.missing}/${r.duplicates}`).join(", "),
    ...(x.platform_hop
      ? [
          `platform Worker → DO → 2 DOs round trip (floor worker, same body, one at a time, same run): p50 ${x.platform_hop.p50_ms} ms, ` +
            `p99 ${x.platform_hop.p99_ms} ms, p99.9 ${x.platform_hop.p99_9_ms} ms; RF 3 acks=all e2e p99 ÷ platform p99: ${x.rf3_p99_ratio ?? "-"}`,
        ]
      : []),
    ...(x.platform_hop_open
      ? [
          `the same round trip on the e2e producer's open-loop schedule (same run): p50 ${x.platform_hop_open.p50_ms} ms, ` +
            `p99 ${x.platform_hop_open.p99_ms} ms, p99.9 ${x.platform_hop_open.p99_9_ms} ms; RF 3 acks=all e2e p99 ÷ it: ${x.rf3_p99_ratio_open ?? "-"}`,
        ]
      : []),
    ...(x.ablation
      ? [
          `ablation, same rounds (${x.ablation.rounds} alternating rounds of ${x.ablation.round_duration_s} s, records pooled): Flarelog RF 3 acks=all ` +
            `e2e p50 ${x.ablation.flarelog_rf3.p50_ms} ms, p99 ${x.ablation.flarelog_rf3.p99_ms} ms; the same workload against the floor's own pipeline ` +
            `(the hop, then the committed rows wake a long poll) p50 ${x.ablation.floor_pipeline.p50_ms} ms, p99 ${x.ablation.floor_pipeline.p99_ms} ms, ` +
            `produce p99 ${x.ablation.floor_pipeline_produce.p99_ms} ms; floor pipeline p99 ÷ hop p99: ${x.ablation.floor_over_hop_p99}; Flarelog ÷ floor pipeline p99: ${x.ablation.flarelog_over_floor_p99}`,
        ]
      : []),
    "",
  ];
}

export function e2eHeadlines(x: E2eResult): Headline[] {
  return x.runs.map((r) =>
    headline(`e2e latency ${r.records_per_request}x${r.value_bytes}B at ${r.target_records_per_s} rec/s acks=${r.acks} RF${r.replication_factor} 1p`, r),
  );
}
