/**
 * `flarelog produce <topic> [file]`: lines from stdin (or a file) to a topic, kcat -P style.
 * Each chunk of input that arrives becomes one `send` of its complete lines, so piped input is
 * batched and typed input goes out line by line. Piped input uses the idempotent producer (no
 * duplicates on retry, order kept per partition); `--no-idempotence` turns it off.
 *
 * Invariants: the topic (and `-p` partition) is checked before any input is read; a line that
 * cannot become a record stops the run there: the lines before it are sent and acknowledged,
 * nothing from it on is sent (exit 4, naming the line); Ctrl-C stops reading, waits for the sends in
 * flight and the producer's flush, prints the summary and exits 130. At most MAX_OUTSTANDING
 * chunks wait for their acknowledgement at once (backpressure on the input).
 */
import { createReadStream, statSync } from "node:fs";
import { FlarelogError } from "../flarelog-error.ts";
import type { Producer, ProducerRecord } from "../producer.ts";
import type { ProducerAcks } from "../producer-config.ts";
import type { RecordMetadata } from "../producer-batch.ts";
import { CliError, EXIT, flag, has, intFlag, pairs, usage, type FlagTable } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { check, json, progressLine } from "./output.ts";
import { LineSplitter, toRecord, type RecordShape } from "./records-in.ts";

export const PRODUCE_FLAGS: FlagTable = {
  "key-separator": { short: "K", value: true },
  header: { short: "H", value: true, repeat: true },
  partition: { short: "p", value: true },
  acks: { short: "a", value: true },
  input: { value: true },
  "json-records": { short: "J" },
  idempotence: {},
  "no-idempotence": {},
  "linger-ms": { value: true },
};

const MAX_OUTSTANDING = 32;

interface Summary {
  topic: string;
  records: number;
  bytes: number;
  partitions: Record<string, { first_offset: number; last_offset: number; records: number }>;
  /** The producer was idempotent (no duplicates on retry). */
  idempotent: boolean;
  interrupted: boolean;
}

function acksOf(raw: string | undefined): ProducerAcks {
  if (raw === undefined || raw === "all" || raw === "-1") return "all";
  if (raw === "0" || raw === "1") return raw;
  throw usage(`--acks must be 0, 1 or all, got "${raw}"`);
}

function shapeOf(c: CommandContext): RecordShape {
  const input = flag(c.args, "input") ?? (has(c.args, "json-records") ? "json" : "lines");
  if (input !== "lines" && input !== "json") throw usage(`--input must be lines or json, got "${input}"`);
  const sep = flag(c.args, "key-separator");
  if (sep === "") throw usage("--key-separator must not be empty");
  if (sep !== undefined && input === "json") throw usage("-K applies to lines; a JSON record names its key");
  return { keySeparator: sep, json: input === "json", headers: (pairs(c.args, "header") as Record<string, string> | undefined) ?? {} };
}

function makeProducer(c: CommandContext, piped: boolean, acks: ProducerAcks): Producer {
  if (has(c.args, "idempotence") && has(c.args, "no-idempotence")) throw usage("give --idempotence or --no-idempotence, not both");
  const idempotent = has(c.args, "no-idempotence") ? false : has(c.args, "idempotence") || (piped && acks === "all") ? true : undefined;
  try {
    return c.client.producer({ acks, lingerMs: intFlag(c.args, "linger-ms", piped ? 5 : 0)!, ...(idempotent !== undefined ? { idempotent } : {}) });
  } catch (e) {
    if (e instanceof FlarelogError) throw usage(e.message);
    throw e;
  }
}

function record(summary: Summary, metas: readonly RecordMetadata[]): void {
  for (const m of metas) {
    const p = (summary.partitions[m.partition] ??= { first_offset: m.offset, last_offset: m.offset, records: 0 });
    p.first_offset = Math.min(p.first_offset, m.offset);
    p.last_offset = Math.max(p.last_offset, m.offset);
    p.records++;
  }
  summary.records += metas.length;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch (e) {
    throw usage(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The progress line's painter: on a TTY without --json, at most every 200 ms unless forced. */
function progressDrawer(c: CommandContext, summary: Summary, totalBytes: number | undefined): (force?: boolean) => void {
  const started = Date.now();
  let drawn = 0;
  return (force = false) => {
    if (!c.tty || c.json || (!force && Date.now() - drawn < 200)) return;
    drawn = Date.now();
    c.out.stderr(progressLine(summary.records, summary.bytes, drawn - started, totalBytes));
  };
}

/** The run's end: its failure as one line and an exit code, else the summary and 0 (130 if interrupted). */
function report(c: CommandContext, summary: Summary, failure: unknown): number {
  if (failure instanceof CliError) throw new CliError(failure.exitCode, `${failure.message}; the ${summary.records} records before it were produced, nothing from it on`);
  if (failure instanceof FlarelogError) throw new CliError(EXIT.broker, `error ${failure.error} (${failure.errorCode}): ${failure.message}; ${summary.records} records were acknowledged before it`);
  if (failure !== undefined) throw failure;
  if (c.json) c.out.stdout(json(summary));
  else {
    const where = Object.entries(summary.partitions).map(([p, r]) => `partition ${p}: offsets ${r.first_offset}-${r.last_offset}`);
    c.out.stderr(`${summary.interrupted ? "Interrupted: " : ""}produced ${summary.records} records to ${summary.topic}${where.length ? ` (${where.join(", ")})` : ""}\n`);
  }
  return summary.interrupted ? EXIT.interrupted : EXIT.ok;
}

export async function produceCommand(c: CommandContext): Promise<number> {
  const [topic, file, ...extra] = c.args.positional;
  if (topic === undefined) throw usage("'produce' needs a topic");
  if (extra.length > 0) throw usage(`'produce' takes a topic and at most one file, got ${c.args.positional.length} arguments`);
  const shape = shapeOf(c);
  const acks = acksOf(flag(c.args, "acks"));
  const partition = intFlag(c.args, "partition");
  const meta = check(await c.client.describeTopic(topic));
  if (partition !== undefined && partition >= meta.partitions.length)
    throw new CliError(EXIT.broker, `error UNKNOWN_TOPIC_OR_PARTITION (3): topic ${topic} has partitions 0 to ${meta.partitions.length - 1}, not ${partition}`);
  const fromStdin = file === undefined || file === "-";
  const totalBytes = fromStdin ? undefined : sizeOf(file);
  const input = fromStdin ? c.stdin : createReadStream(file);
  const producer = makeProducer(c, file !== undefined || c.stdin.isTTY !== true, acks);
  const summary: Summary = { topic, records: 0, bytes: 0, partitions: {}, idempotent: producer.config.idempotent, interrupted: false };
  const draw = progressDrawer(c, summary, totalBytes);
  const outstanding: Promise<void>[] = [];
  let failure: unknown;
  const send = (records: ProducerRecord[], bytes: number) => {
    const p = producer.send(topic, records).then(
      (metas) => {
        record(summary, metas);
        summary.bytes += bytes;
        draw();
      },
      (e: unknown) => void (failure ??= e),
    );
    outstanding.push(p);
  };
  const stopReading = () => (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  c.interrupted.addEventListener("abort", stopReading, { once: true });
  const lines = new LineSplitter();
  let lineNo = 0;
  /** Sends a chunk's lines; at a bad line, sends the lines before it and stops the run. */
  const sendLines = (batch: string[], bytes: number) => {
    if (batch.length === 0 || failure !== undefined) return;
    const records: ProducerRecord[] = [];
    try {
      for (const line of batch) records.push({ ...toRecord(line, ++lineNo, shape), ...(partition === undefined ? {} : { partition }) });
    } catch (e) {
      failure = e;
    }
    if (records.length > 0) send(records, bytes);
  };
  try {
    try {
      for await (const chunk of input) {
        sendLines(lines.push(chunk as Uint8Array), (chunk as Uint8Array).length);
        while (outstanding.length > MAX_OUTSTANDING) await outstanding.shift();
        if (failure !== undefined || c.interrupted.aborted) break;
      }
    } catch (e) {
      if (!c.interrupted.aborted) throw e;
    }
    if (!c.interrupted.aborted) sendLines(lines.end(), 0);
  } finally {
    c.interrupted.removeEventListener("abort", stopReading);
    await Promise.all(outstanding);
    await producer.close().catch((e: unknown) => void (failure ??= e));
    draw(true);
    if (c.tty && !c.json) c.out.stderr("\n");
  }
  summary.interrupted = c.interrupted.aborted;
  return report(c, summary, failure);
}
