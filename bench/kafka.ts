/**
 * Issue 19's figures: the Kafka wire protocol (kafkajs 2.2.4 through `kafkaSocketFactory`, one
 * WebSocket to /kafka) beside the binary HTTP path (`application/vnd.flarelog.record-batch`),
 * in one run, one partition, RF 1, acks=1:
 *   produce   100 B records in batches of 100 and of 1,000 per request, concurrency 1, the two
 *             doors in interleaved rounds (`runInterleaved`); a kafkajs `send` of N messages is
 *             one Produce request, a binary POST one batch.
 *   catch-up  a log of `min(fetchLogRecords, 20000)` records read from offset 0: a kafkajs
 *             consumer in a new group (join, sync, offset fetch included in the time; each
 *             `eachBatch` one op), and the binary HTTP sequential pass (5,000 records a fetch,
 *             bench/reads.ts). Rounds alternate the order.
 * The ratio kafkajs ÷ binary records/s is the target (≥ 0.8×). Every row also carries
 * the CPU per 1,000 records of workerd (the server) and of this process (the client: kafkajs's
 * own encoding and decoding, or the HTTP request and the frames' decoding), since both share
 * the machine's cores. Node 24 type stripping:
 * erasable TypeScript only.
 */
import { Kafka, logLevel, Partitioners } from "kafkajs";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { kafkaSocketFactory } from "../src/client/kafka-socket-factory.ts";
import { binaryBodies, binaryProduceOp } from "./bulk.ts";
import type { CoreConfig } from "./config.ts";
import { mergeLoads, Prng, runInterleaved, runLoad, throughput, type LoadResult, type OpOutcome, type Throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, value, VALUE_BYTES, type Http } from "./http.ts";
import { processCpuSeconds } from "./proc.ts";
import { sequentialPass } from "./reads.ts";

export type KafkaBenchConfig = Pick<CoreConfig, "produceRequests" | "produceWarmup" | "produceRounds" | "produceCapMs" | "fetchLogRecords" | "fetchCapMs">;

export type KafkaDoor = "kafkajs" | "binary-http";

export interface KafkaRow extends Throughput {
  door: KafkaDoor;
  workload: "produce" | "catch-up";
  batch: number;
  /** kafkajs catch-up only: records/s from the first batch on (group join and first fetch left out), mean over the rounds. */
  steady_records_per_s?: number;
  /** CPU ms per 1,000 records of workerd (the server) and of this process (the client), over the measured runs. */
  server_cpu_ms_per_1k: number | null;
  client_cpu_ms_per_1k: number | null;
}

export interface KafkaBenchResult {
  rows: KafkaRow[];
  /** kafkajs records/s ÷ binary HTTP records/s, per workload (and batch). */
  ratio: Record<string, number>;
}

const CATCH_UP_FETCH_RECORDS = 5_000;

function kafkaOf(http: Http): Kafka {
  return new Kafka({
    clientId: "flarelog-bench",
    brokers: ["flarelog:9092"],
    sasl: { mechanism: "plain", username: "default", password: http.token },
    socketFactory: kafkaSocketFactory({ url: http.base }),
    logLevel: logLevel.NOTHING,
  });
}

/** CPU of workerd and of this process spent in each configuration's measured runs. */
function cpuMeter(workerd: number | null) {
  const spent = [0, 1].map(() => ({ server: 0, client: 0 }));
  const around = async (i: number, run: () => Promise<LoadResult>): Promise<LoadResult> => {
    const s0 = workerd === null ? null : processCpuSeconds(workerd);
    const c0 = process.cpuUsage();
    const r = await run();
    const c = process.cpuUsage(c0);
    const s1 = workerd === null ? null : processCpuSeconds(workerd);
    spent[i]!.server += s0 === null || s1 === null ? Number.NaN : (s1 - s0) * 1000;
    spent[i]!.client += (c.user + c.system) / 1000;
    return r;
  };
  const perK = (ms: number, records: number) => (Number.isFinite(ms) && records > 0 ? Number(((ms / records) * 1000).toFixed(2)) : null);
  return { around, spent, perK };
}

async function produceRows(http: Http, kafka: Kafka, client: FlarelogClient, cfg: KafkaBenchConfig, batch: number, workerd: number | null): Promise<KafkaRow[]> {
  const topics = { kafkajs: `bench-kafka-kjs-${batch}`, binary: `bench-kafka-bin-${batch}` };
  for (const t of Object.values(topics)) await createTopic(client, t);
  const prng = new Prng(19);
  const messages = Array.from({ length: 4 }, () => Array.from({ length: batch }, () => ({ value: value(prng), partition: 0 })));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const kafkajsOp = async (i: number): Promise<OpOutcome> => {
      const sent = await producer.send({ topic: topics.kafkajs, acks: 1, messages: messages[i % messages.length]! });
      if (sent[0]?.errorCode !== 0) throw new Error(`kafkajs produce: ${JSON.stringify(sent)}`);
      return { records: batch, payloadBytes: batch * VALUE_BYTES, wireBytes: batch * VALUE_BYTES };
    };
    const binaryOp = binaryProduceOp(http, topics.binary, "1", binaryBodies(produceBodies(batch, 19, 4)), batch);
    const requests = batch >= 1000 ? Math.max(20, Math.floor(cfg.produceRequests / 4)) : cfg.produceRequests;
    const cpu = cpuMeter(workerd);
    const loads = await runInterleaved(
      [
        { op: kafkajsOp, concurrency: 1 },
        { op: binaryOp, concurrency: 1 },
      ],
      { warmup: cfg.produceWarmup, requests, rounds: cfg.produceRounds, capMs: cfg.produceCapMs, around: cpu.around },
    );
    const row = (door: KafkaDoor, i: number): KafkaRow => ({
      door,
      workload: "produce",
      batch,
      ...throughput(loads[i]!),
      server_cpu_ms_per_1k: cpu.perK(cpu.spent[i]!.server, loads[i]!.records),
      client_cpu_ms_per_1k: cpu.perK(cpu.spent[i]!.client, loads[i]!.records),
    });
    return [row("kafkajs", 0), row("binary-http", 1)];
  } finally {
    await producer.disconnect();
  }
}

/** A kafkajs consumer of a new group reads the whole log; each delivered batch is one op. */
/** The run, and its records/s from the first batch's arrival on (the join and first fetch left out). */
async function kafkajsCatchUp(kafka: Kafka, topic: string, group: string, records: number, capMs: number): Promise<LoadResult & { steadyRecordsPerS: number }> {
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const queue: number[] = [];
  let wake: (() => void) | null = null;
  let read = 0;
  let first: { at: number; n: number } | null = null;
  const t0 = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      first ??= { at: performance.now(), n: batch.messages.length };
      queue.push(batch.messages.length);
      wake?.();
    },
  });
  const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<number>((r) => (wake = () => ((wake = null), r(queue.shift()!)))));
  const load = await runLoad({
    requests: Number.MAX_SAFE_INTEGER,
    concurrency: 1,
    timeCapMs: capMs,
    done: () => read >= records,
    op: async () => {
      const n = await next();
      read += n;
      return { records: n, payloadBytes: n * VALUE_BYTES, wireBytes: n * VALUE_BYTES };
    },
  });
  const end = performance.now();
  await consumer.disconnect();
  if (read < records && !load.cappedByTime) throw new Error(`kafkajs catch-up read ${read} of ${records}`);
  const f = first as { at: number; n: number } | null;
  const steadyRecordsPerS = f === null || end <= f.at ? 0 : Math.round((read - f.n) / ((end - f.at) / 1000));
  return { ...load, elapsedMs: end - t0, steadyRecordsPerS };
}

async function catchUpRows(http: Http, kafka: Kafka, client: FlarelogClient, cfg: KafkaBenchConfig, workerd: number | null): Promise<KafkaRow[]> {
  const topic = "bench-kafka-log";
  const records = Math.min(cfg.fetchLogRecords, 20_000);
  await createTopic(client, topic);
  const bodies = produceBodies(1000, 1919, 2);
  for (let i = 0; i * 1000 < records; i++) expectStatus("fill", await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, bodies[i % 2]), 200);
  const kjs: (LoadResult & { steadyRecordsPerS: number })[] = [];
  const bin: Throughput[] = [];
  const cpu = cpuMeter(workerd);
  for (let round = 0; round < cfg.produceRounds; round++) {
    const runKafkajs = () => cpu.around(0, async () => {
      const r = await kafkajsCatchUp(kafka, topic, `bench-kafka-g${round}`, records, cfg.fetchCapMs);
      kjs.push(r);
      return r;
    });
    const runBinary = () => cpu.around(1, async () => {
      bin.push(await sequentialPass(http, topic, records, CATCH_UP_FETCH_RECORDS, cfg.fetchCapMs, "binary"));
      return kjs[0]!;
    });
    if (round % 2 === 0) await runKafkajs().then(runBinary);
    else await runBinary().then(runKafkajs);
  }
  const best = bin.reduce((a, b) => (a.records_per_s >= b.records_per_s ? a : b));
  const median = [...bin].sort((a, b) => a.records_per_s - b.records_per_s)[Math.floor(bin.length / 2)] ?? best;
  // CPU over every round (the binary passes include their 10 warm-up reads each).
  const kjsRecords = kjs.reduce((n, r) => n + r.records, 0);
  const binRecords = bin.reduce((n, r) => n + r.records, 0);
  return [
    {
      door: "kafkajs", workload: "catch-up", batch: records, ...throughput(mergeLoads(kjs)),
      steady_records_per_s: Math.round(kjs.reduce((n, r) => n + r.steadyRecordsPerS, 0) / Math.max(1, kjs.length)),
      server_cpu_ms_per_1k: cpu.perK(cpu.spent[0]!.server, kjsRecords),
      client_cpu_ms_per_1k: cpu.perK(cpu.spent[0]!.client, kjsRecords),
    },
    {
      door: "binary-http", workload: "catch-up", batch: records, ...median,
      server_cpu_ms_per_1k: cpu.perK(cpu.spent[1]!.server, binRecords),
      client_cpu_ms_per_1k: cpu.perK(cpu.spent[1]!.client, binRecords),
    },
  ];
}

/** `workerd`: the Flarelog workerd process (for server CPU per record), null when unknown. */
export async function kafkaScenario(http: Http, client: FlarelogClient, cfg: KafkaBenchConfig, log: (line: string) => void, workerd: number | null): Promise<KafkaBenchResult> {
  const kafka = kafkaOf(http);
  const rows = [
    ...(await produceRows(http, kafka, client, cfg, 100, workerd)),
    ...(await produceRows(http, kafka, client, cfg, 1000, workerd)),
    ...(await catchUpRows(http, kafka, client, cfg, workerd)),
  ];
  for (const r of rows) log(`  ${r.workload} ${r.batch} ${r.door}: ${r.records_per_s} records/s, p50 ${r.latency.p50_ms} ms, p99 ${r.latency.p99_ms} ms`);
  const of = (workload: KafkaRow["workload"], batch: number, door: KafkaDoor) =>
    rows.find((r) => r.workload === workload && r.batch === batch && r.door === door)!.records_per_s;
  const ratio: Record<string, number> = {};
  for (const r of rows.filter((x) => x.door === "kafkajs"))
    ratio[`${r.workload} ${r.batch}`] = Number((of(r.workload, r.batch, "kafkajs") / of(r.workload, r.batch, "binary-http")).toFixed(3));
  const steady = rows.find((r) => r.workload === "catch-up" && r.door === "kafkajs")?.steady_records_per_s;
  const binaryCatchUp = rows.find((r) => r.workload === "catch-up" && r.door === "binary-http")?.records_per_s;
  if (steady !== undefined && binaryCatchUp) ratio["catch-up after the first batch"] = Number((steady / binaryCatchUp).toFixed(3));
  return { rows, ratio };
}
