/**
 * REST Proxy v3 read endpoints, rendered in Confluent's resource shapes (`kind`, `metadata.self`,
 * `resource_name`, `related` links): the cluster (one per tenant, its id the tenant name),
 * topics, partitions, consumer groups, their lags and lag summary. Each handler is one service
 * call (topic admin or groups) and a renderer; pure apart from that call.
 */
import type { TopicDescription } from "../../services/topics.ts";
import type { GroupDetails } from "../../services/groups.ts";
import { toList } from "../../protocol/topic-partitions.ts";

export class Links {
  constructor(
    readonly origin: string,
    readonly clusterId: string,
  ) {}
  get clusters() {
    return `${this.origin}/kafka-rest/v3/clusters`;
  }
  get cluster() {
    return `${this.origin}/kafka-rest/v3/clusters/${this.clusterId}`;
  }
  crn(...parts: string[]) {
    return ["crn:///kafka=" + this.clusterId, ...parts].join("/");
  }
  related(path: string) {
    return { related: `${this.cluster}${path}` };
  }
}

export const list = (kind: string, self: string, data: unknown[]) => ({ kind, metadata: { self, next: null }, data });

export function clusterBody(l: Links) {
  return {
    kind: "KafkaCluster",
    metadata: { self: l.cluster, resource_name: l.crn() },
    cluster_id: l.clusterId,
    controller: l.related("/brokers/0"),
    acls: l.related("/acls"),
    brokers: l.related("/brokers"),
    broker_configs: l.related("/broker-configs"),
    consumer_groups: l.related("/consumer-groups"),
    topics: l.related("/topics"),
    partition_reassignments: l.related("/topics/-/partitions/-/reassignment"),
  };
}

export function topicBody(l: Links, t: TopicDescription) {
  const base = `/topics/${t.meta.name}`;
  return {
    kind: "KafkaTopic",
    metadata: { self: `${l.cluster}${base}`, resource_name: l.crn(`topic=${t.meta.name}`) },
    cluster_id: l.clusterId,
    topic_name: t.meta.name,
    is_internal: false,
    replication_factor: t.meta.replicationFactor,
    partitions_count: t.meta.partitions.length,
    partitions: l.related(`${base}/partitions`),
    configs: l.related(`${base}/configs`),
    partition_reassignments: l.related(`${base}/partitions/-/reassignment`),
    authorized_operations: [],
  };
}

export function partitionBody(l: Links, topic: string, p: { partition: number; leader: number }) {
  const base = `/topics/${topic}/partitions/${p.partition}`;
  return {
    kind: "KafkaPartition",
    metadata: { self: `${l.cluster}${base}`, resource_name: l.crn(`topic=${topic}`, `partition=${p.partition}`) },
    cluster_id: l.clusterId,
    topic_name: topic,
    partition_id: p.partition,
    leader: p.leader < 0 ? null : l.related(`${base}/replicas/${p.leader}`),
    replicas: l.related(`${base}/replicas`),
    reassignment: l.related(`${base}/reassignment`),
  };
}

const STATES: Record<string, string> = { Empty: "EMPTY", Stable: "STABLE", Reconciling: "PREPARING_REBALANCE" };

export function groupBody(l: Links, g: { group: string; state: string; assignor?: string }) {
  const base = `/consumer-groups/${g.group}`;
  return {
    kind: "KafkaConsumerGroup",
    metadata: { self: `${l.cluster}${base}`, resource_name: l.crn(`consumer-group=${g.group}`) },
    cluster_id: l.clusterId,
    consumer_group_id: g.group,
    is_simple: false,
    partition_assignor: g.assignor ?? "",
    state: STATES[g.state] ?? "UNKNOWN",
    type: "CONSUMER",
    is_mixed_consumer_group: false,
    coordinator: l.related("/brokers/0"),
    consumers: l.related(`${base}/consumers`),
    lag_summary: l.related(`${base}/lag-summary`),
  };
}

/** Each committed partition's lag, with the member that owns it now (or empty). */
export function lags(l: Links, d: GroupDetails) {
  const owner = new Map<string, { memberId: string; instanceId: string | null }>();
  for (const m of d.members) for (const tp of toList(m.assignment)) owner.set(`${tp.topic}\u0000${tp.partition}`, m);
  return d.offsets.map((o) => {
    const m = owner.get(`${o.topic}\u0000${o.partition}`);
    const base = `/consumer-groups/${d.groupId}/lags/${o.topic}/partitions/${o.partition}`;
    return {
      kind: "KafkaConsumerLag",
      metadata: { self: `${l.cluster}${base}`, resource_name: l.crn(`consumer-group=${d.groupId}`, `lag=${o.topic}/partition=${o.partition}`) },
      cluster_id: l.clusterId,
      consumer_group_id: d.groupId,
      topic_name: o.topic,
      partition_id: o.partition,
      current_offset: o.offset,
      log_end_offset: o.lag === null ? null : o.offset + o.lag,
      lag: o.lag,
      consumer_id: m?.memberId ?? "",
      instance_id: m?.instanceId ?? "",
      client_id: "",
    };
  });
}

export function lagSummary(l: Links, d: GroupDetails) {
  const all = lags(l, d);
  const max = all.reduce<(typeof all)[number] | null>((a, b) => (a === null || (b.lag ?? 0) > (a.lag ?? 0) ? b : a), null);
  const base = `/consumer-groups/${d.groupId}`;
  return {
    kind: "KafkaConsumerGroupLagSummary",
    metadata: { self: `${l.cluster}${base}/lag-summary`, resource_name: l.crn(`consumer-group=${d.groupId}`, "lag-summary") },
    cluster_id: l.clusterId,
    consumer_group_id: d.groupId,
    max_lag_consumer_id: max?.consumer_id ?? "",
    max_lag_instance_id: max?.instance_id ?? "",
    max_lag_client_id: "",
    max_lag_topic_name: max?.topic_name ?? "",
    max_lag_partition_id: max?.partition_id ?? 0,
    max_lag: max?.lag ?? 0,
    total_lag: all.reduce((s, x) => s + (x.lag ?? 0), 0),
    max_lag_consumer: l.related(`${base}/consumers/${max?.consumer_id ?? ""}`),
    max_lag_partition: l.related(`/topics/${max?.topic_name ?? ""}/partitions/${max?.partition_id ?? 0}`),
  };
}
