/**
 * The simulation can fail: with a replication rule broken on purpose (a "mutant"), some seed
 * must violate an invariant. Guards against a checker that silently checks nothing.
 */
import { describe, expect, it } from "vitest";
import type { Mutant } from "./model.ts";
import { failureReport } from "./run-seeds.ts";
import { DIVERGENCE, IDEMPOTENT_SCENARIOS, LEADER_CHURN, RESTARTS } from "./scenarios.ts";
import { runSeed, type Scenario } from "./world.ts";

function firstFailure(scenario: Scenario, mutant: Mutant, maxSeeds = 30): { seed: number; violation: string } | null {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const o = runSeed(scenario, seed, mutant);
    if (o.violation) {
      console.log(failureReport(scenario, seed, o.violation, o.trace.slice(-5), mutant));
      return { seed, violation: o.violation };
    }
  }
  return null;
}

describe("the simulation catches broken replication rules", () => {
  it("a leader that raises the HW on its own LEO (ignoring the ISR) is caught: ISR members lack committed records", () => {
    expect(firstFailure(LEADER_CHURN, "hw-from-leader-only")?.violation).toMatch(/lacks committed records|differs|was committed/);
  });

  it("a follower that skips the log-matching check (prevOffset/prevEpoch) is caught", () => {
    expect(firstFailure(DIVERGENCE, "follower-skips-log-matching")?.violation).toMatch(/committed|HW/);
  });

  it("a leader that forgets, across a restart, the ISR change it proposed is caught: it commits without a member the coordinator added", () => {
    expect(firstFailure(RESTARTS, "leader-forgets-isr-proposal", 100)?.violation).toMatch(/lacks committed records/);
  }, 60_000);

  it("a leader that ignores the producer fields is caught by the idempotent scenarios: a retried batch is in the log twice", () => {
    const lossy = IDEMPOTENT_SCENARIOS.find((s) => s.name.startsWith("message loss"))!;
    expect(firstFailure(lossy, "leader-ignores-producer")?.violation).toMatch(/^duplicate/);
  });

  it("the same seed replays the same run exactly", () => {
    const a = runSeed(LEADER_CHURN, 7);
    const b = runSeed(LEADER_CHURN, 7);
    expect(b.stats).toEqual(a.stats);
    expect(b.trace).toEqual(a.trace);
  });
});
