/**
 * HTTP helpers shared by the benchmark scenarios (bench/core.ts, bench/reads.ts, bench/replication.ts
 * and the others): plain global fetch (undici, keep-alive) for the measured requests, so each
 * one's wire bytes are known and no client-side layer adds work; the typed client for setup.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { Prng, type OpOutcome } from "./harness.ts";

export const VALUE_BYTES = 100;
export const PRODUCE_BATCH = 100;
/** Per-request timeout: a hung request fails the run instead of stalling it. */
export const REQUEST_TIMEOUT_MS = 60_000;

export interface Http {
  base: string;
  token: string;
}

export async function call(
  http: Http,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(http.base + path, {
    method,
    headers: { authorization: `Bearer ${http.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, text: await res.text() };
}

export function expectStatus(what: string, r: { status: number; text: string }, status: number): void {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status}, expected ${status}: ${r.text.slice(0, 500)}`);
}

/** A value of `bytes` (default `VALUE_BYTES`) ASCII letters and digits (so 1 char = 1 byte and JSON needs no escapes). */
export function value(prng: Prng, bytes = VALUE_BYTES): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < bytes; i++) s += alphabet[prng.int(0, alphabet.length - 1)];
  return s;
}

/** A few distinct pre-serialized produce bodies of `n` records of `valueBytes` each, used round-robin. */
export function produceBodies(n: number, seed: number, variants = 8, valueBytes = VALUE_BYTES): string[] {
  const prng = new Prng(seed);
  return Array.from({ length: variants }, () => JSON.stringify({ records: Array.from({ length: n }, () => ({ value: value(prng, valueBytes) })) }));
}

/** JSON produce of `n` records per body to partition 0, or to `path` (topic-level: the server partitions). */
export function produceOp(
  http: Http,
  topic: string,
  acks: string,
  bodies: string[],
  n: number,
  path = `/v1/topics/${topic}/partitions/0/records?acks=${acks}`,
): (i: number) => Promise<OpOutcome> {
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await call(http, "POST", path, body);
    expectStatus(`produce to ${topic}`, r, 200);
    const { offsets } = JSON.parse(r.text) as { offsets: { offset?: number }[] };
    if (offsets.length !== n || offsets.some((o) => o.offset === undefined))
      throw new Error(`produce to ${topic}: expected ${n} offsets, got ${r.text.slice(0, 300)}`);
    return { records: n, payloadBytes: n * VALUE_BYTES, wireBytes: body.length };
  };
}

/** A one-partition topic; replication factor 1 unless given. */
export async function createTopic(
  client: FlarelogClient,
  name: string,
  opts: { replication_factor?: number; configs?: Record<string, string> } = {},
): Promise<void> {
  const r = await client.createTopic(name, { partitions: 1, replication_factor: opts.replication_factor ?? 1, ...(opts.configs ? { configs: opts.configs } : {}) });
  if (!r.ok) throw new Error(`create topic ${name}: HTTP ${r.status} ${JSON.stringify(r.error)}`);
}
