/**
 * `flarelog topics list|create|describe|alter|delete`, as kafka-topics.sh: a table per topic
 * (or the API's JSON with `--json`). Each subcommand is one API call.
 */
import type { TopicDescription } from "../flarelog-client.ts";
import { intFlag, needOne, pairs, type FlagTable } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { check, json, table } from "./output.ts";

export const TOPICS_FLAGS: Record<string, FlagTable> = {
  list: {},
  create: { partitions: { short: "p", value: true }, "replication-factor": { short: "r", value: true }, config: { short: "c", value: true, repeat: true } },
  describe: {},
  alter: { partitions: { short: "p", value: true }, config: { short: "c", value: true, repeat: true } },
  delete: {},
};

function describeText(t: TopicDescription): string {
  const configs = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(",");
  const head = `Topic: ${t.name}  TopicId: ${t.topic_id}  PartitionCount: ${t.partitions.length}  ReplicationFactor: ${t.replication_factor}  Configs: ${configs}\n`;
  const rows = t.partitions.map((p) => [p.partition, p.leader, p.leader_epoch, p.replicas.join(","), p.isr.join(","), p.log_start_offset, p.high_watermark]);
  return head + table(["PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START", "HIGH-WATERMARK"], rows);
}

export async function topicsCommand(sub: string, c: CommandContext): Promise<void> {
  const { client, out, args } = c;
  const print = (t: TopicDescription) => out.stdout(c.json ? json(t) : describeText(t));
  switch (sub) {
    case "list": {
      const { topics } = check(await client.listTopics());
      if (c.json) return out.stdout(json({ topics }));
      return out.stdout(table(["TOPIC", "PARTITIONS", "RF"], topics.map((t) => [t.name, t.partitions.length, t.replication_factor])));
    }
    case "create": {
      const name = needOne(args, "topic name", "topics create");
      const opts: { partitions?: number; replication_factor?: number; configs?: Record<string, string> } = {};
      const partitions = intFlag(args, "partitions", undefined, 1);
      const rf = intFlag(args, "replication-factor", undefined, 1);
      const configs = pairs(args, "config");
      if (partitions !== undefined) opts.partitions = partitions;
      if (rf !== undefined) opts.replication_factor = rf;
      if (configs !== undefined) opts.configs = configs;
      return print(check(await client.createTopic(name, opts)));
    }
    case "describe":
      return print(check(await client.describeTopic(needOne(args, "topic name", "topics describe"))));
    case "alter": {
      const name = needOne(args, "topic name", "topics alter");
      const body: { partitions?: number; configs?: Record<string, string> } = {};
      const partitions = intFlag(args, "partitions", undefined, 1);
      const configs = pairs(args, "config");
      if (partitions !== undefined) body.partitions = partitions;
      if (configs !== undefined) body.configs = configs;
      return print(check(await client.alterTopic(name, body)));
    }
    case "delete": {
      const name = needOne(args, "topic name", "topics delete");
      check(await client.deleteTopic(name));
      return out.stdout(c.json ? json({ deleted: name }) : `Deleted topic ${name}\n`);
    }
  }
}
