/**
 * The benchmark's settings: request counts, rounds and wall-clock caps of every scenario, for a
 * default run and for `--quick` (or BENCH_QUICK=1). bench/run.ts picks one and hands it to the
 * scenarios; the chosen one is saved as `config` in bench/results/latest.json.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { BulkConfig } from "./bulk.ts";
import type { CompactionConfig } from "./compaction.ts";
import type { E2eConfig } from "./e2e.ts";
import type { FloorConfig } from "./floor.ts";
import type { GroupsConfig } from "./groups.ts";
import type { MatrixConfig } from "./matrix.ts";
import type { MemoryConfig } from "./memory.ts";
import type { ProfileConfig } from "./profile.ts";
import type { ReplicationConfig } from "./replication.ts";

/** The settings of the scenarios of bench/core.ts and bench/log-size.ts (the floor repeats some). */
export interface CoreConfig {
  /** Mixed produce/fetch requests before any scenario, so the JIT has compiled the hot paths. */
  globalWarmup: number;
  baselineRequests: number;
  produceRequests: number;
  produceWarmup: number;
  /** The produce configurations alternate in this many rounds (produceRequests in total each). */
  produceRounds: number;
  /** Wall-clock cap per configuration, over all its rounds. */
  produceCapMs: number;
  fetchLogRecords: number;
  fetchCapMs: number;
  indexSmallRecords: number;
  indexLargeRecords: number;
  indexFillBatch: number;
  indexFillConcurrency: number;
  indexFillCapMs: number;
  indexFetches: number;
  indexWarmup: number;
}

export interface Config
  extends CoreConfig,
    BulkConfig,
    FloorConfig,
    ReplicationConfig,
    GroupsConfig,
    MatrixConfig,
    MemoryConfig,
    E2eConfig,
    ProfileConfig,
    CompactionConfig {
  mode: "default" | "quick";
}


export const DEFAULT: Config = {
  mode: "default",
  globalWarmup: 400,
  baselineRequests: 500,
  produceRequests: 2000,
  produceWarmup: 50,
  produceRounds: 4,
  produceCapMs: 30_000,
  fetchLogRecords: 100_000,
  fetchCapMs: 30_000,
  indexSmallRecords: 1_000,
  indexLargeRecords: 1_000_000,
  indexFillBatch: 1000,
  indexFillConcurrency: 8,
  indexFillCapMs: 180_000,
  indexFetches: 200,
  indexWarmup: 20,
  replProduceRequests: 1000,
  replProduceWarmup: 50,
  replProduceRounds: 4,
  replProduceCapMs: 40_000,
  failoverRounds: 10,
  followerRounds: 5,
  steadyMs: 500,
  failoverCapMs: 15_000,
  isrWaitCapMs: 15_000,
  isrPollMs: 10,
  groupLeaveRounds: 10,
  groupCrashRounds: 6,
  groupCrashContinuousRounds: 4,
  groupConsumeRecords: 120_000,
  groupConsumeRounds: 3,
  groupConsumeCapMs: 60_000,
  // 72 cells: about 2.5 s each with warm-up and topic creation, ~3 minutes in all.
  matrixCellRequests: 2000,
  matrixCellCapMs: 1_800,
  matrixWarmupCapMs: 2_000,
  matrixDrainCapMs: 20_000,
  memoryStepRepeats: 3,
  memoryFillRecords: 1_000_000,
  memoryFillCapMs: 60_000,
  profileRequests: 300,
  floorBatchRequests: 300,
  bulkRequests: 800,
  bulkRounds: 8,
  bulkCapMs: 60_000,
  profileCapMs: 30_000,
  profileSamplingUs: 100,
  e2eDurationMs: 20_000,
  e2eWarmupMs: 1_000,
  e2eRequestsPerSecond: 100,
  e2eRecordsPerRequest: 10,
  e2eWaitMs: 5_000,
  e2eDrainCapMs: 10_000,
  e2eReplicated: true,
  compactionFillRecords: 300_000,
  compactionKeys: 1000,
  compactionProduceRequests: 2000,
  compactionRounds: 2,
  compactionCapMs: 60_000,
};


export const QUICK: Config = {
  ...DEFAULT,
  mode: "quick",
  globalWarmup: 100,
  baselineRequests: 100,
  produceRequests: 150,
  produceWarmup: 10,
  produceRounds: 2,
  produceCapMs: 5_000,
  fetchLogRecords: 20_000,
  fetchCapMs: 8_000,
  indexLargeRecords: 100_000,
  indexFillCapMs: 15_000,
  indexFetches: 100,
  indexWarmup: 10,
  replProduceRequests: 100,
  replProduceWarmup: 10,
  replProduceRounds: 2,
  replProduceCapMs: 6_000,
  failoverRounds: 3,
  followerRounds: 2,
  steadyMs: 300,
  failoverCapMs: 10_000,
  isrWaitCapMs: 10_000,
  groupLeaveRounds: 3,
  groupCrashRounds: 1,
  groupCrashContinuousRounds: 1,
  groupConsumeRecords: 12_000,
  groupConsumeRounds: 2,
  groupConsumeCapMs: 20_000,
  matrixCellRequests: 200,
  matrixCellCapMs: 350,
  matrixWarmupCapMs: 1_000,
  matrixDrainCapMs: 5_000,
  memoryStepRepeats: 2,
  memoryFillRecords: 1_000_000,
  memoryFillCapMs: 20_000,
  profileRequests: 60,
  floorBatchRequests: 50,
  bulkRequests: 40,
  bulkRounds: 2,
  bulkCapMs: 10_000,
  e2eDurationMs: 4_000,
  compactionFillRecords: 50_000,
  compactionProduceRequests: 100,
  compactionRounds: 1,
  compactionCapMs: 20_000,
};
