/**
 * The `replication` scenario of `npm run bench` (bench/run.ts). Method and results:
 * docs/benchmarks.md, section "Replication".
 *
 * 1. Produce throughput, RF 1 acks=1 against RF 3 acks=all (min.insync.replicas 2) and, for
 *    reference, RF 3 acks=1; 100 records × 100 B per request, concurrency 1 and 8, all six
 *    configurations in interleaved rounds on the same server (each on its own topic).
 * 2. Fail-over: on an RF 3 topic under a steady acks=all load (one sequential producer whose
 *    every record value is unique), the current leader is taken offline through the admin API;
 *    fail-over time = from issuing that call to the first acks=all success of a request sent
 *    after it. The old leader is then brought back online and describe is polled (bounded)
 *    until the ISR has 3 members again: the ISR-expand time.
 * 3. Follower offline on the same topic, same load: the admin call's latency (it removes the
 *    follower from the ISR at once; the answer and a describe right after confirm it), then
 *    online and the ISR-expand time again.
 * At the end the whole partition is read back and checked against the producer's record of
 * what was acknowledged: acked records lost, values written twice, failed requests whose
 * records were nevertheless written. Nothing is asserted: the numbers are reported.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient, PartitionDescription } from "../src/client/flarelog-client.ts";
import { formatNumber, runInterleaved, summarize, throughput, type LatencySummary, type OpOutcome, type Throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, produceOp, PRODUCE_BATCH, VALUE_BYTES, type Http } from "./http.ts";

export interface ReplicationConfig {
  /** Measured requests per produce configuration (over all rounds). */
  replProduceRequests: number;
  replProduceWarmup: number;
  replProduceRounds: number;
  /** Wall-clock cap per produce configuration, over all its rounds. */
  replProduceCapMs: number;
  /** Leader-offline rounds. */
  failoverRounds: number;
  /** Follower-offline rounds. */
  followerRounds: number;
  /** Steady load before each offline and each online call. */
  steadyMs: number;
  /** Bound on waiting for the first acks=all success after the leader went offline. */
  failoverCapMs: number;
  /** Bound on waiting for the ISR to be full again after an online call. */
  isrWaitCapMs: number;
  /** Describe polling interval while waiting for the ISR. */
  isrPollMs: number;
}

/** CPU seconds used so far by the server (workerd; null if unreadable) and by this process. */
export type CpuSampler = () => { workerd: number | null; loadGenerator: number };

export interface ReplicationProduceResult extends Throughput {
  replication_factor: number;
  acks: string;
  min_insync_replicas: number;
  concurrency: number;
  records_per_request: number;
  value_bytes: number;
  warmup_requests: number;
  rounds: number;
  /** records/s divided by RF 1 acks=1's at the same concurrency. */
  relative_to_rf1_acks1: number;
  /** CPU per measured request (ms), summed over this configuration's measured rounds. */
  workerd_cpu_ms_per_request: number | null;
  load_generator_cpu_ms_per_request: number;
}

export interface FailoverRound {
  round: number;
  old_leader: number;
  new_leader: number;
  old_epoch: number;
  new_epoch: number;
  /** Latency of the admin offline call (its answer already names the new leader). */
  offline_call_ms: number;
  /** Offline call issued → first acks=all success of a request sent after it; null: none within the cap. */
  failover_ms: number | null;
  /** Requests sent after the offline call that failed before that first success, by error. */
  errors_before_success: Record<string, number>;
  /** The producer's request in flight when the offline call was issued. */
  in_flight: { ok: boolean; error: string | null; ms: number } | null;
  online_call_ms: number;
  /** Records the partition took while the replica was offline (HW in the online answer − HW in the offline answer). */
  records_behind: number | null;
  /** ISR in the online call's answer. */
  isr_in_online_answer: number[];
  /** Online call issued → first describe showing 3 ISR members; null: not within the cap. */
  isr_expand_ms: number | null;
  /** Describe calls made while waiting (one every isrPollMs); 1: the first one already showed 3 members. */
  isr_polls: number;
}

export interface FollowerRound {
  round: number;
  leader: number;
  follower: number;
  /** Latency of the admin offline call, whose answer already shows the smaller ISR. */
  offline_call_ms: number;
  isr_in_answer: number[];
  /** ISR in a describe sent right after the call answered. */
  isr_described_after: number[];
  online_call_ms: number;
  records_behind: number | null;
  isr_in_online_answer: number[];
  isr_expand_ms: number | null;
  isr_polls: number;
  /** Producer errors from the offline call to the ISR being full again, by error. */
  producer_errors: Record<string, number>;
}

export interface Integrity {
  records_read: number;
  high_watermark: number;
  acked_requests: number;
  failed_requests: number;
  /** Acked records not found at their acked offset. */
  acked_records_lost: number;
  /** Values present at more than one offset (the producer never sends a value twice). */
  values_written_twice: number;
  /** Failed requests whose records are in the log anyway, by the error the producer got. */
  failed_but_written: Record<string, number>;
  /** Up to 5 examples of values written twice, with their offsets and the producer's view of that request. */
  examples: string[];
}

export interface ReplicationResult {
  produce: ReplicationProduceResult[];
  failover: {
    topic: string;
    rounds: FailoverRound[];
    failover_ms: LatencySummary;
    offline_call_ms: LatencySummary;
    online_call_ms: LatencySummary;
    isr_expand_ms: LatencySummary;
  };
  follower_offline: {
    rounds: FollowerRound[];
    offline_call_ms: LatencySummary;
    online_call_ms: LatencySummary;
    isr_expand_ms: LatencySummary;
  };
  /** The steady producer over both fault phases. */
  steady_producer: { requests: number; succeeded: number; errors: Record<string, number>; latency_ok: LatencySummary };
  integrity: Integrity;
}

const MIN_ISR = 2;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

const ms = (v: number) => Number(v.toFixed(1));

// ---------------------------------------------------------------------------------------------
// 1. Produce throughput by replication factor

async function replicationProduce(http: Http, client: FlarelogClient, cfg: ReplicationConfig, cpu: CpuSampler): Promise<ReplicationProduceResult[]> {
  const bodies = produceBodies(PRODUCE_BATCH, 11);
  const kinds = [
    { rf: 1, acks: "1" },
    { rf: 3, acks: "all" },
    { rf: 3, acks: "1" },
  ] as const;
  const configs = kinds.flatMap((k) => [1, 8].map((concurrency) => ({ ...k, concurrency })));
  const ops: { op: (i: number) => Promise<OpOutcome>; concurrency: number }[] = [];
  for (const { rf, acks, concurrency } of configs) {
    const topic = `bench-repl-rf${rf}-acks${acks}-c${concurrency}`;
    await createTopic(client, topic, { replication_factor: rf, configs: { "min.insync.replicas": String(Math.min(rf, MIN_ISR)) } });
    if (rf > 1) await waitForIsr(http, topic, rf, cfg.isrWaitCapMs, cfg.isrPollMs);
    ops.push({ op: produceOp(http, topic, acks, bodies, PRODUCE_BATCH), concurrency });
  }
  const cpuOf = configs.map(() => ({ workerd: 0 as number | null, loadGenerator: 0 }));
  const loads = await runInterleaved(ops, {
    warmup: cfg.replProduceWarmup,
    requests: cfg.replProduceRequests,
    rounds: cfg.replProduceRounds,
    capMs: cfg.replProduceCapMs,
    around: async (i, run) => {
      const a = cpu();
      const r = await run();
      const b = cpu();
      const c = cpuOf[i]!;
      c.workerd = c.workerd === null || a.workerd === null || b.workerd === null ? null : c.workerd + b.workerd - a.workerd;
      c.loadGenerator += b.loadGenerator - a.loadGenerator;
      return r;
    },
  });
  const results = configs.map(({ rf, acks, concurrency }, i) => ({ rf, acks, concurrency, t: throughput(loads[i]!), c: cpuOf[i]! }));
  return results.map(({ rf, acks, concurrency, t, c }) => {
    const perRequest = (s: number) => Number(((1000 * s) / Math.max(1, t.requests)).toFixed(2));
    const base = results.find((r) => r.rf === 1 && r.concurrency === concurrency)!.t.records_per_s;
    log(`  RF ${rf} acks=${acks} concurrency=${concurrency}: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms, p99 ${t.latency.p99_ms} ms`);
    return {
      replication_factor: rf,
      acks,
      min_insync_replicas: Math.min(rf, MIN_ISR),
      concurrency,
      records_per_request: PRODUCE_BATCH,
      value_bytes: VALUE_BYTES,
      warmup_requests: cfg.replProduceWarmup,
      rounds: cfg.replProduceRounds,
      relative_to_rf1_acks1: Number((t.records_per_s / base).toFixed(2)),
      workerd_cpu_ms_per_request: c.workerd === null ? null : perRequest(c.workerd),
      load_generator_cpu_ms_per_request: perRequest(c.loadGenerator),
      ...t,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Partition state through the API

async function describePartition(http: Http, topic: string): Promise<PartitionDescription> {
  const r = await call(http, "GET", `/v1/topics/${topic}`);
  expectStatus(`describe ${topic}`, r, 200);
  return (JSON.parse(r.text) as { partitions: PartitionDescription[] }).partitions[0]!;
}

async function setReplica(http: Http, topic: string, replica: number, action: "offline" | "online"): Promise<PartitionDescription> {
  const r = await call(http, "POST", `/v1/admin/topics/${topic}/partitions/0/replicas/${replica}/${action}`);
  expectStatus(`${action} replica ${replica} of ${topic}`, r, 200);
  return JSON.parse(r.text) as PartitionDescription;
}

/** Polls describe until the ISR has `size` members; the time it was first seen, or null after `capMs`. */
async function waitForIsr(http: Http, topic: string, size: number, capMs: number, pollMs: number): Promise<{ seenAt: number | null; polls: number }> {
  const deadline = performance.now() + capMs;
  let polls = 0;
  for (;;) {
    const d = await describePartition(http, topic);
    polls++;
    if (d.isr.length === size) return { seenAt: performance.now(), polls };
    if (performance.now() >= deadline) return { seenAt: null, polls };
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The steady acks=all producer: one request at a time, every value unique and recorded

interface ProduceEvent {
  seq: number;
  start: number;
  end: number;
  ok: boolean;
  /** Kafka error name, or `HTTP <status>` / `fetch failed` when the answer carried none. */
  error: string | null;
  baseOffset: number | null;
}

const FILLER = "x".repeat(VALUE_BYTES);

/** Record `i` of request `seq`: a unique tag, padded to VALUE_BYTES. */
const steadyValue = (seq: number, i: number): string => {
  const tag = `s${seq}r${i}-`;
  return tag + FILLER.slice(tag.length);
};
const tagOf = (v: string): string => v.slice(0, v.indexOf("-"));

class SteadyProducer {
  readonly events: ProduceEvent[] = [];
  #seq = 0;
  #stopping = false;
  #loop: Promise<void> | null = null;
  #listeners = new Set<(e: ProduceEvent) => void>();

  readonly #http: Http;
  readonly #topic: string;
  readonly #records: number;

  constructor(http: Http, topic: string, records: number) {
    this.#http = http;
    this.#topic = topic;
    this.#records = records;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const path = `/v1/topics/${this.#topic}/partitions/0/records?acks=all`;
    while (!this.#stopping) {
      const seq = this.#seq++;
      const body = JSON.stringify({ records: Array.from({ length: this.#records }, (_, i) => ({ value: steadyValue(seq, i) })) });
      const start = performance.now();
      let event: ProduceEvent;
      try {
        const r = await call(this.#http, "POST", path, body);
        const end = performance.now();
        const parsed = JSON.parse(r.text) as { offsets?: { offset?: number }[]; error?: string };
        const ok = r.status === 200 && parsed.offsets?.length === this.#records && parsed.offsets.every((o) => o.offset !== undefined);
        event = { seq, start, end, ok, error: ok ? null : (parsed.error ?? `HTTP ${r.status}`), baseOffset: ok ? parsed.offsets![0]!.offset! : null };
      } catch (e) {
        event = { seq, start, end: performance.now(), ok: false, error: `fetch failed: ${String(e).slice(0, 100)}`, baseOffset: null };
      }
      this.events.push(event);
      for (const l of this.#listeners) l(event);
    }
  }

  /** The first successful request sent at or after `t`, or null if none answers within `capMs`. */
  firstSuccessSentAfter(t: number, capMs: number): Promise<ProduceEvent | null> {
    const found = this.events.find((e) => e.ok && e.start >= t);
    if (found) return Promise.resolve(found);
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        done(null);
      }, capMs);
      const listener = (e: ProduceEvent) => {
        if (!e.ok || e.start < t) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        done(e);
      };
      this.#listeners.add(listener);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Fault rounds

async function failoverRound(http: Http, topic: string, producer: SteadyProducer, cfg: ReplicationConfig, round: number): Promise<FailoverRound> {
  await sleep(cfg.steadyMs);
  const before = await describePartition(http, topic);
  const t0 = performance.now();
  const after = await setReplica(http, topic, before.leader, "offline");
  const offlineCallMs = performance.now() - t0;
  const first = await producer.firstSuccessSentAfter(t0, cfg.failoverCapMs);
  const inFlight = producer.events.find((e) => e.start < t0 && e.end >= t0) ?? null;
  const failed = producer.events.filter((e) => !e.ok && e.start >= t0 && (first === null || e.end <= first.end));
  // Under the new leader for a while, then the old leader comes back as a follower.
  await sleep(cfg.steadyMs);
  const t1 = performance.now();
  const online = await setReplica(http, topic, before.leader, "online");
  const onlineCallMs = performance.now() - t1;
  const isr = await waitForIsr(http, topic, 3, cfg.isrWaitCapMs, cfg.isrPollMs);
  return {
    round,
    old_leader: before.leader,
    new_leader: after.leader,
    old_epoch: before.leader_epoch,
    new_epoch: after.leader_epoch,
    offline_call_ms: ms(offlineCallMs),
    failover_ms: first === null ? null : ms(first.end - t0),
    errors_before_success: countBy(failed, (e) => e.error ?? "?"),
    in_flight: inFlight === null ? null : { ok: inFlight.ok, error: inFlight.error, ms: ms(inFlight.end - inFlight.start) },
    online_call_ms: ms(onlineCallMs),
    records_behind: behind(after, online),
    isr_in_online_answer: online.isr,
    isr_expand_ms: isr.seenAt === null ? null : ms(isr.seenAt - t1),
    isr_polls: isr.polls,
  };
}

const behind = (offline: PartitionDescription, online: PartitionDescription): number | null =>
  offline.high_watermark === null || online.high_watermark === null ? null : online.high_watermark - offline.high_watermark;

async function followerRound(http: Http, topic: string, producer: SteadyProducer, cfg: ReplicationConfig, round: number): Promise<FollowerRound> {
  await sleep(cfg.steadyMs);
  const before = await describePartition(http, topic);
  const followers = before.replicas.filter((r) => r !== before.leader);
  const follower = followers[round % followers.length]!;
  const eventsBefore = producer.events.length;
  const t0 = performance.now();
  const answer = await setReplica(http, topic, follower, "offline");
  const offlineCallMs = performance.now() - t0;
  const described = await describePartition(http, topic);
  await sleep(cfg.steadyMs);
  const t1 = performance.now();
  const online = await setReplica(http, topic, follower, "online");
  const onlineCallMs = performance.now() - t1;
  const isr = await waitForIsr(http, topic, 3, cfg.isrWaitCapMs, cfg.isrPollMs);
  return {
    round,
    leader: before.leader,
    follower,
    offline_call_ms: ms(offlineCallMs),
    isr_in_answer: answer.isr,
    isr_described_after: described.isr,
    online_call_ms: ms(onlineCallMs),
    records_behind: behind(answer, online),
    isr_in_online_answer: online.isr,
    isr_expand_ms: isr.seenAt === null ? null : ms(isr.seenAt - t1),
    isr_polls: isr.polls,
    producer_errors: countBy(producer.events.slice(eventsBefore).filter((e) => !e.ok), (e) => e.error ?? "?"),
  };
}

/** Reads the partition back (below the HW) and checks it against what the producer was told. */
async function checkLog(http: Http, topic: string, producer: SteadyProducer): Promise<Integrity> {
  const offsetsOf = new Map<string, number[]>();
  const valueAt = new Map<number, string>();
  let offset = 0;
  let hw = 0;
  for (;;) {
    const r = await call(http, "GET", `/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_records=10000&max_bytes=8388608`);
    if (r.status === 416) break; // an empty log
    expectStatus(`read back ${topic}@${offset}`, r, 200);
    const body = JSON.parse(r.text) as { records: { offset: number; value: string | null }[]; next_offset: number; high_watermark: number };
    for (const rec of body.records) {
      const tag = tagOf(rec.value ?? "");
      valueAt.set(rec.offset, tag);
      offsetsOf.set(tag, [...(offsetsOf.get(tag) ?? []), rec.offset]);
    }
    hw = body.high_watermark;
    if (body.next_offset >= body.high_watermark || body.records.length === 0) break;
    offset = body.next_offset;
  }
  const records = PRODUCE_BATCH;
  let lost = 0;
  const failedWritten: ProduceEvent[] = [];
  for (const e of producer.events) {
    if (e.ok) {
      for (let i = 0; i < records; i++) if (valueAt.get(e.baseOffset! + i) !== tagOf(steadyValue(e.seq, i))) lost++;
    } else if (offsetsOf.has(tagOf(steadyValue(e.seq, 0)))) failedWritten.push(e);
  }
  const twice = [...offsetsOf].filter(([, os]) => os.length > 1);
  const bySeq = new Map(producer.events.map((e) => [e.seq, e]));
  const examples = twice
    .filter(([tag]) => tag.endsWith("r0"))
    .slice(0, 5)
    .map(([tag, os]) => {
      const e = bySeq.get(Number(tag.slice(1, tag.indexOf("r"))));
      const view = e ? (e.ok ? `acked at ${e.baseOffset}` : `failed with ${e.error}`) : "not recorded";
      return `${tag} at offsets ${os.join(", ")} (producer: ${view}${e ? `, after ${ms(e.end - e.start)} ms` : ""})`;
    });
  return {
    records_read: valueAt.size,
    high_watermark: hw,
    acked_requests: producer.events.filter((e) => e.ok).length,
    failed_requests: producer.events.filter((e) => !e.ok).length,
    acked_records_lost: lost,
    values_written_twice: twice.length,
    failed_but_written: countBy(failedWritten, (e) => e.error ?? "?"),
    examples,
  };
}

const summarizeNonNull = (values: (number | null)[]) => summarize(values.filter((v): v is number => v !== null));

export async function replicationScenario(http: Http, client: FlarelogClient, cfg: ReplicationConfig, cpu: CpuSampler): Promise<ReplicationResult> {
  const produce = await replicationProduce(http, client, cfg, cpu);

  const topic = "bench-repl-failover";
  await createTopic(client, topic, { replication_factor: 3, configs: { "min.insync.replicas": String(MIN_ISR) } });
  await waitForIsr(http, topic, 3, cfg.isrWaitCapMs, cfg.isrPollMs);
  const producer = new SteadyProducer(http, topic, PRODUCE_BATCH);
  producer.start();
  const failoverRounds: FailoverRound[] = [];
  const followerRounds: FollowerRound[] = [];
  try {
    for (let round = 0; round < cfg.failoverRounds; round++) {
      const r = await failoverRound(http, topic, producer, cfg, round);
      failoverRounds.push(r);
      const errors = Object.entries(r.errors_before_success).map(([k, n]) => `${n}× ${k}`).join(", ");
      log(
        `  fail-over ${round + 1}: leader ${r.old_leader} → ${r.new_leader} (epoch ${r.new_epoch}), offline call ${r.offline_call_ms} ms, ` +
          `first acks=all success after ${r.failover_ms ?? "none"} ms${errors ? ` (${errors})` : ""}` +
          `${r.in_flight && !r.in_flight.ok ? `, in-flight request failed: ${r.in_flight.error}` : ""}; ISR full again ${r.isr_expand_ms ?? "never"} ms after online`,
      );
      if (r.failover_ms === null || r.isr_expand_ms === null) {
        log("  stopping the fail-over rounds: the partition did not recover within the caps");
        break;
      }
    }
    for (let round = 0; round < cfg.followerRounds; round++) {
      const r = await followerRound(http, topic, producer, cfg, round);
      followerRounds.push(r);
      log(
        `  follower ${r.follower} offline: call ${r.offline_call_ms} ms, ISR in answer [${r.isr_in_answer.join(",")}], ` +
          `described after [${r.isr_described_after.join(",")}]; ISR full again ${r.isr_expand_ms ?? "never"} ms after online`,
      );
      if (r.isr_expand_ms === null) break;
    }
  } finally {
    await producer.stop();
  }
  const integrity = await checkLog(http, topic, producer);
  log(
    `  read back ${formatNumber(integrity.records_read)} records: ${integrity.acked_records_lost} acked records lost, ` +
      `${integrity.values_written_twice} values written twice, failed-but-written ${JSON.stringify(integrity.failed_but_written)}`,
  );
  const events = producer.events;
  return {
    produce,
    failover: {
      topic,
      rounds: failoverRounds,
      failover_ms: summarizeNonNull(failoverRounds.map((r) => r.failover_ms)),
      offline_call_ms: summarize(failoverRounds.map((r) => r.offline_call_ms)),
      online_call_ms: summarize(failoverRounds.map((r) => r.online_call_ms)),
      isr_expand_ms: summarizeNonNull(failoverRounds.map((r) => r.isr_expand_ms)),
    },
    follower_offline: {
      rounds: followerRounds,
      offline_call_ms: summarize(followerRounds.map((r) => r.offline_call_ms)),
      online_call_ms: summarize(followerRounds.map((r) => r.online_call_ms)),
      isr_expand_ms: summarizeNonNull(followerRounds.map((r) => r.isr_expand_ms)),
    },
    steady_producer: {
      requests: events.length,
      succeeded: events.filter((e) => e.ok).length,
      errors: countBy(events.filter((e) => !e.ok), (e) => e.error ?? "?"),
      latency_ok: summarize(events.filter((e) => e.ok).map((e) => e.end - e.start)),
    },
    integrity,
  };
}
