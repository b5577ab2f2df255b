/**
 * The bench's interleaved rounds (bench/harness.ts `runInterleaved`): every configuration runs
 * once a round, its requests counted to it, and the rounds' orders are drawn from a seed, so no
 * configuration always follows the same one (a fixed rotation did: each row then always paid
 * what its one predecessor left behind), while every run draws the same orders.
 */
import { describe, expect, it } from "vitest";
import { runInterleaved } from "../../bench/harness.ts";

/** Runs `n` configurations of one request each for `rounds` rounds; the order they ran in. */
async function orderOf(n: number, rounds: number): Promise<{ ran: number[]; requests: number[] }> {
  const ran: number[] = [];
  const configs = Array.from({ length: n }, (_, c) => ({
    concurrency: 1,
    op: async () => {
      ran.push(c);
      return { records: 1, payloadBytes: 0, wireBytes: 0 };
    },
  }));
  const loads = await runInterleaved(configs, { warmup: 0, requests: rounds, rounds, capMs: 60_000 });
  return { ran, requests: loads.map((l) => l.requests) };
}

describe("interleaved rounds", () => {
  it("run every configuration once a round, in orders where no configuration always follows the same one", async () => {
    const n = 6;
    const rounds = 8;
    const { ran, requests } = await orderOf(n, rounds);
    expect(requests).toEqual(Array(n).fill(rounds));
    const orders = Array.from({ length: rounds }, (_, r) => ran.slice(r * n, (r + 1) * n));
    for (const order of orders) expect([...order].sort()).toEqual([...Array(n).keys()]);
    // Each configuration's predecessors within a round: more than one for every configuration that ever had one.
    const before = new Map<number, Set<number>>();
    for (const order of orders) for (let k = 1; k < n; k++) before.set(order[k]!, (before.get(order[k]!) ?? new Set()).add(order[k - 1]!));
    for (const [c, preds] of before) expect(preds.size, `configuration ${c}'s predecessors`).toBeGreaterThan(1);
  });

  it("draw the same orders on every run", async () => {
    const a = await orderOf(5, 6);
    const b = await orderOf(5, 6);
    expect(b.ran).toEqual(a.ran);
  });
});
