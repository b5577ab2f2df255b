/**
 * Issue 19's figures: the Kafka wire protocol (kafkajs 2.2.4 through `kafkaSocketFactory`, one
 * WebSocket to /kafka) beside the binary HTTP path (`application/vnd.flarelog.record-batch`),
 * in one run, one partition, RF 1, acks=1, every configuration in the same interleaved rounds:
 *   binary-http          the binary HTTP path (produce POSTs, the bench/reads.ts sequential pass)
 *   kafkajs              kafkajs on Node's WebSocket as a user connects by default: it offers
 *                        permessage-deflate; the door refuses it (its 101 names no extension),
 *                        so answers travel uncompressed, as the binary HTTP path's do
 *   kafkajs-no-deflate   the same without the offer (bench/kafka-websocket.ts): the check that
 *                        the door's refusal leaves nothing to gain on the client side
 *   kafkajs-null-server  kafkajs (no deflate) against bench/kafka-null-server.ts, a child process
 *                        answering from memory (Produce: success; Fetch: pre-encoded batches of
 *                        the same records): kafkajs's own ceiling on this machine
 * Workloads:
 *   produce   100 B records in batches of 100 and of 1,000 per request, concurrency 1
 *             (`runInterleaved`); a kafkajs `send` of N messages is one Produce request, a
 *             binary POST one batch.
 *   catch-up  a log of `min(fetchLogRecords, 20000)` records read from offset 0: a kafkajs
 *             consumer in a new group with kafkajs's defaults (maxBytesPerPartition 1 MiB, about
 *             9,800 records a fetch here; the server caps a fetch at 10,000), each `eachBatch`
 *             one op, timed from before `connect()` (SASL, join, sync, offset fetch and
 *             ListOffsets included; the "after the first batch" ratio leaves them and the first
 *             fetch out); the binary HTTP sequential pass, 5,000 records a fetch, median of its
 *             rounds, each in its own seeded order. Each kafkajs configuration first runs one
 *             unmeasured catch-up (the binary passes warm up with their own reads): the first of
 *             a process paid the JIT of kafkajs's and the door's code, in whichever row ran first.
 * The ratio kafkajs ÷ binary records/s is the target (≥ 0.8×), printed per kafkajs
 * configuration. Every row also carries the CPU per 1,000 records of the server (workerd, or the
 * null server) and of this process (the client: kafkajs's own encoding and decoding, or the HTTP
 * request and the frames' decoding), since both share the machine's cores. Node 24 type
 * stripping: erasable TypeScript only.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { kafkaSocketFactory } from "../src/client/kafka-socket-factory.ts";
import { binaryBodies, binaryProduceOp } from "./bulk.ts";
import { webSocketWithoutDeflate } from "./kafka-websocket.ts";
import type { CoreConfig } from "./config.ts";
import { mergeLoads, Prng, runInterleaved, runLoad, throughput, type LoadResult, type OpOutcome, type Throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, value, VALUE_BYTES, type Http } from "./http.ts";
import { processCpuSeconds } from "./proc.ts";
import { sequentialPass } from "./reads.ts";

export type KafkaBenchConfig = Pick<CoreConfig, "produceRequests" | "produceWarmup" | "produceRounds" | "produceCapMs" | "fetchLogRecords" | "fetchCapMs">;

/**
 * `kafkajs`: kafkajs through `kafkaSocketFactory` on Node's WebSocket, as a user connects by
 * default (it offers permessage-deflate, the door refuses it); `kafkajs-no-deflate`: the same
 * without the offer (bench/kafka-websocket.ts); `kafkajs-null-server`: kafkajs (no deflate) against
 * bench/kafka-null-server.ts, which answers from memory: kafkajs's own ceiling on this machine.
 */
export type KafkaDoor = "kafkajs" | "kafkajs-no-deflate" | "binary-http" | "kafkajs-null-server";

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
  /** kafkajs without permessage-deflate ÷ binary HTTP records/s, per workload. */
  ratio_no_deflate: Record<string, number>;
  /** kafkajs against the null server ÷ binary HTTP records/s: the most the target can reach with kafkajs on this machine. */
  ceiling: Record<string, number>;
}

const CATCH_UP_FETCH_RECORDS = 5_000;

/** One kafkajs configuration: its door name, client, and the server process whose CPU it costs. */
interface KafkajsTarget {
  door: Exclude<KafkaDoor, "binary-http">;
  kafka: Kafka;
  server: number | null;
}

function kafkaOf(url: string, password: string, noDeflate: boolean): Kafka {
  return new Kafka({
    clientId: "flarelog-bench",
    brokers: ["flarelog:9092"],
    sasl: { mechanism: "plain", username: "default", password },
    socketFactory: kafkaSocketFactory({ url, ...(noDeflate ? { webSocket: webSocketWithoutDeflate() } : {}) }),
    logLevel: logLevel.NOTHING,
  });
}

interface NullServer {
  url: string;
  pid: number;
  close(): void;
}

/** bench/kafka-null-server.ts in a child process (its own core, as workerd), serving a catch-up log of `records`. */
async function startNullServer(records: number): Promise<NullServer> {
  const child = spawn(process.execPath, [new URL("./kafka-null-server.ts", import.meta.url).pathname, String(records)], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`kafka null server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  const { port } = JSON.parse(line) as { port: number };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, close: () => child.stdin!.end() };
}

/** CPU of the server (workerd, or the null server) and of this process spent in each configuration's measured runs. */
function cpuMeter(servers: (number | null)[]) {
  const spent = servers.map(() => ({ server: 0, client: 0 }));
  const around = async (i: number, run: () => Promise<LoadResult>): Promise<LoadResult> => {
    const pid = servers[i] ?? null;
    const s0 = pid === null ? null : processCpuSeconds(pid);
    const c0 = process.cpuUsage();
    const r = await run();
    const c = process.cpuUsage(c0);
    const s1 = pid === null ? null : processCpuSeconds(pid);
    spent[i]!.server += s0 === null || s1 === null ? Number.NaN : (s1 - s0) * 1000;
    spent[i]!.client += (c.user + c.system) / 1000;
    return r;
  };
  const perK = (ms: number, records: number) => (Number.isFinite(ms) && records > 0 ? Number(((ms / records) * 1000).toFixed(2)) : null);
  return { around, spent, perK };
}

/** The kafkajs configurations and the binary HTTP path, produce in interleaved rounds. */
async function produceRows(http: Http, targets: KafkajsTarget[], client: FlarelogClient, cfg: KafkaBenchConfig, batch: number, workerd: number | null): Promise<KafkaRow[]> {
  const topics = { kafkajs: `bench-kafka-kjs-${batch}`, binary: `bench-kafka-bin-${batch}` };
  for (const t of Object.values(topics)) await createTopic(client, t);
  const prng = new Prng(19);
  const messages = Array.from({ length: 4 }, () => Array.from({ length: batch }, () => ({ value: value(prng), partition: 0 })));
  const producers = targets.map((t) => t.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }));
  for (const p of producers) await p.connect();
  try {
    const sendOp = (p: (typeof producers)[number]) => async (i: number): Promise<OpOutcome> => {
      const sent = await p.send({ topic: topics.kafkajs, acks: 1, messages: messages[i % messages.length]! });
      if (sent[0]?.errorCode !== 0) throw new Error(`kafkajs produce: ${JSON.stringify(sent)}`);
      return { records: batch, payloadBytes: batch * VALUE_BYTES, wireBytes: batch * VALUE_BYTES };
    };
    const binaryOp = binaryProduceOp(http, topics.binary, "1", binaryBodies(produceBodies(batch, 19, 4)), batch);
    const requests = batch >= 1000 ? Math.max(20, Math.floor(cfg.produceRequests / 4)) : cfg.produceRequests;
    const cpu = cpuMeter([workerd, ...targets.map((t) => t.server)]);
    const loads = await runInterleaved(
      [{ op: binaryOp, concurrency: 1 }, ...producers.map((p) => ({ op: sendOp(p), concurrency: 1 }))],
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
    return [row("binary-http", 0), ...targets.map((t, i) => row(t.door, i + 1))];
  } finally {
    for (const p of producers) await p.disconnect();
  }
}

type CatchUp = LoadResult & { steadyRecordsPerS: number };

/**
 * A kafkajs consumer of a new group reads the whole log; each delivered batch is one op. The
 * time runs from before `connect()`: the group join, sync, offset fetch and ListOffsets are in
 * it, as a consumer catching up pays them; `steadyRecordsPerS` leaves them out (from the first
 * batch's arrival on, the first batch's records not counted).
 */
async function kafkajsCatchUp(kafka: Kafka, topic: string, group: string, records: number, capMs: number): Promise<CatchUp> {
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

async function catchUpRows(http: Http, targets: KafkajsTarget[], client: FlarelogClient, cfg: KafkaBenchConfig, workerd: number | null): Promise<KafkaRow[]> {
  const topic = "bench-kafka-log";
  const records = catchUpRecords(cfg);
  await createTopic(client, topic);
  const bodies = produceBodies(1000, 1919, 2);
  for (let i = 0; i * 1000 < records; i++) expectStatus("fill", await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, bodies[i % 2]), 200);
  const runs: CatchUp[][] = targets.map(() => []);
  const bin: Throughput[] = [];
  // One unmeasured pass per kafkajs configuration first (the binary passes warm up with their
  // own reads): the first catch-up of a process pays the JIT of kafkajs's and the door's code.
  for (const t of targets) await kafkajsCatchUp(t.kafka, topic, `bench-kafka-${t.door}-warm-up`, records, cfg.fetchCapMs);
  const cpu = cpuMeter([workerd, ...targets.map((t) => t.server)]);
  const shuffler = new Prng(23);
  for (let round = 0; round < cfg.produceRounds; round++) {
    const runBinary = () => cpu.around(0, async () => {
      const r = await sequentialPass(http, topic, records, CATCH_UP_FETCH_RECORDS, cfg.fetchCapMs, "binary");
      bin.push(r);
      return { requests: r.requests, records: r.records, payloadBytes: 0, wireBytes: 0, elapsedMs: r.elapsed_s * 1000, cappedByTime: r.capped_by_time, latencies: [] };
    });
    const runKafkajs = (k: number) => () => cpu.around(k + 1, async () => {
      const r = await kafkajsCatchUp(targets[k]!.kafka, topic, `bench-kafka-${targets[k]!.door}-g${round}`, records, cfg.fetchCapMs);
      runs[k]!.push(r);
      return r;
    });
    // Each round in its own seeded order, so no configuration always runs first or after the same one.
    for (const pass of shuffler.shuffle([runBinary, ...targets.map((_, k) => runKafkajs(k))])) await pass();
  }
  const best = bin.reduce((a, b) => (a.records_per_s >= b.records_per_s ? a : b));
  const median = [...bin].sort((a, b) => a.records_per_s - b.records_per_s)[Math.floor(bin.length / 2)] ?? best;
  // CPU over every round (the binary passes include their 10 warm-up reads each).
  const recordsOf = (rs: { records: number }[]) => rs.reduce((n, r) => n + r.records, 0);
  return [
    {
      door: "binary-http", workload: "catch-up", batch: records, ...median,
      server_cpu_ms_per_1k: cpu.perK(cpu.spent[0]!.server, recordsOf(bin)),
      client_cpu_ms_per_1k: cpu.perK(cpu.spent[0]!.client, recordsOf(bin)),
    },
    ...targets.map((t, k): KafkaRow => ({
      door: t.door, workload: "catch-up", batch: records, ...throughput(mergeLoads(runs[k]!)),
      steady_records_per_s: Math.round(runs[k]!.reduce((n, r) => n + r.steadyRecordsPerS, 0) / Math.max(1, runs[k]!.length)),
      server_cpu_ms_per_1k: cpu.perK(cpu.spent[k + 1]!.server, recordsOf(runs[k]!)),
      client_cpu_ms_per_1k: cpu.perK(cpu.spent[k + 1]!.client, recordsOf(runs[k]!)),
    })),
  ];
}

const catchUpRecords = (cfg: KafkaBenchConfig) => Math.min(cfg.fetchLogRecords, 20_000);

/** `workerd`: the Flarelog workerd process (for server CPU per record), null when unknown. */
export async function kafkaScenario(http: Http, client: FlarelogClient, cfg: KafkaBenchConfig, log: (line: string) => void, workerd: number | null): Promise<KafkaBenchResult> {
  const nul = await startNullServer(catchUpRecords(cfg));
  const targets: KafkajsTarget[] = [
    { door: "kafkajs", kafka: kafkaOf(http.base, http.token, false), server: workerd },
    { door: "kafkajs-no-deflate", kafka: kafkaOf(http.base, http.token, true), server: workerd },
    { door: "kafkajs-null-server", kafka: kafkaOf(nul.url, "null", true), server: nul.pid },
  ];
  let rows: KafkaRow[];
  try {
    rows = [
      ...(await produceRows(http, targets, client, cfg, 100, workerd)),
      ...(await produceRows(http, targets, client, cfg, 1000, workerd)),
      ...(await catchUpRows(http, targets, client, cfg, workerd)),
    ];
  } finally {
    nul.close();
  }
  for (const r of rows) log(`  ${r.workload} ${r.batch} ${r.door}: ${r.records_per_s} records/s, p50 ${r.latency.p50_ms} ms, p99 ${r.latency.p99_ms} ms`);
  const of = (workload: KafkaRow["workload"], batch: number, door: KafkaDoor) =>
    rows.find((r) => r.workload === workload && r.batch === batch && r.door === door)!;
  const x = (a: number, b: number) => Number((a / b).toFixed(3));
  const ratioOf = (door: KafkaDoor): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of rows.filter((y) => y.door === "binary-http")) out[`${r.workload} ${r.batch}`] = x(of(r.workload, r.batch, door).records_per_s, r.records_per_s);
    const binaryCatchUp = rows.find((r) => r.workload === "catch-up" && r.door === "binary-http")!;
    out["catch-up after the first batch"] = x(of("catch-up", binaryCatchUp.batch, door).steady_records_per_s ?? 0, binaryCatchUp.records_per_s);
    return out;
  };
  return { rows, ratio: ratioOf("kafkajs"), ratio_no_deflate: ratioOf("kafkajs-no-deflate"), ceiling: ratioOf("kafkajs-null-server") };
}
