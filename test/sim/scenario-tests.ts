/**
 * The simulation's test body, shared by the RF 3 and RF 5 files: one test per scenario (every
 * invariant after every event, for every seed, plus what the scenario must have exercised), and
 * one that reports acks=1 loss after leader failures and asserts acks=all loss is zero.
 */
import { describe, expect, it } from "vitest";
import type { SimStats } from "./model.ts";
import { runScenario, summaryLine } from "./run-seeds.ts";
import { BASELINE, DIVERGENCE, FOLLOWER_CHURN, IDEMPOTENT_SCENARIOS, LEADER_CHURN, LOSSY, RESTARTS, SCENARIOS, ZOMBIE } from "./scenarios.ts";
import type { Scenario } from "./world.ts";

const INVARIANTS =
  "HW and epochs never go back, one leader per epoch, the committed prefix is identical on every ISR member and every later leader, no record below a HW changes, acks=all acks are committed, and the cluster converges";

/** Long enough for 100 seeds of a scenario on a slow machine; the whole file takes seconds. */
const TIMEOUT_MS = 120_000;

export function simulationSuite(title: string, variant: (s: Scenario) => Scenario): void {
  const variants = new Map([...SCENARIOS, ...IDEMPOTENT_SCENARIOS].map((s) => [s, variant(s)]));
  const sc = (s: Scenario) => variants.get(s)!;
  /** The summed stats; `exercised` (what the scenario must have made happen) needs many seeds, not a SEED replay. */
  const run = (s: Scenario, exercised: (t: SimStats) => void = () => {}) => {
    const r = runScenario(sc(s));
    console.log(summaryLine(r));
    if (r.seeds >= 20) exercised(r.totals);
    return r.totals;
  };

  describe(title, () => {
    it(`baseline: ${INVARIANTS}; with no faults every acks=all produce succeeds and nothing is lost`, () => {
      const t = run(BASELINE);
      expect(t.failed.acksAll + t.failed.acks1).toBe(0);
      expect(t.elections).toBe(0);
      expect(t.acks1Lost).toBe(0);
    }, TIMEOUT_MS);

    it(`follower churn: ${INVARIANTS}; followers leave and rejoin the ISR, and with the leader alive no acks=1 record is lost`, () => {
      const t = run(FOLLOWER_CHURN, (x) => {
        expect(x.isrShrinks).toBeGreaterThan(0);
        expect(x.isrExpands).toBeGreaterThan(0);
      });
      expect(t.acks1Lost).toBe(0);
    }, TIMEOUT_MS);

    it(`leader churn (crash, isolation, offline, cut from the coordinator, preferred leader): ${INVARIANTS}`, () => {
      run(LEADER_CHURN, (t) => expect(t.elections).toBeGreaterThan(0));
    }, TIMEOUT_MS);

    it(`divergence: old leaders come back with uncommitted tails and truncate them by epoch; ${INVARIANTS}`, () => {
      run(DIVERGENCE, (t) => expect(t.truncatedRecords).toBeGreaterThan(0));
    }, TIMEOUT_MS);

    it(`zombie leader: a leader cut off from the coordinator and its followers keeps appending but never gets acks=all confirmed; ${INVARIANTS}`, () => {
      const t = run(ZOMBIE, (x) => expect(x.zombieAppends).toBeGreaterThan(0));
      expect(t.zombieAcksAll).toBe(0);
    }, TIMEOUT_MS);

    it(`message loss and duplication: ${INVARIANTS}`, () => {
      run(LOSSY, (t) => {
        expect(t.dropped).toBeGreaterThan(0);
        expect(t.duplicated).toBeGreaterThan(0);
      });
    }, TIMEOUT_MS);

    it(`restarts (crashes of leaders and followers, two at once, ISR churn, lossy network): ${INVARIANTS}`, () => {
      run(RESTARTS, (t) => {
        expect(t.elections).toBeGreaterThan(0);
        expect(t.isrExpands).toBeGreaterThan(0);
      });
    }, TIMEOUT_MS);

    for (const s of IDEMPOTENT_SCENARIOS)
      it(`${s.name}: ${INVARIANTS}; retried batches are in the log exactly once and in each producer's order, never refused as out of sequence`, () => {
        const t = run(s, (x) => {
          expect(x.idempotentRetries).toBeGreaterThan(0);
          expect(x.duplicateAnswers).toBeGreaterThan(0);
        });
        expect(t.acksAllLost).toBe(0);
      }, TIMEOUT_MS);

    it("acks=1 loss after leader failures is measured (allowed); acks=all loss is zero in every scenario", () => {
      const rows = SCENARIOS.map((s) => runScenario(sc(s)));
      const table = rows.map(({ scenario: s, totals: t }) => {
        const pct = t.acked.acks1 ? ((100 * t.acks1Lost) / t.acked.acks1).toFixed(2) : "0.00";
        return `${s.name.padEnd(40)} acks=1: ${String(t.acks1Lost).padStart(6)} of ${String(t.acked.acks1).padStart(7)} acked records lost (${pct}%), ${t.elections} elections; acks=all: 0 of ${t.acked.acksAll} lost`;
      });
      console.log(`${title}: acks=1 loss after leader failures\n${table.join("\n")}`);
      for (const { totals: t } of rows) {
        expect(t.acksAllLost).toBe(0);
        expect(t.acks1Lost).toBeLessThanOrEqual(t.acked.acks1);
        if (t.elections === 0) expect(t.acks1Lost).toBe(0);
      }
      if (rows[0]!.seeds >= 20) expect(rows.reduce((n, r) => n + r.totals.acks1Lost, 0)).toBeGreaterThan(0);
    }, TIMEOUT_MS);
  });
}
