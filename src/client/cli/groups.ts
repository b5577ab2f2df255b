/**
 * `flarelog groups list|describe|reset-offsets`, as kafka-consumer-groups.sh: reset-offsets plans
 * (dry run) unless `--execute` is given, and needs one of --to-earliest, --to-latest,
 * --to-offset N, --to-datetime ISO|ms, --shift-by N.
 */
import type { OffsetResetTarget } from "../flarelog-client.ts";
import { flag, has, intFlag, needOne, usage, type FlagTable, type Parsed } from "./args.ts";
import type { CommandContext } from "./context.ts";
import { check, json, table } from "./output.ts";

export const GROUPS_FLAGS: Record<string, FlagTable> = {
  list: {},
  describe: {},
  "reset-offsets": {
    topic: { short: "t", value: true, repeat: true },
    partitions: { value: true },
    "to-earliest": {},
    "to-latest": {},
    "to-offset": { value: true },
    "to-datetime": { value: true },
    "shift-by": { value: true },
    execute: {},
    "dry-run": {},
  },
};

function resetTarget(args: Parsed): OffsetResetTarget {
  const given = ["to-earliest", "to-latest", "to-offset", "to-datetime", "shift-by"].filter((f) => has(args, f));
  if (given.length !== 1) throw usage("reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by");
  switch (given[0]) {
    case "to-earliest":
      return "earliest";
    case "to-latest":
      return "latest";
    case "to-offset":
      return { offset: intFlag(args, "to-offset")! };
    case "shift-by": {
      const raw = flag(args, "shift-by")!;
      if (!/^-?\d+$/.test(raw)) throw usage(`--shift-by must be an integer, got "${raw}"`);
      return { shift_by: Number(raw) };
    }
    default: {
      const raw = flag(args, "to-datetime")!;
      const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
      if (Number.isNaN(ms)) throw usage(`--to-datetime takes an ISO date or epoch milliseconds, got "${raw}"`);
      return { timestamp: ms };
    }
  }
}

export async function groupsCommand(sub: string, c: CommandContext): Promise<void> {
  const { client, out, args } = c;
  switch (sub) {
    case "list": {
      const { groups } = check(await client.listGroups());
      if (c.json) return out.stdout(json({ groups }));
      return out.stdout(table(["GROUP", "STATE", "MEMBERS"], groups.map((g) => [g.group, g.state, g.members])));
    }
    case "describe": {
      const group = needOne(args, "group id", "groups describe");
      const d = check(await client.describeGroup(group));
      if (c.json) return out.stdout(json(d));
      const owner = new Map<string, string>();
      for (const m of d.members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.member_id);
      const rows = d.offsets.map((o) => [o.topic, o.partition, o.offset, o.lag, owner.get(`${o.topic}/${o.partition}`) ?? "-"]);
      return out.stdout(
        `Group: ${d.group}  State: ${d.state}  Epoch: ${d.group_epoch}  Assignor: ${d.assignor}  Members: ${d.members.length}\n` +
          table(["TOPIC", "PARTITION", "COMMITTED-OFFSET", "LAG", "MEMBER"], rows),
      );
    }
    case "reset-offsets": {
      const group = needOne(args, "group id", "groups reset-offsets");
      const topics = args.flags.get("topic");
      if (topics === undefined) throw usage("reset-offsets needs --topic");
      if (has(args, "execute") && has(args, "dry-run")) throw usage("give --execute or --dry-run, not both");
      const raw = flag(args, "partitions");
      const partitions = raw === undefined ? undefined : raw.split(",").map((s) => {
        if (!/^\d+$/.test(s)) throw usage(`--partitions takes a comma-separated list of partitions, got "${raw}"`);
        return Number(s);
      });
      const dryRun = !has(args, "execute");
      const r = check(await client.resetOffsets(group, { topics, to: resetTarget(args), dry_run: dryRun, ...(partitions ? { partitions } : {}) }));
      if (c.json) return out.stdout(json({ ...r, dry_run: dryRun }));
      const note = dryRun ? "(dry run: nothing changed; add --execute to reset)\n" : "";
      return out.stdout(table(["TOPIC", "PARTITION", "NEW-OFFSET"], r.offsets.map((o) => [o.topic, o.partition, o.offset])) + note);
    }
  }
}
