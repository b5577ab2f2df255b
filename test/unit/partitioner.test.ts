/**
 * Proves the key partitioner is Kafka's: murmur2 matches the Java client's published vectors,
 * and for 10,000 seeded random keys the chosen partition equals kafkajs' JavaCompatiblePartitioner
 * (the oracle) at several partition counts. Also pins the round-robin spreading of keyless records.
 */
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { murmur2, toPositive } from "../../src/protocol/murmur2.ts";
import { partitionForKey, RoundRobinPartitioner } from "../../src/protocol/partitioner.ts";

/** mulberry32: a tiny seeded PRNG so the random keys are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const utf8 = new TextEncoder();
const SAMPLE_CHARS = ["a", "Z", "0", "-", " ", "é", "ß", "Ж", "中", "文", "日本", "🦀", "👍🏽", "\u0000", "\uffff"];

function randomKey(rand: () => number): Uint8Array {
  const len = Math.floor(rand() * 101); // 0..100
  if (rand() < 0.5) {
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = Math.floor(rand() * 256);
    return bytes;
  }
  let s = "";
  while (s.length < len) s += SAMPLE_CHARS[Math.floor(rand() * SAMPLE_CHARS.length)];
  return utf8.encode(s);
}

function metadata(n: number): PartitionMetadata[] {
  return Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
}

describe("murmur2", () => {
  it("returns the Java client's signed 32-bit hash for Kafka's own test vectors", () => {
    const cases: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(utf8.encode(key)), key).toBe(hash);
  });

  it("toPositive clears only the sign bit", () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});

describe("partitionForKey", () => {
  it("picks the same partition as kafkajs' JavaCompatiblePartitioner for 10,000 random keys", () => {
    const rand = prng(0xf1a2e);
    const counts = [1, 3, 7, 100, 1000];
    const oracle = Partitioners.JavaCompatiblePartitioner();
    const meta = new Map(counts.map((n) => [n, metadata(n)]));
    let lengthZero = 0;
    for (let i = 0; i < 10_000; i++) {
      const key = randomKey(rand);
      if (key.length === 0) lengthZero++;
      const n = counts[i % counts.length]!;
      const expected = oracle({
        topic: "t",
        partitionMetadata: meta.get(n)!,
        message: { key: Buffer.from(key), value: null },
      });
      const actual = partitionForKey(key, n);
      if (actual !== expected) expect.fail(`key ${Buffer.from(key).toString("hex")} n=${n}: ${actual} ≠ ${expected}`);
    }
    expect(lengthZero).toBeGreaterThan(0);
  });

  it("is always within [0, numPartitions)", () => {
    const rand = prng(7);
    for (let i = 0; i < 1000; i++) {
      const p = partitionForKey(randomKey(rand), 13);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(13);
    }
  });
});

describe("RoundRobinPartitioner", () => {
  it("visits every partition in turn, counting each topic separately", () => {
    const rr = new RoundRobinPartitioner();
    expect([0, 1, 2, 3].map(() => rr.next("a", 3))).toEqual([0, 1, 2, 0]);
    expect(rr.next("b", 2)).toBe(0);
    expect(rr.next("a", 3)).toBe(1);
  });

  it("stays non-negative when the int32 counter wraps", () => {
    const rr = new RoundRobinPartitioner(() => 0x7fffffff);
    const seen = [0, 1, 2].map(() => rr.next("t", 10));
    for (const p of seen) expect(p).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual([7, 0, 1]); // 0x7fffffff % 10 = 7; then -2^31 → 0; then 1
  });
});
