/**
 * Issue 5's figure: the cost of idempotence on produce throughput, measured in one run. The same
 * pre-serialized bodies go to the partition endpoint with and without producer fields, acks=all,
 * RF 1, at concurrency 1 and 8, in interleaved rounds (`runInterleaved`).
 *
 * Idempotent lanes: each in-flight request uses its own producer id (a pool of `concurrency`
 * producers from `POST /v1/producers`), so one producer never has two batches of one partition
 * in flight and every batch arrives in sequence, as a Kafka producer with max.in.flight=1 per
 * partition would send them. Every answer is checked: an idempotent batch must be appended, never
 * answered as a duplicate (offsets must move forward). Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { runInterleaved, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, PRODUCE_BATCH, VALUE_BYTES, type Http } from "./http.ts";

export interface IdempotenceConfig {
  produceRequests: number;
  produceWarmup: number;
  produceRounds: number;
  produceCapMs: number;
}

export interface IdempotenceRow extends Throughput {
  idempotent: boolean;
  concurrency: number;
  acks: string;
  records_per_request: number;
  value_bytes: number;
}

export interface IdempotenceResult {
  rows: IdempotenceRow[];
  /** Idempotent records/s ÷ plain records/s, per concurrency. */
  ratio: Record<string, number>;
}

const MAX_SEQUENCE = 2 ** 31 - 1;

interface Lane {
  producerId: number;
  producerEpoch: number;
  sequence: number;
  lastOffset: number;
}

async function newLane(http: Http): Promise<Lane> {
  const r = await call(http, "POST", "/v1/producers", "{}");
  expectStatus("init producer", r, 200);
  const b = JSON.parse(r.text) as { producer_id: number; producer_epoch: number };
  return { producerId: b.producer_id, producerEpoch: b.producer_epoch, sequence: 0, lastOffset: -1 };
}

function idempotentOp(http: Http, topic: string, bodies: string[], lanes: Lane[]): (i: number) => Promise<OpOutcome> {
  const path = `/v1/topics/${topic}/partitions/0/records?acks=all`;
  const free = [...lanes];
  return async (i) => {
    const lane = free.pop();
    if (!lane) throw new Error("idempotence bench: more requests in flight than producers");
    try {
      const records = bodies[i % bodies.length]!;
      const body = `${records.slice(0, -1)},"producer_id":${lane.producerId},"producer_epoch":${lane.producerEpoch},"base_sequence":${lane.sequence}}`;
      const r = await call(http, "POST", path, body);
      expectStatus(`idempotent produce to ${topic}`, r, 200);
      const { offsets } = JSON.parse(r.text) as { offsets: { offset?: number }[] };
      const first = offsets[0]?.offset ?? -1;
      if (offsets.length !== PRODUCE_BATCH || first <= lane.lastOffset)
        throw new Error(`idempotent produce to ${topic}: expected ${PRODUCE_BATCH} new offsets, got ${r.text.slice(0, 300)}`);
      lane.lastOffset = offsets.at(-1)!.offset!;
      lane.sequence = (lane.sequence + PRODUCE_BATCH) % (MAX_SEQUENCE + 1);
      return { records: PRODUCE_BATCH, payloadBytes: PRODUCE_BATCH * VALUE_BYTES, wireBytes: body.length };
    } finally {
      free.push(lane);
    }
  };
}

function plainOp(http: Http, topic: string, bodies: string[]): (i: number) => Promise<OpOutcome> {
  const path = `/v1/topics/${topic}/partitions/0/records?acks=all`;
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await call(http, "POST", path, body);
    expectStatus(`produce to ${topic}`, r, 200);
    const { offsets } = JSON.parse(r.text) as { offsets: { offset?: number }[] };
    if (offsets.length !== PRODUCE_BATCH) throw new Error(`produce to ${topic}: got ${r.text.slice(0, 300)}`);
    return { records: PRODUCE_BATCH, payloadBytes: PRODUCE_BATCH * VALUE_BYTES, wireBytes: body.length };
  };
}

export async function idempotenceScenario(
  http: Http,
  client: FlarelogClient,
  cfg: IdempotenceConfig,
  log: (line: string) => void,
): Promise<IdempotenceResult> {
  const bodies = produceBodies(PRODUCE_BATCH, 5);
  const configs = [1, 8].flatMap((concurrency) => [false, true].map((idempotent) => ({ idempotent, concurrency })));
  const ops: { op: (i: number) => Promise<OpOutcome>; concurrency: number }[] = [];
  for (const { idempotent, concurrency } of configs) {
    const topic = `bench-idempotence-${idempotent ? "on" : "off"}-c${concurrency}`;
    await createTopic(client, topic);
    const lanes = idempotent ? await Promise.all(Array.from({ length: concurrency }, () => newLane(http))) : [];
    ops.push({ op: idempotent ? idempotentOp(http, topic, bodies, lanes) : plainOp(http, topic, bodies), concurrency });
  }
  const loads = await runInterleaved(ops, { warmup: cfg.produceWarmup, requests: cfg.produceRequests, rounds: cfg.produceRounds, capMs: cfg.produceCapMs });
  const rows = configs.map(({ idempotent, concurrency }, i): IdempotenceRow => {
    const t = throughput(loads[i]!);
    log(`  produce idempotent=${idempotent} concurrency=${concurrency}: ${t.records_per_s} records/s, p50 ${t.latency.p50_ms} ms`);
    return { idempotent, concurrency, acks: "all", records_per_request: PRODUCE_BATCH, value_bytes: VALUE_BYTES, ...t };
  });
  const ratio: Record<string, number> = {};
  for (const c of [1, 8]) {
    const on = rows.find((r) => r.idempotent && r.concurrency === c)!;
    const off = rows.find((r) => !r.idempotent && r.concurrency === c)!;
    ratio[`concurrency_${c}`] = Number((on.records_per_s / off.records_per_s).toFixed(3));
  }
  return { rows, ratio };
}
