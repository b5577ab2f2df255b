/**
 * Reading a partition, shared by every front door: fetch (with long poll), list offsets, and the
 * idempotent producers a leader remembers (Kafka's DescribeProducers).
 *
 * Only records below the high watermark are served; `waitMs` long-polls in the leader until a
 * record is visible or the time passes. The leader answers stored batches cut to the records
 * read; a door forwards them as they are (binary frames) or decodes them (`decodeFetched`).
 * Reads are idempotent, so a read whose answer was lost is re-sent after a leader change.
 */
import { decodeBatches } from "../codec/record-batch.ts";
import { validateTopicName } from "../protocol/config.ts";
import type { Result } from "../protocol/errors.ts";
import type {
  FetchedBatches,
  FetchResult,
  OffsetAndTimestamp,
  OffsetSpec,
  ProducerStateDescription,
  ReplicaFetchRequest,
} from "../protocol/types.ts";
import { requireRight } from "./authorize.ts";
import { Cluster } from "./cluster.ts";
import { settleSync } from "./result.ts";
import type { ServiceContext } from "./context.ts";
import { countFetched } from "./metrics.ts";

/** The topic's name is valid and the caller may do `operation` on it. */
function checked(ctx: ServiceContext, topic: string, operation: "read" | "describe"): Result<string> {
  const name = validateTopicName(topic);
  if (!name.ok) return name;
  return settleSync(() => (requireRight(ctx, "topic", topic, operation), topic));
}

export type FetchInput = Omit<ReplicaFetchRequest, "leaderEpoch"> & { topic: string; partition: number };

/** One fetch from the partition's leader, counted (src/services/metrics.ts). */
export async function fetchFromLeader(cluster: Cluster, topic: string, partition: number, req: Omit<ReplicaFetchRequest, "leaderEpoch">): Promise<Result<FetchedBatches>> {
  const r = await cluster.withLeader(
    topic,
    partition,
    (meta, p) => cluster.leaderOf(meta, partition).fetchBatches({ ...req, leaderEpoch: p.leaderEpoch }),
    { idempotent: true },
  );
  if (r.ok) countFetched(cluster.tenant, topic, partition, fetchedRecords(r.value), fetchedBytes(r.value));
  return r;
}

export async function fetchBatches(ctx: ServiceContext, input: FetchInput): Promise<Result<FetchedBatches>> {
  const name = checked(ctx, input.topic, "read");
  if (!name.ok) return name;
  const { topic, partition, ...req } = input;
  return fetchFromLeader(Cluster.of(ctx), topic, partition, req);
}

const fetchedRecords = (f: FetchedBatches) => f.batches.reduce((n, b) => n + b.recordCount, 0);
const fetchedBytes = (f: FetchedBatches) => f.batches.reduce((n, b) => n + b.records.byteLength, 0);

/** The fetched batches decoded into records. */
export function decodeFetched(f: FetchedBatches): FetchResult {
  const { batches, ...rest } = f;
  return { records: decodeBatches(batches), ...rest };
}

/** Kafka's ListOffsets for one partition: earliest, latest (the HW) or the first offset at a time. */
export function listOffsetsAt(cluster: Cluster, topic: string, partition: number, spec: OffsetSpec): Promise<Result<OffsetAndTimestamp>> {
  return cluster.withLeader(
    topic,
    partition,
    (meta, p) => cluster.leaderOf(meta, partition).listOffsets({ spec, leaderEpoch: p.leaderEpoch }),
    { idempotent: true },
  );
}

export async function listOffsets(ctx: ServiceContext, topic: string, partition: number, spec: OffsetSpec): Promise<Result<OffsetAndTimestamp>> {
  const name = checked(ctx, topic, "describe");
  if (!name.ok) return name;
  return listOffsetsAt(Cluster.of(ctx), topic, partition, spec);
}

export async function describeProducers(ctx: ServiceContext, topic: string, partition: number): Promise<Result<ProducerStateDescription[]>> {
  const name = checked(ctx, topic, "describe");
  if (!name.ok) return name;
  const cluster = Cluster.of(ctx);
  return cluster.withLeader(
    topic,
    partition,
    (meta, p) => cluster.leaderOf(meta, partition).describeProducers({ leaderEpoch: p.leaderEpoch }),
    { idempotent: true },
  );
}
