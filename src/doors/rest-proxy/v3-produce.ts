/**
 * REST Proxy v3 produce: `POST /v3/clusters/{c}/topics/{t}/records` (one record, or Confluent's
 * streamed mode: several JSON records one after another in the body, one delivery report each,
 * in order, concatenated) and `POST …/records:batch` (`{entries: [{id, …record}]}` → 207 with
 * `successes` and `failures` by id). acks=all.
 *
 * Invariants: every record is parsed and checked (partition exists, size) before anything is
 * written; a bad record gets its own error report and the others are written in one produce
 * (one append per partition), so an answer never reports a record that is not in the log at
 * the offset it names. An unknown topic fails the request as a whole (404 40403).
 */
import type { Context } from "hono";
import { LIMITS } from "../../protocol/config.ts";
import { ERRORS, kafkaError, type KafkaError } from "../../protocol/errors.ts";
import type { ServiceContext } from "../../services/context.ts";
import { produce, type ProduceRecord } from "../../services/produce.ts";
import { checkRecords } from "../../services/record-check.ts";
import { asKafkaError, must, stop } from "../../services/result.ts";
import { errorCodeOf, readJsonBody, readText, type RestProxyEnv } from "./answers.ts";
import { deliveryReport, parseRecord, splitJsonStream, toProduceRecord, type RestRecord } from "./records.ts";

type Parsed = { ok: true; rest: RestRecord; rec: ProduceRecord } | { ok: false; err: KafkaError };
type Report = { ok: true; report: ReturnType<typeof deliveryReport> } | { ok: false; err: KafkaError };

function parseOne(value: unknown): Parsed {
  try {
    const rest = parseRecord(value);
    return { ok: true, rest, rec: toProduceRecord(rest) };
  } catch (e) {
    return { ok: false, err: asKafkaError(e) };
  }
}

const UTF8 = new TextEncoder();
const ERR_UNSET = kafkaError("UNKNOWN_SERVER_ERROR", "no answer for this record");

/** Produces the good records in one request; each input gets its report or error, in order. */
async function produceAll(ctx: ServiceContext, clusterId: string, topic: string, parsed: Parsed[]): Promise<Report[]> {
  if (parsed.length > LIMITS.maxRecordsPerRequest) stop("INVALID_REQUEST", `at most ${LIMITS.maxRecordsPerRequest} records per request`);
  const good = parsed.flatMap((p, i) => (p.ok ? [{ p, i }] : []));
  const checks = must(await checkRecords(ctx, topic, good.map(({ p }) => p.rec)));
  const reports: Report[] = parsed.map((p) => (p.ok ? { ok: false, err: ERR_UNSET } : p));
  const writable = good.filter((_, k) => {
    if (checks[k] === null) return true;
    reports[good[k]!.i] = { ok: false, err: checks[k]! };
    return false;
  });
  if (writable.length === 0) return reports;
  const input = { topic, records: writable.map(({ p }) => p.rec), acks: -1 as const, timeoutMs: LIMITS.defaultProduceTimeoutMs };
  const r = must(await produce(ctx, input, Date.now()));
  if (r.accepted) throw new Error("acks=all produce answered as acks=0");
  r.records.forEach((o, k) => {
    const { p, i } = writable[k]!;
    reports[i] = "error" in o ? { ok: false, err: o.error } : { ok: true, report: deliveryReport(clusterId, topic, p.rest, p.rec, o) };
  });
  return reports;
}

const failure = (err: KafkaError) => {
  const status = ERRORS[err.error].status;
  return { error_code: errorCodeOf(err, status), message: `${err.error}: ${err.message}` };
};

/** Single or streamed records: one report per record, concatenated as Confluent streams them. */
export async function produceRecords(c: Context<RestProxyEnv>, ctx: ServiceContext, clusterId: string, topic: string): Promise<Response> {
  const texts = splitJsonStream(await readText(c));
  if (texts.length === 0) stop("INVALID_REQUEST", "the body holds no record");
  const parsed = texts.map((t) => {
    try {
      return parseOne(JSON.parse(t));
    } catch (e) {
      return { ok: false as const, err: e instanceof SyntaxError ? kafkaError("INVALID_REQUEST", `a record is not JSON: ${e.message}`) : asKafkaError(e) };
    }
  });
  const reports = await produceAll(ctx, clusterId, topic, parsed);
  const bodies = reports.map((r) => (r.ok ? { error_code: 200, ...r.report } : failure(r.err)));
  if (bodies.length === 1) {
    const only = reports[0]!;
    return c.json(bodies[0], only.ok ? 200 : (ERRORS[only.err.error].status as 400));
  }
  return new Response(bodies.map((b) => JSON.stringify(b)).join("\n"), { headers: { "content-type": "application/json" } });
}

/** `records:batch`: 207 with successes and failures by entry id. */
export async function produceBatchRecords(c: Context<RestProxyEnv>, ctx: ServiceContext, clusterId: string, topic: string): Promise<Response> {
  const body = (await readJsonBody(c)) as { entries?: unknown } | undefined;
  if (!body || !Array.isArray(body.entries) || body.entries.length === 0) stop("INVALID_REQUEST", "entries must be a non-empty list");
  const entries = body.entries as unknown[];
  const ids = entries.map((e) => (e && typeof e === "object" && "id" in e ? String((e as { id: unknown }).id) : ""));
  if (ids.some((id) => id === "")) stop("INVALID_REQUEST", "every entry needs an id");
  if (new Set(ids).size !== ids.length) stop("INVALID_REQUEST", "entry ids must be unique");
  const parsed = entries.map((e) => {
    const { id: _id, ...record } = e as Record<string, unknown>;
    return parseOne(record);
  });
  const reports = await produceAll(ctx, clusterId, topic, parsed);
  const successes = reports.flatMap((r, i) => (r.ok ? [{ id: ids[i]!, ...r.report }] : []));
  const failures = reports.flatMap((r, i) => (r.ok ? [] : [{ id: ids[i]!, ...failure(r.err) }]));
  return new Response(UTF8.encode(JSON.stringify({ successes, failures })), { status: 207, headers: { "content-type": "application/json" } });
}
