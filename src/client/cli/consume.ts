/**
 * `flarelog consume <topic>`: records to stdout, kcat -C style.
 *   -o beginning|end|<offset>|-<n>|s@<ms>   where each partition starts (default beginning, as
 *                                            kcat): an offset, n before the end, or the first
 *                                            record at or after a time (epoch ms)
 *   -p <partition>   one partition (default all);  -c <n>  stop after n records
 *   -e               exit once every partition is read to its high watermark (else follow)
 *   -f <format>      kcat's format string (output.ts); --json prints one JSON object per record
 *   -g <group>       read as a member of a consumer group (committing after each printed batch)
 *
 * Without -g the command reads the partitions itself: one fetch per partition at a time, each
 * partition's records printed in offset order. Following long-polls each partition. Ctrl-C
 * stops after the batch being printed (a group member commits it and leaves) and exits 130.
 */
import type { FetchResponse, FlarelogClient } from "../flarelog-client.ts";
import { EXIT, flag, has, intFlag, usage, type FlagTable } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { check, compileFormat, json, type PrintedRecord } from "./output.ts";

export const CONSUME_FLAGS: FlagTable = {
  offset: { short: "o", value: true },
  "from-beginning": {},
  partition: { short: "p", value: true },
  count: { short: "c", value: true },
  exit: { short: "e" },
  follow: {},
  format: { short: "f", value: true },
  "key-separator": { short: "K", value: true },
  group: { short: "g", value: true },
  "max-records": { value: true },
};

/** Records per fetch: the API's maximum, so a long log is read in few requests. */
const FETCH_RECORDS = 10_000;
/** Long poll while following. */
const FOLLOW_WAIT_MS = 1_000;

type Start = "earliest" | "latest" | { offset: number } | { fromEnd: number } | { timestamp: number };

function startOf(raw: string | undefined): Start {
  if (raw === undefined || raw === "beginning") return "earliest";
  if (raw === "end") return "latest";
  if (/^\d+$/.test(raw)) return { offset: Number(raw) };
  if (/^-\d+$/.test(raw)) return { fromEnd: -Number(raw) };
  if (/^s@\d+$/.test(raw)) return { timestamp: Number(raw.slice(2)) };
  throw usage(`-o takes beginning, end, an offset, -<n> (n before the end) or s@<epoch ms>, got "${raw}"`);
}

async function startOffset(client: FlarelogClient, topic: string, partition: number, start: Start): Promise<number> {
  if (typeof start === "object" && "offset" in start) return start.offset;
  if (typeof start === "object" && "fromEnd" in start) {
    const [end, first] = [check(await client.listOffsets(topic, partition, "latest")), check(await client.listOffsets(topic, partition, "earliest"))];
    return Math.max(first.offset, end.offset - start.fromEnd);
  }
  const spec = typeof start === "object" ? start.timestamp : start;
  return check(await client.listOffsets(topic, partition, spec)).offset;
}

interface Printer {
  print(records: PrintedRecord[]): void;
  /** Records printed so far. */
  count: number;
  /** -c reached. */
  done: boolean;
}

function printerOf(c: CommandContext): Printer {
  const sep = flag(c.args, "key-separator");
  const fmt = flag(c.args, "format") ?? (sep === undefined ? "%s\\n" : `%k${sep.replace(/%/g, "%%")}%s\\n`);
  const line = c.json ? (r: PrintedRecord) => json(r) : compileFormat(fmt);
  const limit = intFlag(c.args, "count", undefined, 1);
  const p: Printer = {
    count: 0,
    done: false,
    print(records) {
      const take = limit === undefined ? records : records.slice(0, limit - p.count);
      if (take.length > 0) c.out.stdout(take.map(line).join(""));
      p.count += take.length;
      p.done = limit !== undefined && p.count >= limit;
    },
  };
  return p;
}

const printed = (topic: string, partition: number, body: FetchResponse): PrintedRecord[] =>
  body.records.map((r) => ({ topic, partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }));

async function consumePartitions(c: CommandContext, topic: string, out: Printer): Promise<void> {
  const meta = check(await c.client.describeTopic(topic));
  const only = intFlag(c.args, "partition");
  if (only !== undefined && only >= meta.partitions.length) throw usage(`topic ${topic} has partitions 0 to ${meta.partitions.length - 1}, not ${only}`);
  const partitions = only === undefined ? meta.partitions.map((p) => p.partition) : [only];
  const start = has(c.args, "from-beginning") ? "earliest" : startOf(flag(c.args, "offset"));
  const position = new Map<number, number>();
  for (const p of partitions) position.set(p, await startOffset(c.client, topic, p, start));
  const exitAtEnd = has(c.args, "exit");
  const maxRecords = intFlag(c.args, "max-records", FETCH_RECORDS, 1)!;
  const atEnd = new Set<number>();
  while (!out.done && !c.interrupted.aborted) {
    const pending = partitions.filter((p) => !(exitAtEnd && atEnd.has(p)));
    if (pending.length === 0) return;
    const idle = pending.every((p) => atEnd.has(p));
    const answers = await Promise.all(
      pending.map(async (p) => {
        const query = { offset: position.get(p)!, max_records: maxRecords, ...(idle && !exitAtEnd ? { wait_ms: FOLLOW_WAIT_MS } : {}) };
        return [p, await c.client.fetchRecords(topic, p, query, { signal: c.interrupted }).catch((e: unknown) => (c.interrupted.aborted ? undefined : Promise.reject(e)))] as const;
      }),
    );
    for (const [p, r] of answers) {
      if (r === undefined || out.done) continue;
      const body = check(r);
      out.print(printed(topic, p, body));
      position.set(p, body.next_offset);
      if (body.next_offset >= body.high_watermark) atEnd.add(p);
      else atEnd.delete(p);
    }
  }
}

async function consumeGroup(c: CommandContext, topic: string, group: string, out: Printer): Promise<void> {
  const raw = flag(c.args, "offset");
  if (raw !== undefined && raw !== "beginning" && raw !== "end") throw usage("with -g, -o takes beginning or end (where a partition without a committed offset starts)");
  if (has(c.args, "partition")) throw usage("with -g the group assigns partitions; -p is for reading without a group");
  const autoOffsetReset = raw === "end" ? "latest" : "earliest";
  check(await c.client.describeTopic(topic));
  const consumer = c.client.groupConsumer({ group, topics: [topic], autoOffsetReset, maxPollRecords: intFlag(c.args, "max-records", FETCH_RECORDS, 1)! });
  const exitAtEnd = has(c.args, "exit");
  try {
    while (!out.done && !c.interrupted.aborted) {
      const records = await consumer.poll({ waitMs: exitAtEnd ? 0 : FOLLOW_WAIT_MS });
      const before = out.count;
      out.print(records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })));
      // Commit what was printed (with -c, not the records past the limit): each partition's next offset.
      const next = new Map<string, { topic: string; partition: number; offset: number }>();
      for (const r of records.slice(0, out.count - before)) next.set(`${r.topic}\u0000${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
      if (next.size > 0) await consumer.commit([...next.values()]);
      if (exitAtEnd && records.length === 0 && consumer.assignment().length > 0) return;
    }
  } finally {
    await consumer.close();
  }
}

export async function consumeCommand(c: CommandContext): Promise<number> {
  if (c.args.positional.length !== 1) throw usage(`'consume' takes one topic, got ${c.args.positional.length} arguments`);
  const topic = c.args.positional[0]!;
  const out = printerOf(c);
  const group = flag(c.args, "group");
  if (has(c.args, "exit") && has(c.args, "follow")) throw usage("give -e (exit at end) or --follow, not both");
  if (group === undefined) await consumePartitions(c, topic, out);
  else await consumeGroup(c, topic, group, out);
  return c.interrupted.aborted ? EXIT.interrupted : EXIT.ok;
}
