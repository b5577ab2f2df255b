/**
 * Looking at a partition's replicas from a test: each replica's own log (read below its LEO,
 * straight from its SQLite with a read-only PartitionLog view) and offsets, plus the admin
 * calls the scenarios use.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { DoSqlPort } from "../../src/storage/do-sql-port.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/protocol/config.ts";
import { systemClock } from "../../src/protocol/types.ts";
import type { FlarelogClient, PartitionDescription } from "../../src/client/flarelog-client.ts";

export interface ReplicaView {
  replica: number;
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
  leaderEpoch: number;
  /** Every record below the LEO: offset → value (UTF-8). */
  values: string[];
  epochs: { epoch: number; startOffset: number }[];
}

const dec = new TextDecoder();

export async function replicaView(topicId: string, partition: number, replica: number): Promise<ReplicaView> {
  return runInDurableObject(replicaStub(env, "default", topicId, partition, replica), (_instance, state) => {
    const log = PartitionLog.open(new SqliteLogStore(new DoSqlPort(state.storage)), systemClock, DEFAULT_LOG_CONFIG);
    const values: string[] = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const r = log.read({ offset, maxRecords: 10_000, maxBytes: 8 << 20 }, "logEndOffset");
      if (!r.ok) throw new Error(r.err.message);
      for (const rec of r.value.records) values[rec.offset - log.logStartOffset] = rec.value ? dec.decode(rec.value) : "";
      offset = r.value.nextOffset;
    }
    return {
      replica,
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      logEndOffset: log.logEndOffset,
      leaderEpoch: log.leaderEpoch,
      values,
      epochs: log.epochEntries(),
    };
  });
}

export async function partitionOf(client: FlarelogClient, topic: string, partition = 0): Promise<PartitionDescription> {
  const d = await client.describeTopic(topic);
  if (!d.ok) throw new Error(`describe failed: ${JSON.stringify(d.error)}`);
  return d.body.partitions[partition]!;
}

export async function setReplica(client: FlarelogClient, topic: string, partition: number, replica: number, action: "offline" | "online") {
  const r = await client.request<PartitionDescription>("POST", `/v1/admin/topics/${topic}/partitions/${partition}/replicas/${replica}/${action}`);
  if (!r.ok) throw new Error(`${action} failed: ${JSON.stringify(r.error)}`);
  return r.body;
}
