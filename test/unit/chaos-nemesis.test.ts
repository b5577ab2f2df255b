/**
 * Proves the chaos schedule (chaos/nemesis.ts `schedule`) keeps its promises with the lost-answer
 * fault (issue 5): respdrop is in the default set and a short run sees it, with a seeded rate of
 * 30–100%; a seed replays its schedule; and a class list without respdrop draws exactly the
 * schedule it drew before respdrop existed (seed 1's quick schedule as recorded at 7baedbd), so
 * earlier runs and experiments replay. Issue 16: the replication lag fault is a default class too,
 * every quick run sees it, its four kinds each set the push faults they name, and a class list
 * without it (and without respdrop) still replays the old schedule; so is the clock-skew fault.
 */
import { describe, expect, it } from "vitest";
import { FAULT_CLASSES, lagState, schedule } from "../../chaos/nemesis.ts";

const quick = (seed: number, classes = FAULT_CLASSES) => schedule({ seed, classes, partitions: 2, durationMs: 75_000, quick: true });

describe("chaos schedule", () => {
  it("respdrop is a default fault class, seen in every quick run, at a seeded rate of 30-100%", () => {
    expect(FAULT_CLASSES).toContain("respdrop");
    for (let seed = 1; seed <= 20; seed++) {
      const drops = quick(seed).filter((f) => f.kind === "proxy-respdrop");
      expect(drops.length, `seed ${seed}`).toBeGreaterThan(0);
      for (const f of drops) {
        expect(f.dropRate).toBeGreaterThanOrEqual(0.3);
        expect(f.dropRate).toBeLessThanOrEqual(1);
        expect(f.dropSeed).toBeGreaterThan(0);
      }
    }
  });

  it("a seed replays its schedule", () => {
    expect(quick(5)).toEqual(quick(5));
    expect(quick(5)).not.toEqual(quick(6));
  });

  it("without respdrop a seed draws the schedule it drew before respdrop existed", () => {
    const before = quick(1, ["offline", "kill", "proxy"]);
    expect(before.slice(0, 4).map((f) => [f.kind, f.calmMs, f.durationMs])).toEqual([
      ["offline", 3000, 3257],
      ["kill", 5205, 1755],
      ["proxy-drop", 4309, 4204],
      ["proxy-slow", 3471, 3681],
    ]);
    expect(before).toHaveLength(9);
    expect(before.every((f) => f.kind !== "proxy-respdrop" && f.dropRate === 0)).toBe(true);
  });

  it("lag is a default fault class, seen in every quick run; its kinds set the push faults they name", () => {
    expect(FAULT_CLASSES).toContain("lag");
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const lags = quick(seed).filter((f) => f.kind === "lag");
      expect(lags.length, `seed ${seed}`).toBeGreaterThan(0);
      for (const f of lags) {
        kinds.add(f.lag!.kind);
        expect(f.lag!.minMs).toBeGreaterThanOrEqual(50);
        expect(f.lag!.maxMs).toBeGreaterThan(f.lag!.minMs);
      }
    }
    expect([...kinds].sort()).toEqual(["asymmetric", "pause", "slow", "slow-follower"]);
    const fault = quick(1).find((f) => f.kind === "lag")!;
    const at = (kind: "slow" | "slow-follower" | "asymmetric" | "pause") => lagState({ ...fault, pick: 1, lag: { ...fault.lag!, kind } }, 0, 3);
    expect(at("slow")).toEqual({ rules: [{ leg: "request", minMs: fault.lag!.minMs, maxMs: fault.lag!.maxMs }], paused: [] });
    expect(at("slow-follower").rules).toEqual([{ leg: "request", to: 2, minMs: fault.lag!.minMs, maxMs: fault.lag!.maxMs }]);
    expect(at("asymmetric").rules).toEqual([{ leg: "answer", minMs: fault.lag!.minMs, maxMs: fault.lag!.maxMs }]);
    expect(at("pause")).toEqual({ rules: [], paused: [{ partition: fault.partition, replica: 2 }] });
  });

  it("skew is a default fault class, seen in every quick run: one replica id's clocks jump 5-45 s either way", () => {
    expect(FAULT_CLASSES).toContain("skew");
    const signs = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const skews = quick(seed).filter((f) => f.kind === "skew");
      expect(skews.length, `seed ${seed}`).toBeGreaterThan(0);
      for (const f of skews) {
        expect(Math.abs(f.skew!.ms)).toBeGreaterThanOrEqual(5_000);
        expect(Math.abs(f.skew!.ms)).toBeLessThanOrEqual(45_000);
        expect([0, 1, 2]).toContain(f.skew!.replica);
        signs.add(Math.sign(f.skew!.ms));
      }
    }
    expect([...signs].sort()).toEqual([-1, 1]);
  });
});
