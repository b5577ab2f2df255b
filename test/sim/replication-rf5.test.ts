/**
 * Issue 3, test 8: the deterministic replication simulation, RF 5 with min.insync.replicas 3 and
 * up to two replicas impaired at once, each scenario over 100 seeds (SEED=n replays one).
 */
import { withRf5 } from "./scenarios.ts";
import { simulationSuite } from "./scenario-tests.ts";

simulationSuite("replication simulation, RF 5 / min ISR 3", withRf5);
