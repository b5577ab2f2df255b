/**
 * The `matrix` scenario of `npm run bench` (issue 7, the produce matrix): every combination of
 * 100 B and 1 KiB values × batches of 1, 100 and 1000 records × acks 0, 1 and all × replication
 * factor 1 and 3 × 1 and 8 partitions (72 cells), each on its own topic, with Kafka's
 * producer-perf-test fields per cell.
 *
 * - Endpoint: the topic-level `POST /v1/topics/{t}/records` for every cell, keyless records, so
 *   the server's round-robin partitioner spreads them record by record (a batch of 100 or 1000
 *   becomes one append per partition, sent in parallel; batches of 1 rotate over the partitions
 *   request by request). One endpoint for all cells, so 1 against 8 partitions changes nothing
 *   but the partition count.
 * - RF 3 topics have `min.insync.replicas` 2, as in the replication scenario.
 * - Load: one request in flight (closed loop, concurrency 1). Each cell first sends a few
 *   `acks=1` warm-up requests (enough to reach every partition), then is measured until its
 *   request count or its wall-clock cap, whichever comes first: a bounded run per cell whatever
 *   the batch size.
 * - acks=0: the server answers 202 before the write (the append runs in `waitUntil`), so the
 *   records are counted as sent at the 202, like Kafka's perf test does with acks=0. After the
 *   cell, the run waits (bounded) until the partitions' high watermarks add up to every record
 *   sent, so background writes do not spill into the next cell; that drain time and the records
 *   per second including it are reported beside the 202 figures.
 * Cells run one after another (no interleaving): compare neighbours, not distant cells.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { runLoad, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { call, expectStatus, produceBodies, type Http } from "./http.ts";

export interface MatrixConfig {
  /** Measured requests per cell at most. */
  matrixCellRequests: number;
  /** Wall-clock cap of a cell's measured phase. */
  matrixCellCapMs: number;
  /** Wall-clock cap of a cell's warm-up. */
  matrixWarmupCapMs: number;
  /** How long an acks=0 cell may wait for its background writes to land. */
  matrixDrainCapMs: number;
}

export const MATRIX_VALUE_BYTES = [100, 1024] as const;
export const MATRIX_BATCHES = [1, 100, 1000] as const;
export const MATRIX_ACKS = ["0", "1", "all"] as const;
export const MATRIX_RF = [1, 3] as const;
export const MATRIX_PARTITIONS = [1, 8] as const;
const MIN_ISR = 2;

export interface MatrixCell extends Throughput {
  value_bytes: number;
  records_per_request: number;
  acks: (typeof MATRIX_ACKS)[number];
  replication_factor: number;
  partitions: number;
  warmup_requests: number;
  /** acks=0 only: the wait after the cell until the high watermarks covered every record sent. */
  acks0_drain?: { drain_ms: number; landed_records: number; expected_records: number; landed_records_per_s: number };
}

export interface MatrixResult {
  endpoint: string;
  concurrency: number;
  cells: MatrixCell[];
}

async function highWatermarkSum(client: FlarelogClient, topic: string): Promise<number> {
  const r = await client.describeTopic(topic);
  if (!r.ok) throw new Error(`describe ${topic}: HTTP ${r.status}`);
  return r.body.partitions.reduce((n, p) => n + (p.high_watermark ?? 0), 0);
}

function topicProduceOp(http: Http, topic: string, acks: string, bodies: string[], n: number, valueBytes: number): (i: number) => Promise<OpOutcome> {
  const path = `/v1/topics/${topic}/records?acks=${acks}`;
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await call(http, "POST", path, body);
    if (acks === "0") expectStatus(`produce to ${topic}`, r, 202);
    else {
      expectStatus(`produce to ${topic}`, r, 200);
      const { offsets } = JSON.parse(r.text) as { offsets: { offset?: number }[] };
      if (offsets.length !== n || offsets.some((o) => o.offset === undefined))
        throw new Error(`produce to ${topic}: expected ${n} offsets, got ${r.text.slice(0, 300)}`);
    }
    return { records: n, payloadBytes: n * valueBytes, wireBytes: body.length };
  };
}

export async function matrixScenario(http: Http, client: FlarelogClient, cfg: MatrixConfig, log: (line: string) => void): Promise<MatrixResult> {
  const cells: MatrixCell[] = [];
  for (const valueBytes of MATRIX_VALUE_BYTES) {
    for (const batch of MATRIX_BATCHES) {
      // 1 KiB × 1000 is ~1 MB of JSON per body: 4 variants are plenty to defeat any caching.
      const bodies = produceBodies(batch, 11, batch >= 1000 ? 4 : 8, valueBytes);
      for (const rf of MATRIX_RF) {
        for (const partitions of MATRIX_PARTITIONS) {
          for (const acks of MATRIX_ACKS) {
            const topic = `bench-matrix-v${valueBytes}-b${batch}-rf${rf}-p${partitions}-acks${acks}`;
            const created = await client.createTopic(topic, {
              partitions,
              replication_factor: rf,
              ...(rf > 1 ? { configs: { "min.insync.replicas": String(Math.min(rf, MIN_ISR)) } } : {}),
            });
            if (!created.ok) throw new Error(`create topic ${topic}: HTTP ${created.status} ${JSON.stringify(created.error)}`);
            // Warm-up with acks=1 (so nothing is left running in the background): every partition's
            // replicas start and open their SQLite before the measured phase.
            const warmupRequests = batch === 1 ? partitions + 2 : 3;
            const warm = await runLoad({
              requests: warmupRequests,
              concurrency: 1,
              timeCapMs: cfg.matrixWarmupCapMs,
              op: topicProduceOp(http, topic, "1", bodies, batch, valueBytes),
            });
            const t = throughput(
              await runLoad({
                requests: cfg.matrixCellRequests,
                concurrency: 1,
                timeCapMs: cfg.matrixCellCapMs,
                op: topicProduceOp(http, topic, acks, bodies, batch, valueBytes),
              }),
            );
            const cell: MatrixCell = {
              value_bytes: valueBytes,
              records_per_request: batch,
              acks,
              replication_factor: rf,
              partitions,
              warmup_requests: warm.requests,
              ...t,
            };
            if (acks === "0") {
              const expected = warm.records + t.records;
              const t0 = performance.now();
              let landed = await highWatermarkSum(client, topic);
              while (landed < expected && performance.now() - t0 < cfg.matrixDrainCapMs) {
                await new Promise((r) => setTimeout(r, 20));
                landed = await highWatermarkSum(client, topic);
              }
              const drainMs = performance.now() - t0;
              cell.acks0_drain = {
                drain_ms: Math.round(drainMs),
                landed_records: landed,
                expected_records: expected,
                landed_records_per_s: Math.round((landed - warm.records) / (t.elapsed_s + drainMs / 1000)),
              };
            }
            cells.push(cell);
            log(
              `  matrix ${valueBytes} B × ${batch} acks=${acks} RF ${rf} ${partitions}p: ${t.records_per_s} records/s, p50 ${t.latency.p50_ms} ms` +
                (cell.acks0_drain ? `, drain ${cell.acks0_drain.drain_ms} ms (${cell.acks0_drain.landed_records}/${cell.acks0_drain.expected_records} landed)` : ""),
            );
          }
        }
      }
    }
  }
  return { endpoint: "POST /v1/topics/{topic}/records (topic-level, keyless: server round-robin per record)", concurrency: 1, cells };
}
