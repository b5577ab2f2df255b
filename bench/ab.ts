/**
 * `npm run bench:ab -- <git-ref> [--after <git-ref>] [--binary] [--edge] [--only a,b] [--quick] [--rounds N] [--requests N] [--concurrency N]`: before/after of an optimisation,
 * measured in one run.
 *
 * Checks `<git-ref>` (and `--after`'s, else "after" is this working tree) out into temporary git
 * worktrees (node_modules linked from this tree), starts both as two local clusters side by side (each its own workerd through the
 * Miniflare API, own temporary state), and runs the same workloads against both in interleaved
 * rounds: every round runs each workload on "before" and "after" in turn, the order flipping
 * each round, so drift of the shared 2-core machine lands on both alike. Reported per side:
 * records/s, p50/p99, and workerd CPU per record (each side's own process, from /proc), then
 * after ÷ before. The idle side costs nothing while the other runs.
 *
 * Workloads (one partition each, 100 B values): produce 1000 and 100 records per request RF 1
 * acks=1, produce 1000 per request RF 3 acks=all, and a consumer catch-up reading a filled log
 * with max_records=1000; with `--binary` (both sides must speak it, from e8c0964 on) also the
 * binary record-batch produce, RF 1 acks=1 and RF 3 acks=all; with `--edge` (both sides must have
 * topic-level keyed produce) one record per request RF 1 acks=1 and topic-level produce of 100
 * keyed records to 8 partitions. Prints a table and one JSON line (stdout's last). Node 24 type
 * stripping: erasable TypeScript only.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, startLocalCluster, type LocalCluster } from "../scripts/local-cluster.ts";
import { FlarelogClient } from "../src/client/flarelog-client.ts";
import { formatNumber, mergeLoads, runLoad, table, throughput, type LoadResult, type OpOutcome } from "./harness.ts";
import { binaryBodies, binaryProduceOp, keyedBodies, topicProduceOp } from "./bulk.ts";
import { processCpuSeconds, startedWorkerd } from "./proc.ts";
import { call, createTopic, expectStatus, produceBodies, produceOp, VALUE_BYTES, type Http } from "./http.ts";

interface Side {
  name: "before" | "after";
  cluster: LocalCluster;
  http: Http;
  client: FlarelogClient;
  pid: number | null;
}

interface Workload {
  name: string;
  setup: (side: Side) => Promise<(i: number) => Promise<OpOutcome>>;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function cpuMs(pid: number | null): number {
  return pid === null ? Number.NaN : (processCpuSeconds(pid) ?? Number.NaN) * 1000;
}

async function startSide(name: Side["name"], root: string, stateDir: string): Promise<Side> {
  const token = randomBytes(16).toString("hex");
  const { value: cluster, pid } = await startedWorkerd(() =>
    startLocalCluster({ port: 0, persistDir: join(stateDir, name), adminToken: token, exitOnSignal: false, configPath: join(root, "wrangler.toml") }),
  );
  return { name, cluster, http: { base: cluster.url, token }, client: new FlarelogClient({ baseUrl: cluster.url, token }), pid };
}

function fetchOp(http: Http, topic: string, end: number, maxRecords: number): () => Promise<OpOutcome> {
  let offset = 0;
  return async () => {
    const r = await call(http, "GET", `/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_records=${maxRecords}`);
    expectStatus("ab fetch", r, 200);
    const body = JSON.parse(r.text) as { records: { offset: number }[]; next_offset: number };
    if (body.records[0]?.offset !== offset) throw new Error(`ab fetch @${offset}: got ${body.records[0]?.offset}`);
    offset = body.next_offset >= end ? 0 : body.next_offset;
    return { records: body.records.length, payloadBytes: body.records.length * VALUE_BYTES, wireBytes: r.text.length };
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const binary = args.includes("--binary");
  const edge = args.includes("--edge");
  const afterAt = args.indexOf("--after");
  const afterRef = afterAt >= 0 ? args[afterAt + 1] : undefined;
  if (afterAt >= 0 && !afterRef) throw new Error("--after needs a git ref");
  const valueAt = new Set([afterAt, args.indexOf("--rounds"), args.indexOf("--requests"), args.indexOf("--only"), args.indexOf("--concurrency")].filter((i) => i >= 0).map((i) => i + 1));
  const ref = args.find((a, i) => !a.startsWith("--") && !valueAt.has(i));
  if (!ref) throw new Error("usage: npm run bench:ab -- <git-ref> [--after <git-ref>] [--binary] [--edge] [--only a,b] [--quick] [--rounds N] [--requests N] [--concurrency N]");
  // --rounds N / --requests N: a longer run when the figure is decided by rare slow requests.
  const numberArg = (flag: string, fallback: number): number => {
    const at = args.indexOf(flag);
    const n = at >= 0 ? Number(args[at + 1]) : fallback;
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  const rounds = numberArg("--rounds", quick ? 2 : 6);
  const perRound = numberArg("--requests", quick ? 20 : 60);
  // Requests in flight per workload (default 1); e.g. 8 to see a leader coalesce or pipeline concurrent appends.
  const concurrency = numberArg("--concurrency", 1);
  const fetchLog = quick ? 50_000 : 200_000;

  const work = await mkdtemp(join(tmpdir(), "flarelog-ab-"));
  const trees: string[] = [];
  const checkout = (r: string, name: string): { commit: string; tree: string } => {
    const commit = execFileSync("git", ["rev-parse", r], { cwd: PROJECT_ROOT, encoding: "utf8" }).trim();
    const tree = join(work, name);
    execFileSync("git", ["worktree", "add", "--detach", tree, commit], { cwd: PROJECT_ROOT, stdio: "ignore" });
    trees.push(tree);
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(tree, "node_modules"));
    return { commit, tree };
  };
  const sides: Side[] = [];
  try {
    const before = checkout(ref, "before-tree");
    const after = afterRef ? checkout(afterRef, "after-tree") : { commit: "working tree", tree: PROJECT_ROOT };
    const commit = before.commit;
    log(`ab: before = ${ref} (${commit.slice(0, 12)}), after = ${afterRef ?? "this tree"} (${after.commit.slice(0, 12)}); starting both clusters`);
    sides.push(await startSide("before", before.tree, work));
    sides.push(await startSide("after", after.tree, work));
    const b1000 = produceBodies(1000, 21, 4);
    const b100 = produceBodies(100, 22, 8);
    const workloads: Workload[] = [
      {
        name: "produce 1000x100B acks=1 RF1",
        setup: async (s) => (await createTopic(s.client, "ab-rf1-1000"), produceOp(s.http, "ab-rf1-1000", "1", b1000, 1000)),
      },
      {
        name: "produce 100x100B acks=1 RF1",
        setup: async (s) => (await createTopic(s.client, "ab-rf1-100"), produceOp(s.http, "ab-rf1-100", "1", b100, 100)),
      },
      {
        name: "produce 1000x100B acks=all RF3",
        setup: async (s) => {
          await createTopic(s.client, "ab-rf3-1000", { replication_factor: 3, configs: { "min.insync.replicas": "2" } });
          return produceOp(s.http, "ab-rf3-1000", "all", b1000, 1000);
        },
      },
      {
        name: "fetch catch-up max_records=1000",
        setup: async (s) => {
          await createTopic(s.client, "ab-fetch");
          const fill = produceOp(s.http, "ab-fetch", "1", b1000, 1000);
          await runLoad({ requests: fetchLog / 1000, concurrency: 4, timeCapMs: 120_000, op: fill });
          return fetchOp(s.http, "ab-fetch", fetchLog, 1000);
        },
      },
    ];
    if (binary) {
      const blobs = binaryBodies(b1000);
      workloads.push(
        {
          name: "produce binary 1000x100B acks=1 RF1",
          setup: async (s) => (await createTopic(s.client, "ab-bin-rf1"), binaryProduceOp(s.http, "ab-bin-rf1", "1", blobs, 1000)),
        },
        {
          name: "produce binary 1000x100B acks=all RF3",
          setup: async (s) => {
            await createTopic(s.client, "ab-bin-rf3", { replication_factor: 3, configs: { "min.insync.replicas": "2" } });
            return binaryProduceOp(s.http, "ab-bin-rf3", "all", blobs, 1000);
          },
        },
      );
    }
    if (edge) {
      const single = produceBodies(1, 23, 8);
      const keyed = keyedBodies(100, 24, 8);
      workloads.push(
        {
          name: "produce 1x100B acks=1 RF1",
          setup: async (s) => (await createTopic(s.client, "ab-single"), produceOp(s.http, "ab-single", "1", single, 1)),
        },
        {
          name: "produce topic-level 100x100B keyed acks=1 RF1 8p",
          setup: async (s) => {
            const r = await s.client.createTopic("ab-keyed-8p", { partitions: 8, replication_factor: 1 });
            if (!r.ok) throw new Error(`create ab-keyed-8p: HTTP ${r.status}`);
            return topicProduceOp(s.http, "ab-keyed-8p", "1", keyed, 100);
          },
        },
      );
    }
    // --only a,b: the workloads whose names contain one of these (e.g. `--only 1x100B`).
    const onlyAt = args.indexOf("--only");
    if (onlyAt >= 0) {
      const wanted = (args[onlyAt + 1] ?? "").split(",");
      workloads.splice(0, workloads.length, ...workloads.filter((w) => wanted.some((x) => w.name.includes(x))));
    }
    const ops = new Map<string, (i: number) => Promise<OpOutcome>>();
    for (const w of workloads)
      for (const s of sides) {
        const op = await w.setup(s);
        ops.set(`${w.name}|${s.name}`, op);
        await runLoad({ requests: Math.max(5, perRound / 4), concurrency: 1, timeCapMs: 60_000, op });
      }
    const runs = new Map<string, { loads: LoadResult[]; cpuMs: number }>();
    for (let round = 0; round < rounds; round++) {
      for (const w of workloads) {
        const order = round % 2 === 0 ? sides : [...sides].reverse();
        for (const s of order) {
          const key = `${w.name}|${s.name}`;
          const c0 = cpuMs(s.pid);
          // The catch-up reads one offset after another: always one in flight.
          const load = await runLoad({ requests: perRound, concurrency: w.name.startsWith("fetch") ? 1 : concurrency, timeCapMs: 60_000, op: ops.get(key)! });
          const entry = runs.get(key) ?? { loads: [], cpuMs: 0 };
          entry.loads.push(load);
          entry.cpuMs += cpuMs(s.pid) - c0;
          runs.set(key, entry);
        }
      }
      log(`ab: round ${round + 1}/${rounds} done`);
    }
    const rows = workloads.map((w) => {
      const [b, a] = sides.map((s) => {
        const e = runs.get(`${w.name}|${s.name}`)!;
        const t = throughput(mergeLoads(e.loads));
        return { ...t, cpu_us_per_record: Number(((1000 * e.cpuMs) / t.records).toFixed(2)) };
      });
      return {
        workload: w.name,
        before: { records_per_s: b!.records_per_s, p50_ms: b!.latency.p50_ms, p99_ms: b!.latency.p99_ms, cpu_us_per_record: b!.cpu_us_per_record },
        after: { records_per_s: a!.records_per_s, p50_ms: a!.latency.p50_ms, p99_ms: a!.latency.p99_ms, cpu_us_per_record: a!.cpu_us_per_record },
        throughput_ratio: Number((a!.records_per_s / b!.records_per_s).toFixed(2)),
        cpu_ratio: Number((a!.cpu_us_per_record / b!.cpu_us_per_record).toFixed(2)),
      };
    });
    process.stdout.write(
      [
        `A/B: before ${ref} (${commit.slice(0, 12)}) vs after ${afterRef ?? "this tree"} (${after.commit.slice(0, 12)}), ${rounds} interleaved rounds × ${perRound} requests per workload and side, ${concurrency} request(s) in flight`,
        table(
          ["workload", "before rec/s", "after rec/s", "after ÷ before", "before p50", "after p50", "before CPU µs/rec", "after CPU µs/rec", "CPU after ÷ before"],
          rows.map((r) => [r.workload, r.before.records_per_s, r.after.records_per_s, `${r.throughput_ratio}×`, r.before.p50_ms, r.after.p50_ms, r.before.cpu_us_per_record, r.after.cpu_us_per_record, `${r.cpu_ratio}×`]),
        ),
        "",
        JSON.stringify({ bench: "flarelog-ab", before: { ref, commit }, after: { ref: afterRef ?? "working tree", commit: after.commit }, rounds, requests_per_round: perRound, rows }),
        "",
      ].join("\n"),
    );
    log(`ab: ${rows.map((r) => `${r.workload} ${formatNumber(r.throughput_ratio)}×`).join(", ")}`);
  } finally {
    for (const s of sides) await s.cluster.stop().catch(() => undefined);
    for (const tree of trees) execFileSync("git", ["worktree", "remove", "--force", tree], { cwd: PROJECT_ROOT, stdio: "ignore" });
    await rm(work, { recursive: true, force: true });
  }
}

await main();
