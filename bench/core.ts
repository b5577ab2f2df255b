/**
 * The single-partition scenarios of `npm run bench` that bench/run.ts runs itself: the global
 * warm-up (unmeasured), `baseline` (GET /healthz), `produce` (acks=1 and all, concurrency 1 and
 * 8, interleaved rounds) and `fetch` (a sequential read of a filled partition).
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import type { Config } from "./config.ts";
import { formatNumber, log, runInterleaved, runLoad, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import {
  call,
  createTopic,
  expectStatus,
  produceBodies,
  produceOp,
  PRODUCE_BATCH,
  VALUE_BYTES,
  type Http,
} from "./http.ts";
import { fetchJsonAt, fetchOutcome, fill, highWatermark, sequentialPass } from "./reads.ts";

/** Warms the whole request path (HTTP, routing, Durable Object, SQLite) before anything is measured. */
export async function globalWarmup(http: Http, client: FlarelogClient, cfg: Config): Promise<void> {
  const topic = "bench-warmup";
  await createTopic(client, topic);
  const produce = produceOp(http, topic, "1", produceBodies(PRODUCE_BATCH, 7, 2), PRODUCE_BATCH);
  let written = 0;
  await runLoad({
    requests: cfg.globalWarmup,
    concurrency: 1,
    timeCapMs: 60_000,
    op: async (i) => {
      if (i % 2 === 0 || written === 0) {
        const out = await produce(i);
        written += out.records;
        return out;
      }
      return fetchOutcome(await fetchJsonAt(http, topic, (i * 37) % (written - PRODUCE_BATCH + 1), PRODUCE_BATCH));
    },
  });
}

export interface BaselineResult extends Throughput {
  name: string;
}

export async function baseline(http: Http, cfg: Config): Promise<BaselineResult> {
  const op = async (): Promise<OpOutcome> => {
    const r = await call(http, "GET", "/healthz");
    expectStatus("healthz", r, 200);
    return { records: 0, payloadBytes: 0, wireBytes: r.text.length };
  };
  await runLoad({ requests: 50, concurrency: 1, timeCapMs: 5_000, op });
  const measured = await runLoad({ requests: cfg.baselineRequests, concurrency: 1, timeCapMs: 10_000, op });
  return { name: "GET /healthz", ...throughput(measured) };
}

export interface ProduceResult extends Throughput {
  acks: string;
  concurrency: number;
  records_per_request: number;
  value_bytes: number;
  warmup_requests: number;
  rounds: number;
}

/**
 * The four produce configurations run in interleaved rounds (each round: every configuration
 * in turn, `produceRequests / produceRounds` requests each; `runInterleaved`), so slow drift of
 * the shared machine (JIT, GC, the neighbours) is spread over all of them rather than landing on one.
 */
export async function produceScenarios(http: Http, client: FlarelogClient, cfg: Config): Promise<ProduceResult[]> {
  const bodies = produceBodies(PRODUCE_BATCH, 1);
  const configs = (["1", "all"] as const).flatMap((acks) => [1, 8].map((concurrency) => ({ acks, concurrency })));
  const ops: { op: (i: number) => Promise<OpOutcome>; concurrency: number }[] = [];
  for (const { acks, concurrency } of configs) {
    const topic = `bench-produce-acks${acks}-c${concurrency}`;
    await createTopic(client, topic);
    ops.push({ op: produceOp(http, topic, acks, bodies, PRODUCE_BATCH), concurrency });
  }
  const loads = await runInterleaved(ops, {
    warmup: cfg.produceWarmup,
    requests: cfg.produceRequests,
    rounds: cfg.produceRounds,
    capMs: cfg.produceCapMs,
  });
  return configs.map(({ acks, concurrency }, i) => {
    const r = throughput(loads[i]!);
    const figures = `${formatNumber(r.records_per_s)} records/s, p50 ${r.latency.p50_ms} ms`;
    log(`  produce acks=${acks} concurrency=${concurrency}: ${figures}`);
    return {
      acks,
      concurrency,
      records_per_request: PRODUCE_BATCH,
      value_bytes: VALUE_BYTES,
      warmup_requests: cfg.produceWarmup,
      rounds: cfg.produceRounds,
      ...r,
    };
  });
}

export interface FetchScenarioResult extends Throughput {
  max_records: number;
  log_records: number;
  stored_batch_records: number;
}

export async function fetchScenarios(http: Http, client: FlarelogClient, cfg: Config): Promise<FetchScenarioResult[]> {
  const topic = "bench-fetch";
  await createTopic(client, topic);
  const filled = await fill(http, topic, cfg.fetchLogRecords, PRODUCE_BATCH, 8, cfg.fetchCapMs * 2, 2);
  const end = await highWatermark(client, topic);
  log(`  filled ${topic}: ${formatNumber(end)} records in ${filled.elapsed_s} s`);
  const out: FetchScenarioResult[] = [];
  for (const maxRecords of [500, 100]) {
    const r = await sequentialPass(http, topic, end, maxRecords, cfg.fetchCapMs);
    out.push({ max_records: maxRecords, log_records: end, stored_batch_records: PRODUCE_BATCH, ...r });
    log(`  fetch max_records=${maxRecords}: ${formatNumber(r.records_per_s)} records/s, p50 ${r.latency.p50_ms} ms`);
  }
  return out;
}
