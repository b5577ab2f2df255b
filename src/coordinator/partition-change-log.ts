/**
 * Replication events as log lines: every leadership or ISR change the coordinator stores is one
 * `info` line (printed when LOG_LEVEL is info or debug), as Kafka's controller logs them:
 * `{"level":"info","msg":"leader_election","tenant":…,"topic":…,"partition":0,"leader":1,
 * "previous_leader":0,"leader_epoch":2,"isr":[1,2],"previous_isr":[0,1,2],"partition_epoch":5}`.
 * The event is `leader_election` when the leader changed, else `isr_shrink` / `isr_expand` /
 * `isr_change`, else `partition_change` (offline replicas only). Pure but for the one console
 * line; called by PartitionLeadership after each stored change, inside its transaction.
 */
import { logLine, type LogLevel } from "../config/log-level.ts";
import type { PartitionState, TopicMetadata } from "../protocol/types.ts";

export type PartitionChangeEvent = "leader_election" | "isr_shrink" | "isr_expand" | "isr_change" | "partition_change";

/** What kind of change `before` → `after` is. */
export function partitionChangeEvent(before: PartitionState, after: PartitionState): PartitionChangeEvent {
  if (before.leader !== after.leader || before.leaderEpoch !== after.leaderEpoch) return "leader_election";
  const was = new Set(before.isr);
  const now = new Set(after.isr);
  const lost = before.isr.some((r) => !now.has(r));
  const gained = after.isr.some((r) => !was.has(r));
  if (lost && !gained) return "isr_shrink";
  if (gained && !lost) return "isr_expand";
  if (lost && gained) return "isr_change";
  return "partition_change";
}

/** Logs one stored change of `topic`'s partition at `info`. */
export function logPartitionChange(level: LogLevel, topic: TopicMetadata, before: PartitionState, after: PartitionState): void {
  logLine(level, "info", partitionChangeEvent(before, after), {
    tenant: topic.tenant,
    topic: topic.name,
    partition: after.partition,
    leader: after.leader,
    previous_leader: before.leader,
    leader_epoch: after.leaderEpoch,
    isr: after.isr,
    previous_isr: before.isr,
    offline_replicas: after.offlineReplicas,
    partition_epoch: after.partitionEpoch,
  });
}
