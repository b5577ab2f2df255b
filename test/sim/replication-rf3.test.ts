/**
 * Issue 3, test 8: the deterministic replication simulation, RF 3 with min.insync.replicas 2,
 * each scenario over 100 seeds (SEED=n replays one, SIM_SEEDS=n runs more).
 */
import { simulationSuite } from "./scenario-tests.ts";

simulationSuite("replication simulation, RF 3 / min ISR 2", (s) => s);
