/**
 * The one way to reach a partition replica's Durable Object: its name from names.ts and, when
 * the deployment lists regions in `REPLICA_LOCATION_HINTS` (e.g. "wnam,enam,weur", checked by
 * src/config/broker-config.ts), a location hint per replica id, so a real deployment spreads a
 * partition's replicas apart. Hints only matter when an object is first created; locally they
 * are ignored.
 */
import { brokerConfig } from "../config/broker-config.ts";
import { LIMITS } from "../protocol/config.ts";
import { names } from "../protocol/names.ts";

/**
 * Throws `BrokerConfigError` if the deployment's vars are invalid (see broker-config.ts). A
 * replica id outside 0..4 or a negative partition is a caller's bug (e.g. NO_LEADER used as an
 * id): it throws rather than create an orphan object under that name.
 */
export function replicaStub(env: Env, tenant: string, topicId: string, partition: number, replicaId: number) {
  if (!Number.isInteger(replicaId) || replicaId < 0 || replicaId >= LIMITS.maxReplicationFactor)
    throw new Error(`replicaStub: no replica ${replicaId} can exist (ids are 0..${LIMITS.maxReplicationFactor - 1})`);
  if (!Number.isInteger(partition) || partition < 0) throw new Error(`replicaStub: no partition ${partition} can exist`);
  const hints = brokerConfig(env).replicaLocationHints;
  const name = names.partitionReplica(tenant, topicId, partition, replicaId);
  if (hints.length === 0) return env.PARTITION_REPLICA.getByName(name);
  return env.PARTITION_REPLICA.getByName(name, { locationHint: hints[replicaId % hints.length] });
}
