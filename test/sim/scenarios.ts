/**
 * The simulation's scenarios (issue 3, test 8): which faults each injects, how often, and the
 * network it runs on. RF 3 with min.insync.replicas 2; `withRf5` makes the RF 5 / min ISR 3
 * variant, where two replicas may be impaired at once.
 */
import type { LinkFaults } from "./network.ts";
import type { Scenario } from "./world.ts";

const calm: LinkFaults = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 20 };
const slow: LinkFaults = { dropRate: 0, dupRate: 0, minDelayMs: 5, maxDelayMs: 40 };
const lossy: LinkFaults = { dropRate: 0.15, dupRate: 0.15, minDelayMs: 1, maxDelayMs: 60 };

const base = {
  durationMs: 6000,
  quiesceMs: 4000,
  produceIntervalMs: [8, 40] as [number, number],
  acksAllShare: 0.5,
  chaosIntervalMs: [300, 1200] as [number, number],
  faultMs: [300, 2500] as [number, number],
  maxImpaired: 1,
};

export const BASELINE: Scenario = { ...base, name: "baseline", faults: calm, chaos: [] };

export const FOLLOWER_CHURN: Scenario = {
  ...base,
  name: "follower churn",
  faults: calm,
  chaos: ["crash-follower", "isolate-follower", "offline-follower"],
};

export const LEADER_CHURN: Scenario = {
  ...base,
  name: "leader churn",
  faults: calm,
  chaos: ["crash-leader", "isolate-leader", "offline-leader", "cut-leader-from-coordinator", "preferred-leader", "crash-follower"],
};

/** Leaders fail while holding records nobody else has, then come back as followers. */
export const DIVERGENCE: Scenario = {
  ...base,
  name: "divergence",
  faults: slow,
  chaos: ["crash-leader", "zombie-leader", "preferred-leader"],
  faultMs: [800, 2500],
};

/** A leader cut off from the coordinator and its followers while producers still reach it. */
export const ZOMBIE: Scenario = {
  ...base,
  name: "zombie leader",
  faults: calm,
  chaos: ["zombie-leader"],
  chaosIntervalMs: [500, 1500],
  faultMs: [1500, 3000],
};

export const LOSSY: Scenario = {
  ...base,
  name: "message loss and duplication",
  faults: lossy,
  chaos: ["crash-follower", "crash-leader", "isolate-follower", "preferred-leader"],
};

/**
 * Leaders and followers crash and restart (two at once) on a lossy network with a short lag
 * limit, so the ISR keeps shrinking and re-expanding and ISR proposals meet crashes and lost
 * answers: a restarted leader must remember the proposal it made.
 */
export const RESTARTS: Scenario = {
  ...base,
  name: "restarts",
  config: { replicaLagTimeMaxMs: 300 },
  faults: lossy,
  chaos: ["crash-follower", "crash-leader"],
  faultMs: [200, 2000],
  maxImpaired: 2,
};

export const SCENARIOS: readonly Scenario[] = [BASELINE, FOLLOWER_CHURN, LEADER_CHURN, DIVERGENCE, ZOMBIE, LOSSY, RESTARTS];

/** Issue 5: the same faults with idempotent producers that retry every failed or unanswered batch. */
export const IDEMPOTENT_SCENARIOS: readonly Scenario[] = [LEADER_CHURN, DIVERGENCE, ZOMBIE, LOSSY, RESTARTS].map((s) => ({
  ...s,
  name: `${s.name}, idempotent producers`,
  idempotent: true,
}));

export const withRf5 = (s: Scenario): Scenario => ({
  ...s,
  name: `${s.name} (RF 5)`,
  config: { ...s.config, replicas: 5, minInsyncReplicas: 3 },
  maxImpaired: Math.max(2, s.maxImpaired),
});
