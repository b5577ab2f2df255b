/**
 * `npm run chaos`: a Jepsen-style fault run against the real local cluster (issue 4).
 *
 * Starts the server the way `npm start` does (fresh temp state, random ADMIN_TOKEN, free port)
 * behind a local TCP proxy, creates one topic (2 partitions, RF 3, min.insync.replicas 2), runs
 * producers and consumers through the proxy while the nemesis injects faults on a seeded
 * schedule, heals everything, waits for full ISRs, drains every partition, and checks the
 * history (chaos/checker.ts). Saves history.json, report.json, nemesis.log and server.log under
 * the run folder, prints a summary and, as the last line of stdout, the report's JSON.
 * Exit status: 0 valid, 1 not valid, 2 the run itself failed (bad usage, server would not start).
 *
 *   npm run chaos -- [--seed N] [--duration S] [--faults offline,kill,proxy,respdrop,lag] [--acks all|1]
 *                    [--idempotent] [--retries|--no-retries] [--groups] [--quick] [--push-delay MS]
 *                    [--out DIR] [--keep-state] [--root CHECKOUT] [--tenants 1|2] [--tiered]
 * (lag, --push-delay: issue 16; the server is the chaos build, chaos/wrangler.toml, whose pushes
 * wait 0..MS ms (default 20) and which the nemesis slows or pauses through /__chaos/push-faults.)
 * (--root: run the server of another checkout, e.g. a throwaway worktree with a broken src/.)
 * --idempotent: producers use a producer id, epoch and sequences (issue 5); it turns --retries on
 * unless --no-retries. --retries: a send with an unknown outcome is re-sent with the same values.
 * --groups (issue 6): 3 consumers in one consumer group over 4 partitions (chaos/group-consumer.ts),
 * a consumer-crash fault beside the server faults, and after the heal the group consumes until
 * its committed offsets reach every high watermark, before the drain.
 * --tiered (issue 21): the topic has tiered storage on (remote.storage.enable, 1 KiB segments,
 * local.retention.bytes 2 KiB), so consumers and the drain read most records back from R2; the
 * chaos build's R2 adds latency and fails a seeded 5% of calls (chaos/worker.ts).
 * --tenants 2 (issue 14): a second tenant writes the same topic name at once with an API key;
 * each tenant's history is checked, and neither may read the other's values (chaos/tenants.ts).
 *
 * Invariants: all traffic stays on 127.0.0.1; every loop and wait is bounded; whatever happens
 * (normal end, error, SIGINT/SIGTERM) the server's process group is killed, the proxy closed and
 * the temp state removed (kept with --keep-state). Node 24 type stripping: erasable TypeScript.
 */
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { RssSampler } from "./rss.ts";
import { check, formatSummary } from "./checker.ts";
import type { History, NemesisOp, Op } from "./history.ts";
import { ChaosGroupConsumer } from "./group-consumer.ts";
import { crashSchedule, describe, FAULT_CLASSES, healAll, runCrashes, runNemesis, schedule, type FaultClass, type NemesisContext } from "./nemesis.ts";
import { ChaosProxy } from "./proxy.ts";
import { PROJECT_ROOT, ServerProcess } from "./server.ts";
import { runProducer } from "./producer.ts";
import { call, drain, runConsumer, type Stopper, type WorkloadConfig } from "./workload.ts";
import { finishSecondTenant, leaks, SECOND_TENANT, setUpSecondTenant, startSecondTenant } from "./tenants.ts";

const TOPIC = "chaos";
const PARTITIONS = 2;
/** Group runs: more partitions than consumers, so there is something to balance. */
const GROUP_PARTITIONS = 4;
const GROUP_CONSUMERS = 3;
const GROUP = "chaos-group";
/** Survives a kill's outage with a heartbeat retried every 0.5 s (server minimum: 6 s). */
const SESSION_TIMEOUT_MS = 10_000;
/** After the heal, how long the group may take to commit up to every high watermark. */
const GROUP_CATCH_UP_MS = { quick: 60_000, full: 120_000 };
const REPLICATION_FACTOR = 3;
const MIN_INSYNC = 2;
const PRODUCERS = 3;
const CONSUMERS = 2;
const REQUEST_TIMEOUT_MS = 5_000;
const PRODUCE_TIMEOUT_MS = 3_000;
const QUICK_DURATION_S = 75;
const FULL_DURATION_S = 600;
/** After the workload stops, how long a producer may still re-send to settle its last send. */
const SETTLE_MS = 15_000;

/** Every push waits 0..N ms (seeded per push by the server): lag exists outside lag faults too. */
const DEFAULT_PUSH_DELAY_MS = 20;

interface Options {
  seed: number;
  durationS: number;
  faults: FaultClass[];
  acks: "all" | "1";
  idempotent: boolean;
  retries: boolean;
  groups: boolean;
  quick: boolean;
  out: string;
  keepState: boolean;
  /** The checkout whose scripts/start.ts runs (default this one). */
  root: string;
  /** 2: a second tenant writes at once with an API key (chaos/tenants.ts). */
  tenants: number;
  /** REPLICA_PUSH_DELAY_MS for the chaos build: base jitter 0..N ms on every push (issue 16). */
  pushDelayMs: number;
  /** Tiered storage on the topic, with small segments and aggressive local retention (issue 21). */
  tiered: boolean;
}

/** --tiered: the topic's configs beside min.insync.replicas. */
const TIERED_CONFIGS = { "remote.storage.enable": "true", "segment.bytes": "1024", "local.retention.bytes": "2048" };

function usage(message: string): never {
  process.stderr.write(
    `chaos: ${message}\nusage: npm run chaos -- [--seed N] [--duration S] [--faults ${FAULT_CLASSES.join(",")}] [--acks all|1] [--idempotent] [--retries|--no-retries] [--groups] [--quick] [--push-delay MS] [--out DIR] [--keep-state] [--root CHECKOUT] [--tenants 1|2] [--tiered]\n`,
  );
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        seed: { type: "string" },
        duration: { type: "string" },
        faults: { type: "string" },
        acks: { type: "string" },
        idempotent: { type: "boolean", default: false },
        retries: { type: "boolean" },
        groups: { type: "boolean", default: false },
        quick: { type: "boolean", default: false },
        out: { type: "string" },
        "keep-state": { type: "boolean", default: false },
        root: { type: "string" },
        tenants: { type: "string" },
        "push-delay": { type: "string" },
        tiered: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  const int = (raw: string | undefined, name: string, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) usage(`--${name} must be an integer ${min}..${max}, got "${raw}"`);
    return Number(raw);
  };
  const seed = int(values.seed, "seed", 0, 2 ** 31 - 1) ?? randomInt(1, 2 ** 31 - 1);
  const quick = values.quick === true;
  const durationS = int(values.duration, "duration", 5, 24 * 3600) ?? (quick ? QUICK_DURATION_S : FULL_DURATION_S);
  let faults: FaultClass[] = [...FAULT_CLASSES];
  if (values.faults !== undefined) {
    const list = values.faults.split(",").map((s) => s.trim()).filter((s) => s !== "" && s !== "none");
    for (const f of list) if (!(FAULT_CLASSES as readonly string[]).includes(f)) usage(`unknown fault "${f}" (known: ${FAULT_CLASSES.join(", ")}, none)`);
    faults = [...new Set(list)] as FaultClass[];
  }
  const acks = values.acks ?? "all";
  if (acks !== "all" && acks !== "1") usage(`--acks must be all or 1, got "${acks}"`);
  const idempotent = values.idempotent === true;
  const retries = values.retries ?? idempotent;
  const root = resolve(values.root ?? PROJECT_ROOT);
  if (!existsSync(join(root, "scripts", "start.ts"))) usage(`--root ${root} has no scripts/start.ts`);
  const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, "-");
  const out = resolve(values.out ?? join(PROJECT_ROOT, "chaos", "runs", `${stamp}Z-seed${seed}`));
  const tenants = int(values.tenants, "tenants", 1, 2) ?? 1;
  if (tenants === 2 && values.groups === true) usage("--tenants 2 runs without --groups");
  const pushDelayMs = int(values["push-delay"], "push-delay", 0, 10_000) ?? DEFAULT_PUSH_DELAY_MS;
  return { seed, durationS, faults, acks, idempotent, retries, groups: values.groups === true, quick, out, keepState: values["keep-state"] === true, root, tenants, pushDelayMs, tiered: values.tiered === true };
}

/** A plain table: first column left-aligned, the rest right-aligned. */
function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()).join("\n");
}

function runSummary(h: History, extra: { proxy: ChaosProxy["stats"]; starts: number; isrFull: boolean; drained: boolean[]; wallMs: number }): string {
  const lines: string[] = [];
  const byProcess = new Map<string, { type: string; ok: number; fail: number; info: number; values: number; retries: number }>();
  const errors = new Map<string, number>();
  const nemesis = new Map<string, number>();
  for (const o of h.ops) {
    if (o.type === "nemesis") {
      const k = `${o.action}${o.leader === true ? " (leader)" : ""}`;
      nemesis.set(k, (nemesis.get(k) ?? 0) + 1);
      continue;
    }
    const key = o.type === "init" ? `${o.process} init` : o.type === "group" ? `${o.process} ${o.call}` : o.process;
    const row = byProcess.get(key) ?? { type: o.type === "group" ? o.call : o.type, ok: 0, fail: 0, info: 0, values: 0, retries: 0 };
    row[o.outcome]++;
    if (o.type === "send") {
      row.values += o.outcome === "ok" ? o.values.length : 0;
      if ((o.attempt ?? 1) > 1) row.retries++;
    } else if (o.type === "poll" || o.type === "group") row.values += o.records?.length ?? 0;
    else if (o.reset && o.attempt === 1) row.retries++;
    byProcess.set(key, row);
    if (o.error !== undefined) {
      const k = `${o.type === "group" ? `group ${o.call}` : o.type} ${o.outcome} ${o.error.status === 0 ? "no answer" : `HTTP ${o.error.status}`} ${o.error.name}${o.error.code !== -1 ? ` (${o.error.code})` : ""}`;
      errors.set(k, (errors.get(k) ?? 0) + 1);
    }
  }
  lines.push(
    table(
      ["process", "op", "ok", "fail", "info", "values acked/read", "re-sends/resets"],
      [...byProcess]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([p, r]) => [p, r.type, r.ok, r.fail, r.info, r.type === "send" || r.type.endsWith("poll") ? r.values : "", r.type === "send" || r.type === "init" ? r.retries : ""]),
    ),
  );
  lines.push("");
  lines.push(table(["error", "count"], [...errors].sort((a, b) => b[1] - a[1])));
  lines.push("");
  lines.push(table(["nemesis", "count"], [...nemesis]));
  lines.push("");
  lines.push(
    `proxy: ${extra.proxy.accepted} connections, ${extra.proxy.reset} reset, ${extra.proxy.blackholed} black-holed, ${extra.proxy.answersDropped} answers dropped, ${extra.proxy.upstreamErrors} upstream errors; ` +
      `server starts: ${extra.starts}; ISR full after heal: ${extra.isrFull}; drained: ${extra.drained.map((d, p) => `p${p} ${d ? "yes" : "NO"}`).join(", ")}; ` +
      `workload ${(h.durationMs / 1000).toFixed(1)} s, whole run ${(extra.wallMs / 1000).toFixed(1)} s`,
  );
  return lines.join("\n");
}

async function main(): Promise<number> {
  const wallStart = Date.now();
  const opts = parseOptions(process.argv.slice(2));
  const partitions = opts.groups ? GROUP_PARTITIONS : PARTITIONS;
  const consumers = opts.groups ? GROUP_CONSUMERS : CONSUMERS;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `chaos: seed ${opts.seed}, ${opts.durationS} s, faults ${opts.faults.join(",") || "none"}, acks ${opts.acks}, push delay 0-${opts.pushDelayMs} ms` +
      `${opts.idempotent ? ", idempotent" : ""}${opts.retries ? ", retries" : ""}${opts.groups ? ", groups" : ""}${opts.quick ? ", quick" : ""}${opts.tiered ? ", tiered" : ""}; run folder ${opts.out}`,
  );
  mkdirSync(opts.out, { recursive: true });

  const tempRoot = mkdtempSync(join(tmpdir(), "flarelog-chaos-"));
  const stateDir = join(tempRoot, "state");
  const adminToken = randomBytes(24).toString("hex");
  const server = new ServerProcess({
    stateDir,
    adminToken,
    tmpDir: join(tempRoot, "tmp"),
    logPath: join(opts.out, "server.log"),
    root: opts.root,
    pushDelayMs: opts.pushDelayMs,
  });
  const proxy = new ChaosProxy();
  const rss = new RssSampler(() => ({ pid: server.pid, start: server.starts }), () => Date.now() - wallStart);

  // Whatever happens from here on, the server group dies and the temp state goes.
  let cleaned = false;
  const cleanupSync = () => {
    if (cleaned) return;
    cleaned = true;
    server.killGroupSync();
    if (opts.keepState) process.stderr.write(`chaos: state kept in ${stateDir}\n`);
    else rmSync(tempRoot, { recursive: true, force: true });
  };
  process.on("exit", cleanupSync);
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write(`chaos: ${signal}, cleaning up\n`);
      void (async () => {
        await Promise.race([Promise.all([server.stop(), proxy.close()]), new Promise((done) => setTimeout(done, 12_000))]);
        process.exit(signal === "SIGINT" ? 130 : 143);
      })();
    });

  const nemesisLog: string[] = [];
  const log = (line: string) => {
    nemesisLog.push(line);
    say(`  ${line}`);
  };
  const ops: Op[] = [];

  try {
    await proxy.listen();
    const url = await server.start();
    proxy.setUpstream(Number(new URL(url).port));
    say(`chaos: server ${url} (pid ${server.pid}) ready after ${((Date.now() - wallStart) / 1000).toFixed(1)} s; proxy ${proxy.url}`);

    const topicBody = {
      name: TOPIC,
      partitions: partitions,
      replication_factor: REPLICATION_FACTOR,
      configs: { "min.insync.replicas": String(MIN_INSYNC), ...(opts.tiered ? TIERED_CONFIGS : {}) },
    };
    const created = await call(`${url}/v1/topics`, adminToken, "POST", 30_000, topicBody);
    if (created.status !== 201) throw new Error(`create topic: HTTP ${created.status} ${JSON.stringify(created.json)}`);

    let t0 = performance.now();
    const now = () => Math.round(performance.now() - t0);
    const durationMs = opts.durationS * 1000;
    const ctx: NemesisContext = {
      topic: TOPIC,
      partitions: partitions,
      replicationFactor: REPLICATION_FACTOR,
      token: adminToken,
      server,
      proxy,
      now,
      record: (op: NemesisOp) => ops.push(op),
      log,
      stopped: () => interrupted || now() >= durationMs,
      endMs: durationMs,
    };
    const setup = await healAll({ ...ctx, log: () => undefined, record: () => undefined }, 30_000);
    if (!setup.isrFull) throw new Error("the new topic's ISRs were not full within 30 s");

    const plan = schedule({ seed: opts.seed, classes: opts.faults, partitions, durationMs, quick: opts.quick });
    const kinds = new Map<string, number>();
    for (const f of plan) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    const planned = plan.length <= 12 ? plan.map((f) => f.kind).join(", ") : [...kinds].map(([k, n]) => `${n} ${k}`).join(", ");
    const crashes = opts.groups ? crashSchedule({ seed: opts.seed, consumers, durationMs, quick: opts.quick, sessionTimeoutMs: SESSION_TIMEOUT_MS }) : [];
    say(
      `chaos: workload ${PRODUCERS} producers, ${consumers} ${opts.groups ? `group consumers (group ${GROUP}, ${partitions} partitions, ${crashes.length} consumer crashes planned)` : "consumers"}; ` +
        `${plan.length} faults planned (the clock may cut the last): ${planned}`,
    );
    const cfg: WorkloadConfig = {
      base: proxy.url,
      token: adminToken,
      topic: TOPIC,
      partitions,
      acks: opts.acks,
      seed: opts.seed,
      producers: PRODUCERS,
      consumers,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      produceTimeoutMs: PRODUCE_TIMEOUT_MS,
      minSendIntervalMs: 50,
      maxRecordsPerSend: 3,
      idempotent: opts.idempotent,
      retries: opts.retries,
      settleMs: SETTLE_MS,
      now,
    };
    const stop: Stopper = { stopped: false };
    const tenantB = opts.tenants === 2 ? await setUpSecondTenant(url, adminToken, cfg, topicBody) : null;
    // Group consumers outlive the workload: they stop once the group has caught up (below).
    const groupStop: Stopper = { stopped: false };
    const members = opts.groups
      ? Array.from({ length: consumers }, (_, i) => new ChaosGroupConsumer(cfg, { group: GROUP, sessionTimeoutMs: SESSION_TIMEOUT_MS, waitMs: 500 }, i, groupStop, (op) => ops.push(op)))
      : [];
    t0 = performance.now();
    rss.start();
    const clients = [
      ...Array.from({ length: PRODUCERS }, (_, i) => runProducer(cfg, i, stop, (op) => ops.push(op))),
      ...(opts.groups ? [] : Array.from({ length: consumers }, (_, i) => runConsumer(cfg, i, i % partitions, stop, (op) => ops.push(op)))),
    ];
    const groupClients = members.map((m) => m.run());
    if (tenantB) clients.push(...(startSecondTenant(tenantB, stop) as typeof clients));
    const faults = runNemesis(ctx, plan);
    const crashesRun = runCrashes(ctx, crashes, (i, until, afterProcessing) => members[i]?.crash(until, afterProcessing));
    while (!interrupted && now() < durationMs) await new Promise((done) => setTimeout(done, Math.min(250, durationMs - now())));
    stop.stopped = true;
    const faultsRun = await faults;
    const crashed = await crashesRun;
    await Promise.all(clients);
    const workloadMs = now();
    say(`chaos: workload stopped at ${(workloadMs / 1000).toFixed(1)} s after ${faultsRun} faults${opts.groups ? ` and ${crashed} consumer crashes` : ""}; healing`);
    if (interrupted) {
      groupStop.stopped = true;
      return 130;
    }

    const healed = await healAll(ctx, opts.quick ? 30_000 : 60_000);
    let caughtUp = true;
    if (opts.groups) {
      const wait = await groupCatchUp(ctx, adminToken, opts.quick ? GROUP_CATCH_UP_MS.quick : GROUP_CATCH_UP_MS.full);
      caughtUp = wait.done;
      log(`[${(now() / 1000).toFixed(1).padStart(6)} s] group ${wait.done ? "caught up" : "NOT caught up"} after ${wait.waitedMs} ms: ${wait.line}`);
      groupStop.stopped = true;
      await Promise.all(groupClients);
    }
    const drained: boolean[] = [];
    for (let p = 0; p < partitions; p++) drained.push(await drain(cfg, p, 30_000, (op) => ops.push(op)));
    const historyShape = { topic: TOPIC, partitions, acks: opts.acks, idempotent: opts.idempotent, retries: opts.retries, durationMs: workloadMs };
    const second = tenantB ? await finishSecondTenant(tenantB, historyShape) : null;
    await server.stop();

    // One list in time order: client ops by invocation, nemesis ops by start.
    const at = (o: Op) => (o.type === "nemesis" ? o.startMs : o.invokeMs);
    ops.sort((a, b) => at(a) - at(b));
    const history: History = {
      seed: opts.seed,
      topic: TOPIC,
      partitions: partitions,
      acks: opts.acks,
      idempotent: opts.idempotent,
      retries: opts.retries,
      ...(opts.groups ? { groups: true, sessionTimeoutMs: SESSION_TIMEOUT_MS } : {}),
      durationMs: workloadMs,
      ops,
    };
    rss.stop();
    writeFileSync(join(opts.out, "rss.json"), JSON.stringify(rss.samples));
    writeFileSync(join(opts.out, "history.json"), JSON.stringify(history));
    writeFileSync(join(opts.out, "nemesis.log"), `${nemesisLog.join("\n")}\n`);
    const result = check(history);
    writeFileSync(join(opts.out, "report.json"), `${JSON.stringify(result.report, null, 2)}\n`);
    if (result.anomalies.length > 0) writeFileSync(join(opts.out, "anomalies.json"), `${JSON.stringify(result.anomalies, null, 2)}\n`);

    say("");
    say(runSummary(history, { proxy: proxy.stats, starts: server.starts, isrFull: healed.isrFull, drained, wallMs: Date.now() - wallStart }));
    say("");
    say(formatSummary(result));
    say(`chaos: ${rss.summary()}`);
    if (!healed.isrFull) say("chaos: warning: the ISRs were not full after the heal (see nemesis.log)");
    if (drained.some((d) => !d)) say("chaos: warning: a partition was not drained to its high watermark");
    if (!caughtUp) say(`chaos: warning: the group's committed offsets did not reach every high watermark (see nemesis.log)`);
    let isolated = true;
    if (second && tenantB) {
      writeFileSync(join(opts.out, "history-tenant-b.json"), JSON.stringify({ ...historyShape, seed: tenantB.cfg.seed, ops: tenantB.ops }));
      const leaked = leaks(ops, tenantB.ops);
      isolated = leaked.aSawB.length === 0 && leaked.bSawA.length === 0;
      say(`chaos: tenant ${SECOND_TENANT} (API key, same topic name): drained ${second.drained.map((d, p) => `p${p} ${d ? "yes" : "NO"}`).join(", ")}`);
      say(formatSummary(second.result));
      say(`chaos: isolation: ${isolated ? "ok" : "BROKEN"}: default read ${leaked.aSawB.length} of ${SECOND_TENANT}'s values, ${SECOND_TENANT} read ${leaked.bSawA.length} of default's`);
    }
    say(`chaos: saved ${opts.out}/{history.json,report.json,nemesis.log,server.log}`);
    const valid = result.report.valid && (second === null || second.result.report.valid) && isolated;
    process.stdout.write(`${JSON.stringify({ ...result.report, ...(second ? { tenant_b: second.result.report, isolated } : {}), valid })}\n`);
    return valid ? 0 : 1;
  } finally {
    rss.stop();
    await Promise.race([Promise.all([server.stop(), proxy.close()]), new Promise((done) => setTimeout(done, 12_000))]);
    await server.closeLog();
  }
}

/**
 * Group runs, after the heal: waits (bounded) until the group's committed offset of every
 * partition with records has reached its high watermark — every record processed by some member.
 */
async function groupCatchUp(ctx: NemesisContext, token: string, deadlineMs: number): Promise<{ done: boolean; waitedMs: number; line: string }> {
  const started = Date.now();
  let line = "no answer";
  while (Date.now() - started < deadlineMs) {
    const view = await describe(ctx);
    const r = ctx.server.running ? await call(`${ctx.server.url}/v1/groups/${GROUP}/offsets`, token, "GET", 10_000) : null;
    const offsets = (r?.json as { offsets?: { topic: string; partition: number; offset: number }[] } | null)?.offsets;
    if (view !== null && Array.isArray(offsets)) {
      const committed = new Map(offsets.filter((o) => o.topic === ctx.topic).map((o) => [o.partition, o.offset]));
      line = view.map((v) => `p${v.partition} committed ${committed.get(v.partition) ?? "-"} / hw ${v.high_watermark}`).join(", ");
      if (view.every((v) => v.high_watermark === 0 || (committed.get(v.partition) ?? -1) >= v.high_watermark)) return { done: true, waitedMs: Date.now() - started, line };
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  return { done: false, waitedMs: Date.now() - started, line };
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`chaos: run failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
