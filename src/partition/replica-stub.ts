/**
 * The one way to reach a partition replica's Durable Object: its name from names.ts and, when
 * the deployment lists regions in `REPLICA_LOCATION_HINTS` (e.g. "wnam,enam,weur", checked by
 * src/config/broker-config.ts), a location hint per replica id, so a real deployment spreads a
 * partition's replicas apart. Hints only matter when an object is first created; locally they
 * are ignored.
 */
import { brokerConfig } from "../config/broker-config.ts";
import { names } from "../protocol/names.ts";

/** Throws `BrokerConfigError` if the deployment's vars are invalid (see broker-config.ts). */
export function replicaStub(env: Env, tenant: string, topicId: string, partition: number, replicaId: number) {
  const hints = brokerConfig(env).replicaLocationHints;
  const name = names.partitionReplica(tenant, topicId, partition, replicaId);
  if (hints.length === 0) return env.PARTITION_REPLICA.getByName(name);
  return env.PARTITION_REPLICA.getByName(name, { locationHint: hints[replicaId % hints.length] });
}
