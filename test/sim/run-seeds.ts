/**
 * Runs a scenario over many seeds for the simulation tests: which seeds (`SEED=123` replays one,
 * `SIM_SEEDS=1000` runs more), a failure report with the seed, the violation and the event
 * trace tail, and the stats summed over the seeds. Results are memoized per scenario so a test
 * file's report test reuses the runs of its scenario tests.
 */
import type { Mutant, SimStats } from "./model.ts";
import { emptyStats } from "./model.ts";
import { runSeed, type Scenario } from "./world.ts";

export const DEFAULT_SEEDS = 100;

/** The seeds to run: SEED alone if set, else 1..SIM_SEEDS (default 100). */
export function seedsToRun(): number[] {
  const one = process.env.SEED;
  if (one !== undefined && one !== "") return [Number(one)];
  const n = Number(process.env.SIM_SEEDS ?? DEFAULT_SEEDS);
  return Array.from({ length: n }, (_, i) => i + 1);
}

export interface ScenarioRun {
  scenario: Scenario;
  seeds: number;
  wallMs: number;
  totals: SimStats;
}

function add(into: SimStats, s: SimStats): void {
  for (const key of Object.keys(into) as (keyof SimStats)[]) {
    const v = into[key];
    const w = s[key];
    if (typeof v === "number" && typeof w === "number") (into[key] as number) = v + w;
    else if (typeof v === "object" && typeof w === "object") {
      v.acks1 += w.acks1;
      v.acksAll += w.acksAll;
    }
  }
}

export function failureReport(scenario: Scenario, seed: number, violation: string, trace: string[], mutant: Mutant = "none"): string {
  return [
    `simulation "${scenario.name}" failed at seed ${seed}${mutant === "none" ? "" : ` (mutant ${mutant})`}: ${violation}`,
    `--- last ${trace.length} trace lines ---`,
    ...trace,
    `--- reproduce: SEED=${seed} npx vitest run --project node test/sim ---`,
  ].join("\n");
}

const memo = new Map<Scenario, ScenarioRun>();

/** Every seed of the scenario; throws the failure report at the first violation. */
export function runScenario(scenario: Scenario): ScenarioRun {
  const done = memo.get(scenario);
  if (done) return done;
  const seeds = seedsToRun();
  const totals = emptyStats();
  const t0 = performance.now();
  for (const seed of seeds) {
    const o = runSeed(scenario, seed);
    if (o.violation) throw new Error(failureReport(scenario, seed, o.violation, o.trace));
    add(totals, o.stats);
  }
  const run = { scenario, seeds: seeds.length, wallMs: Math.round(performance.now() - t0), totals };
  memo.set(scenario, run);
  return run;
}

/** One line per scenario for the test output. */
export function summaryLine(r: ScenarioRun): string {
  const t = r.totals;
  return [
    `${r.scenario.name}: ${r.seeds} seeds, ${t.events} events, ${(t.simTimeMs / 1000).toFixed(0)} s simulated in ${r.wallMs} ms`,
    `acks=all ${t.acked.acksAll}/${t.produced.acksAll} records acked, ${t.acksAllLost} lost`,
    `acks=1 ${t.acked.acks1}/${t.produced.acks1} acked, ${t.acks1Lost} lost`,
    `${t.elections} elections, ISR -${t.isrShrinks}/+${t.isrExpands}, ${t.truncatedRecords} divergent records truncated`,
    `zombie appends ${t.zombieAppends} (acks=all confirmed ${t.zombieAcksAll})`,
    `${t.messages} messages, ${t.dropped} dropped, ${t.duplicated} duplicated`,
    ...(r.scenario.idempotent ? [`idempotent retries ${t.idempotentRetries}, answered as duplicates ${t.duplicateAnswers}`] : []),
  ].join("; ");
}
