/**
 * The produce body's fast validator (`fastProduceBody`, src/contract/schemas.ts) against zod's
 * `ProduceSchema`, its oracle: on seeded random bodies, valid and broken in every field, the
 * fast path never accepts what zod refuses, returns what zod returns when it accepts, and does
 * accept the ordinary valid bodies (so the fast path is the one that runs).
 */
import { describe, expect, it } from "vitest";
import { fastProduceBody, ProduceSchema } from "../../src/contract/schemas.ts";
import { Prng } from "../support/prng.ts";

function pick<T>(prng: Prng, xs: readonly T[]): T {
  return xs[prng.int(0, xs.length - 1)]!;
}

const ODD_VALUES: unknown[] = [1, -1, 0.5, true, [], {}, "", "x", null, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, -0, 32768, 2147483648];

function randomRecord(prng: Prng, broken: boolean): unknown {
  const r: Record<string, unknown> = {};
  if (prng.int(0, 3) > 0) r.value = prng.int(0, 5) > 0 ? "v".repeat(prng.int(0, 5)) : null;
  if (prng.int(0, 2) === 0) r.key = prng.int(0, 3) > 0 ? "k" : null;
  if (prng.int(0, 3) === 0) r.headers = prng.int(0, 3) > 0 ? { h: "x", n: null } : {};
  if (prng.int(0, 3) === 0) r.partition = prng.int(0, 3);
  if (prng.int(0, 3) === 0) r.timestamp = prng.int(0, 2 ** 40);
  if (broken) {
    const field = pick(prng, ["key", "value", "headers", "partition", "timestamp", "extra", "__proto__", "self"]);
    if (field === "self") return pick(prng, ODD_VALUES);
    if (field === "headers") r.headers = pick(prng, [...ODD_VALUES, { h: 1 }, { h: undefined }, ["x"]]);
    else if (field === "__proto__") Object.defineProperty(r, "__proto__", { value: 1, enumerable: true });
    else r[field] = pick(prng, ODD_VALUES);
  }
  return r;
}

function randomBody(prng: Prng): { body: unknown; broken: boolean } {
  const broken = prng.int(0, 2) === 0;
  const n = prng.int(1, 6);
  const badAt = broken ? prng.int(-1, n) : -2;
  const body: Record<string, unknown> = { records: Array.from({ length: n }, (_, i) => randomRecord(prng, i === badAt)) };
  if (prng.int(0, 2) === 0) body.encoding = pick(prng, ["utf8", "base64"]);
  if (prng.int(0, 3) === 0) Object.assign(body, { producer_id: prng.int(0, 9), producer_epoch: prng.int(0, 3), base_sequence: prng.int(0, 99) });
  if (badAt === -1) {
    const field = pick(prng, ["records", "encoding", "producer_id", "producer_epoch", "base_sequence", "extra"]);
    body[field] = field === "records" ? pick(prng, [[], "x", null, {}]) : pick(prng, [...ODD_VALUES, "latin1"]);
  }
  if (badAt === n) body.records = [...(body.records as unknown[]), ...Array.from({ length: 10_000 }, () => ({ value: "x" }))];
  return { body: JSON.parse(JSON.stringify(body)) as unknown, broken };
}

describe("fastProduceBody", () => {
  it("never accepts a body zod refuses, and returns zod's value for every body it accepts (seeded)", () => {
    const prng = new Prng(4242);
    let fast = 0;
    let zodOnly = 0;
    for (let i = 0; i < 5_000; i++) {
      const { body } = randomBody(prng);
      const z = ProduceSchema.safeParse(body);
      const f = fastProduceBody(body);
      if (f !== null) {
        expect(z.success).toBe(true);
        expect(f).toEqual(z.data);
        fast++;
      } else if (z.success) zodOnly++;
    }
    expect(fast).toBeGreaterThan(1_000);
    // Everything valid here is ordinary: the fast path takes all of it.
    expect(zodOnly).toBe(0);
  });

  it("takes a body built the way clients send it (1,000 records, headers, keys, producer fields)", () => {
    const body = {
      records: Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: "x".repeat(100), headers: { a: "b" }, timestamp: 1_700_000_000_000 + i })),
      producer_id: 1,
      producer_epoch: 0,
      base_sequence: 0,
    };
    expect(fastProduceBody(body)).toEqual(ProduceSchema.parse(body));
  });

  it("leaves a body with an own __proto__ key to zod", () => {
    expect(fastProduceBody(JSON.parse('{"records":[{"value":"x"}],"__proto__":{"a":1}}'))).toBeNull();
  });
});
