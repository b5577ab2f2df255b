/**
 * The chaos nemesis: a seeded schedule of faults with calm windows between them, and its
 * executor. Faults: a replica offline then online through the admin API (the leader or a
 * follower; rarely a second replica of the same partition too), kill -9 of the server's process
 * group then a restart on the same state, proxy faults (slow, drop) then heal, and lost answers
 * (the proxy passes requests but drops a seeded share of the answers) then heal. Group runs
 * (issue 6) add the consumer fault on a schedule of its own: a group consumer crashes (silent for
 * longer than its session timeout) and then rejoins.
 *
 * Invariants: at most one fault is active at a time (the rare double offline is one fault on one
 * partition); every fault is healed before the next calm window; the schedule is bounded in count
 * and ends before the workload does; admin calls go to the server directly, never through the
 * proxy. Node 24 type stripping: erasable TypeScript only.
 */
import type { NemesisOp } from "./history.ts";
import { Prng } from "../test/support/prng.ts";
import type { ChaosProxy } from "./proxy.ts";
import type { ServerProcess } from "./server.ts";
import { call } from "./workload.ts";
import type { PartitionDescription } from "../src/contract/types.ts";

export type FaultClass = "offline" | "kill" | "proxy" | "respdrop" | "lag" | "skew";
export const FAULT_CLASSES: readonly FaultClass[] = ["offline", "kill", "proxy", "respdrop", "lag", "skew"];

/** Replication lag faults (issue 16), through the chaos build's `/__chaos/push-faults`. */
export type LagKind = "slow" | "slow-follower" | "asymmetric" | "pause";
const LAG_KINDS: readonly LagKind[] = ["slow", "slow-follower", "asymmetric", "pause"];

export interface PlannedFault {
  /** Calm before the fault starts. */
  calmMs: number;
  kind: "offline" | "kill" | "proxy-slow" | "proxy-drop" | "proxy-respdrop" | "lag" | "skew";
  /** How long the fault lasts before it is healed (for kill: the time the server stays down). */
  durationMs: number;
  /** offline: which partition, and whether to take its leader (else a follower). */
  partition: number;
  takeLeader: boolean;
  /** offline: also take a second replica of the partition offline (rare). */
  second: boolean;
  /** offline: seeded choice among candidates. */
  pick: number;
  /** proxy-slow: the delay added to every chunk. */
  delayMs: number;
  /** proxy-respdrop: the share of answer chunks dropped, and the seed of those choices (0 otherwise). */
  dropRate: number;
  dropSeed: number;
  /** lag: which lag, its delay range, and whether the partition's leader is taken offline mid-fault (null otherwise). */
  lag: { kind: LagKind; minMs: number; maxMs: number; failover: boolean } | null;
  /** skew: the replica id whose clocks jump, and by how much (ms, either sign; null otherwise). */
  skew: { replica: number; ms: number } | null;
}

export interface ScheduleOptions {
  seed: number;
  classes: readonly FaultClass[];
  partitions: number;
  durationMs: number;
  quick: boolean;
}

/** The first fault starts after this much calm. */
const WARM_UP_MS = { quick: 3_000, full: 5_000 };
/** No fault may still be active this close to the end of the workload. */
const TAIL_MS = 3_000;
const MAX_FAULTS = 500;

/**
 * The seeded schedule: fault classes in shuffled rounds (every enabled class comes once per
 * round, so a short run still sees each), fault 3–8 s (quick: 3–6 s), calm 4–10 s (quick: 3–6 s),
 * a kill's downtime 1–3 s (the restart's own time comes on top), a respdrop's rate 30–100%.
 * Only respdrop faults draw their extra numbers, so a class list without it keeps the schedule it
 * had before respdrop existed.
 */
export function schedule(o: ScheduleOptions): PlannedFault[] {
  const prng = new Prng(o.seed ^ 0x5eed);
  const out: PlannedFault[] = [];
  if (o.classes.length === 0) return out;
  let t = 0;
  let round: FaultClass[] = [];
  for (let i = 0; i < MAX_FAULTS; i++) {
    if (round.length === 0) round = prng.shuffle(o.classes);
    const cls = round.shift()!;
    const calmMs = i === 0 ? (o.quick ? WARM_UP_MS.quick : WARM_UP_MS.full) : o.quick ? prng.int(3_000, 6_000) : prng.int(4_000, 10_000);
    const faultMs = o.quick ? prng.int(3_000, 6_000) : prng.int(3_000, 8_000);
    const kind: PlannedFault["kind"] =
      cls === "offline" ? "offline" : cls === "kill" ? "kill" : cls === "respdrop" ? "proxy-respdrop" : cls === "lag" ? "lag" : cls === "skew" ? "skew" : prng.next() < 0.5 ? "proxy-slow" : "proxy-drop";
    const fault: PlannedFault = {
      calmMs,
      kind,
      durationMs: kind === "kill" ? prng.int(1_000, 3_000) : faultMs,
      partition: prng.int(0, o.partitions - 1),
      takeLeader: prng.next() < 0.5,
      second: prng.next() < 0.1,
      pick: prng.int(0, 1_000),
      delayMs: prng.int(200, 1_000),
      dropRate: 0,
      dropSeed: 0,
      lag: null,
      skew: null,
    };
    if (kind === "proxy-respdrop") {
      fault.dropRate = prng.int(30, 100) / 100;
      fault.dropSeed = prng.int(1, 2 ** 31 - 1);
    }
    if (kind === "skew") fault.skew = { replica: prng.int(0, 2), ms: (prng.next() < 0.5 ? -1 : 1) * prng.int(5_000, 45_000) };
    if (kind === "lag") {
      const minMs = prng.int(50, 300);
      fault.lag = { kind: LAG_KINDS[prng.int(0, LAG_KINDS.length - 1)]!, minMs, maxMs: minMs + prng.int(50, 700), failover: prng.next() < 0.75 };
    }
    // Planned by the shortest span each can take; the executor stops by the clock (a kill's
    // restart and the admin calls add time), so the last planned faults may not run.
    const span = calmMs + fault.durationMs;
    if (t + span > o.durationMs - TAIL_MS) break;
    t += span;
    out.push(fault);
  }
  return out;
}

export interface NemesisContext {
  topic: string;
  partitions: number;
  replicationFactor: number;
  token: string;
  server: ServerProcess;
  proxy: ChaosProxy;
  now: () => number;
  record: (op: NemesisOp) => void;
  log: (line: string) => void;
  /** True once the run is over (the executor stops starting faults). */
  stopped: () => boolean;
  /** The workload's length (ms since start): no fault starts that would outlast it. */
  endMs: number;
}

const ADMIN_TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A partition as `GET /v1/topics/{topic}` describes it (offsets present: the leader answered). */
type PartitionView = PartitionDescription & { high_watermark: number; log_end_offset: number };

export async function describe(ctx: Pick<NemesisContext, "server" | "token" | "topic">): Promise<PartitionView[] | null> {
  if (!ctx.server.running) return null;
  const r = await call(`${ctx.server.url}/v1/topics/${ctx.topic}`, ctx.token, "GET", ADMIN_TIMEOUT_MS);
  if (r.status !== 200) return null;
  return (r.json as { partitions: PartitionView[] }).partitions;
}

/** POST .../replicas/{r}/offline|online, direct to the server; retried (bounded) until it answers 200. */
async function setReplica(
  ctx: NemesisContext,
  partition: number,
  replica: number,
  action: "offline" | "online",
  attempts: number,
): Promise<{ ok: boolean; view?: PartitionView; startMs: number; endMs: number; error?: string }> {
  let error = "";
  let startMs = ctx.now();
  for (let i = 0; i < attempts; i++) {
    if (!ctx.server.running) return { ok: false, startMs, endMs: ctx.now(), error: "server down" };
    startMs = ctx.now();
    const url = `${ctx.server.url}/v1/admin/topics/${ctx.topic}/partitions/${partition}/replicas/${replica}/${action}`;
    const r = await call(url, ctx.token, "POST", ADMIN_TIMEOUT_MS);
    const endMs = ctx.now();
    if (r.status === 200) return { ok: true, view: r.json as PartitionView, startMs, endMs };
    error = `HTTP ${r.status} ${r.error?.name ?? ""}`;
    ctx.log(`  ${action} p${partition}/r${replica} attempt ${i + 1}: ${error}`);
    await sleep(500);
  }
  return { ok: false, startMs, endMs: ctx.now(), error };
}

function viewLine(v: PartitionView | undefined): string {
  return v === undefined ? "?" : `leader ${v.leader} epoch ${v.leader_epoch} isr [${v.isr}] offline [${v.offline_replicas}] hw ${v.high_watermark} leo ${v.log_end_offset}`;
}

/**
 * Runs `plan` until it ends, the run stops, or the next fault would outlast the workload (a kill
 * is given 8 s for its restart); every fault it starts, it heals.
 */
export async function runNemesis(ctx: NemesisContext, plan: PlannedFault[]): Promise<number> {
  let done = 0;
  for (const fault of plan) {
    if (ctx.stopped()) break;
    const calmUntil = ctx.now() + fault.calmMs;
    while (!ctx.stopped() && ctx.now() < calmUntil) await sleep(Math.min(200, calmUntil - ctx.now()));
    const restart = fault.kind === "kill" ? 8_000 : 0;
    if (ctx.stopped() || ctx.now() + fault.durationMs + restart > ctx.endMs - TAIL_MS) break;
    await execute(ctx, fault);
    done++;
  }
  return done;
}

async function execute(ctx: NemesisContext, fault: PlannedFault): Promise<void> {
  switch (fault.kind) {
    case "offline":
      return offlineFault(ctx, fault);
    case "kill":
      return killFault(ctx, fault);
    case "proxy-slow":
    case "proxy-drop":
    case "proxy-respdrop":
      return proxyFault(ctx, fault);
    case "lag":
      return lagFault(ctx, fault);
    case "skew":
      return skewFault(ctx, fault);
  }
}

/**
 * Clock skew (issue 16): every replica with one id (one per partition) has its clock jump by
 * ±5–45 s for the fault window, then jump back. What reads a replica's clock: ISR lag (a jump
 * forward past replica.lag.time.max.ms makes the followers look behind: the ISR shrinks, then
 * grows again), LogAppendTime timestamps, retention and producer expiry deadlines, retry alarms.
 */
async function skewFault(ctx: NemesisContext, fault: PlannedFault): Promise<void> {
  const skew = fault.skew!;
  const startMs = ctx.now();
  const set = await setPushFaults(ctx, { rules: [], paused: [], skews: [skew] });
  ctx.record({ type: "nemesis", action: "skew", target: `r${skew.replica}`, startMs, endMs: ctx.now() });
  ctx.log(`${fmt(startMs)} skew replica r${skew.replica}'s clocks by ${skew.ms > 0 ? "+" : ""}${skew.ms} ms for ${fault.durationMs} ms${set ? "" : ": control route unanswered"}`);
  await sleep(fault.durationMs);
  const healMs = ctx.now();
  await setPushFaults(ctx, { rules: [], paused: [] });
  ctx.record({ type: "nemesis", action: "skew-heal", target: `r${skew.replica}`, startMs: healMs, endMs: ctx.now() });
  ctx.log(`${fmt(healMs)} skew-heal`);
}

/** The push-fault state a lag fault sets (its follower is one of the partition's, seeded). */
export function lagState(fault: PlannedFault, leader: number, replicationFactor: number): { rules: object[]; paused: object[] } {
  const lag = fault.lag!;
  const followers = [...Array(replicationFactor).keys()].filter((r) => r !== leader);
  const follower = followers[fault.pick % Math.max(1, followers.length)] ?? 0;
  const range = { minMs: lag.minMs, maxMs: lag.maxMs };
  switch (lag.kind) {
    case "slow":
      return { rules: [{ leg: "request", ...range }], paused: [] };
    case "slow-follower":
      return { rules: [{ leg: "request", to: follower, ...range }], paused: [] };
    case "asymmetric":
      // The follower has the batch at once; the leader learns it late (its HW lags the followers').
      return { rules: [{ leg: "answer", ...range }], paused: [] };
    case "pause":
      return { rules: [], paused: [{ partition: fault.partition, replica: follower }] };
  }
}

/** POST /__chaos/push-faults (the chaos build's control route), bounded; false if unanswered. */
async function setPushFaults(ctx: NemesisContext, state: { rules: object[]; paused: object[]; skews?: object[] }): Promise<boolean> {
  for (let i = 0; i < 3; i++) {
    if (!ctx.server.running) return false;
    const r = await call(`${ctx.server.url}/__chaos/push-faults`, ctx.token, "POST", ADMIN_TIMEOUT_MS, state);
    if (r.status === 200) return true;
    ctx.log(`  push-faults attempt ${i + 1}: HTTP ${r.status}`);
    await sleep(300);
  }
  return false;
}

/**
 * Replication lag for the fault window; with `failover`, the partition's leader is taken offline
 * halfway through (while acknowledged batches may exist only where lag has not reached), and
 * brought back after the lag is healed.
 */
async function lagFault(ctx: NemesisContext, fault: PlannedFault): Promise<void> {
  const lag = fault.lag!;
  const p = fault.partition;
  const before = (await describe(ctx))?.[p];
  const leader = before?.leader ?? 0;
  const startMs = ctx.now();
  const set = await setPushFaults(ctx, lagState(fault, leader, ctx.replicationFactor));
  const what = `${lag.kind} ${lag.kind === "pause" ? "" : `${lag.minMs}-${lag.maxMs} ms `}(p${p} leader r${leader})`;
  ctx.record({ type: "nemesis", action: `lag-${lag.kind}`, target: lag.kind === "pause" ? `p${p}` : "replication", startMs, endMs: ctx.now() });
  ctx.log(`${fmt(startMs)} lag ${what} for ${fault.durationMs} ms${set ? "" : ": control route unanswered"}`);
  let taken = -1;
  if (lag.failover && before !== undefined && before.leader >= 0) {
    await sleep(fault.durationMs / 2);
    const r = await setReplica(ctx, p, before.leader, "offline", 1);
    taken = before.leader;
    ctx.record({ type: "nemesis", action: "offline", target: `p${p}/r${taken}`, leader: true, startMs: r.startMs, endMs: r.endMs });
    ctx.log(`${fmt(r.startMs)} offline p${p}/r${taken} (leader, under lag): ${r.ok ? viewLine(r.view) : r.error}`);
    await sleep(fault.durationMs / 2);
  } else await sleep(fault.durationMs);
  const healMs = ctx.now();
  await setPushFaults(ctx, { rules: [], paused: [] });
  ctx.record({ type: "nemesis", action: "lag-heal", target: "replication", startMs: healMs, endMs: ctx.now() });
  ctx.log(`${fmt(healMs)} lag-heal`);
  if (taken >= 0) {
    const r = await setReplica(ctx, p, taken, "online", 5);
    ctx.record({ type: "nemesis", action: "online", target: `p${p}/r${taken}`, startMs: r.startMs, endMs: r.endMs });
    ctx.log(`${fmt(r.startMs)} online p${p}/r${taken}: ${r.ok ? viewLine(r.view) : r.error}`);
  }
}

async function offlineFault(ctx: NemesisContext, fault: PlannedFault): Promise<void> {
  const p = fault.partition;
  const taken: number[] = [];
  const takeOne = async (preferLeader: boolean, pick: number) => {
    const view = (await describe(ctx))?.[p];
    if (view === undefined) {
      ctx.log(`  offline p${p}: describe failed, skipped`);
      return;
    }
    const live = view.replicas.filter((r) => !view.offline_replicas.includes(r) && !taken.includes(r));
    const followers = live.filter((r) => r !== view.leader);
    const target = preferLeader && live.includes(view.leader) ? view.leader : followers.length > 0 ? followers[pick % followers.length]! : live[0];
    if (target === undefined) return;
    const r = await setReplica(ctx, p, target, "offline", 1);
    // An unanswered offline call may still have happened: count it as taken (and bring it back).
    taken.push(target);
    ctx.record({ type: "nemesis", action: "offline", target: `p${p}/r${target}`, leader: target === view.leader, startMs: r.startMs, endMs: r.endMs });
    ctx.log(`${fmt(r.startMs)} offline p${p}/r${target}${target === view.leader ? " (leader)" : ""}: ${r.ok ? viewLine(r.view) : r.error}`);
  };
  await takeOne(fault.takeLeader, fault.pick);
  if (fault.second) {
    await sleep(Math.min(1_500, fault.durationMs / 2));
    await takeOne(fault.pick % 2 === 0, fault.pick >> 1);
    await sleep(Math.max(0, fault.durationMs - 1_500));
  } else await sleep(fault.durationMs);
  for (const target of taken.reverse()) {
    const r = await setReplica(ctx, p, target, "online", 5);
    ctx.record({ type: "nemesis", action: "online", target: `p${p}/r${target}`, startMs: r.startMs, endMs: r.endMs });
    ctx.log(`${fmt(r.startMs)} online p${p}/r${target}: ${r.ok ? viewLine(r.view) : r.error}`);
  }
}

async function killFault(ctx: NemesisContext, fault: PlannedFault): Promise<void> {
  const startMs = ctx.now();
  await ctx.server.kill9();
  const endMs = ctx.now();
  ctx.record({ type: "nemesis", action: "kill", target: "server", leader: true, startMs, endMs });
  ctx.log(`${fmt(startMs)} kill -9 server (${endMs - startMs} ms)`);
  await sleep(fault.durationMs);
  await restartServer(ctx);
}

/** Starts the server again on its state (bounded attempts) and points the proxy at it. */
export async function restartServer(ctx: Pick<NemesisContext, "server" | "proxy" | "now" | "record" | "log">): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const startMs = ctx.now();
    try {
      const url = await ctx.server.start();
      ctx.proxy.setUpstream(Number(new URL(url).port));
      const endMs = ctx.now();
      ctx.record({ type: "nemesis", action: "restart", target: "server", startMs, endMs });
      ctx.log(`${fmt(startMs)} restart server: listening after ${endMs - startMs} ms`);
      return;
    } catch (e) {
      ctx.log(`${fmt(startMs)} restart attempt ${attempt} failed: ${e instanceof Error ? e.message : String(e)}`);
      await ctx.server.kill9();
    }
  }
  throw new Error("the server did not restart in 3 attempts");
}

async function proxyFault(ctx: NemesisContext, fault: PlannedFault): Promise<void> {
  const startMs = ctx.now();
  if (fault.kind === "proxy-slow") ctx.proxy.slow(fault.delayMs);
  else if (fault.kind === "proxy-respdrop") ctx.proxy.respdrop(fault.dropRate, fault.dropSeed);
  else ctx.proxy.drop();
  ctx.record({ type: "nemesis", action: fault.kind, target: "proxy", startMs, endMs: ctx.now() });
  const how = fault.kind === "proxy-slow" ? ` +${fault.delayMs} ms a chunk` : fault.kind === "proxy-respdrop" ? ` ${Math.round(fault.dropRate * 100)}% of answers` : "";
  ctx.log(`${fmt(startMs)} ${fault.kind}${how} for ${fault.durationMs} ms`);
  await sleep(fault.durationMs);
  const healMs = ctx.now();
  ctx.proxy.heal();
  ctx.record({ type: "nemesis", action: "proxy-heal", target: "proxy", startMs: healMs, endMs: ctx.now() });
  ctx.log(`${fmt(healMs)} proxy-heal`);
}

/** After the run: proxy healed, server up, every replica online, then (bounded) every ISR full. */
export async function healAll(ctx: NemesisContext, isrWaitMs: number): Promise<{ isrFull: boolean; waitedMs: number }> {
  ctx.proxy.heal();
  if (!ctx.server.running) await restartServer(ctx);
  await setPushFaults(ctx, { rules: [], paused: [] });
  const view = await describe(ctx);
  for (let p = 0; p < ctx.partitions; p++) {
    const offline = view?.[p]?.offline_replicas ?? [...Array(ctx.replicationFactor).keys()];
    for (const r of offline) {
      const res = await setReplica(ctx, p, r, "online", 5);
      ctx.record({ type: "nemesis", action: "online", target: `p${p}/r${r}`, startMs: res.startMs, endMs: res.endMs });
      ctx.log(`${fmt(res.startMs)} heal: online p${p}/r${r}: ${res.ok ? viewLine(res.view) : res.error}`);
    }
  }
  const started = Date.now();
  let last: PartitionView[] | null = null;
  while (Date.now() - started < isrWaitMs) {
    last = await describe(ctx);
    const full =
      last !== null &&
      last.length === ctx.partitions &&
      last.every((v) => v.leader >= 0 && v.offline_replicas.length === 0 && v.isr.length === ctx.replicationFactor && v.high_watermark === v.log_end_offset);
    if (full) {
      ctx.log(`${fmt(ctx.now())} heal: every ISR full after ${Date.now() - started} ms: ${last!.map((v) => `p${v.partition} ${viewLine(v)}`).join("; ")}`);
      return { isrFull: true, waitedMs: Date.now() - started };
    }
    await sleep(500);
  }
  ctx.log(`${fmt(ctx.now())} heal: ISR not full after ${isrWaitMs} ms: ${last?.map((v) => `p${v.partition} ${viewLine(v)}`).join("; ") ?? "describe failed"}`);
  return { isrFull: false, waitedMs: Date.now() - started };
}

/** One consumer crash (group runs): consumer `consumer` is silent from `atMs` for `durationMs`. */
export interface PlannedCrash {
  atMs: number;
  consumer: number;
  durationMs: number;
  /** A poll answered during the crash was processed but not committed (else never processed). */
  afterProcessing: boolean;
}

export interface CrashScheduleOptions {
  seed: number;
  consumers: number;
  durationMs: number;
  quick: boolean;
  sessionTimeoutMs: number;
}

/**
 * The consumer fault's schedule, from its own PRNG so a seed's server faults are the same with or
 * without it: the first crash after 8–15 s (full: 10–30 s), then 10–20 s (full: 20–60 s) between
 * the end of one and the start of the next; each crash lasts the session timeout + 1–4 s (the
 * member is expired by then) and ends before the workload's tail; half of them hit after a poll was
 * processed and before its commit, half before processing. Crashes may overlap server faults.
 */
export function crashSchedule(o: CrashScheduleOptions): PlannedCrash[] {
  const prng = new Prng(o.seed ^ 0xc4a54);
  const out: PlannedCrash[] = [];
  if (o.consumers <= 0) return out;
  let t = o.quick ? prng.int(8_000, 15_000) : prng.int(10_000, 30_000);
  for (let i = 0; i < MAX_FAULTS; i++) {
    const crash = { atMs: t, consumer: prng.int(0, o.consumers - 1), durationMs: o.sessionTimeoutMs + prng.int(1_000, 4_000), afterProcessing: prng.next() < 0.5 };
    if (crash.atMs + crash.durationMs > o.durationMs - TAIL_MS) break;
    out.push(crash);
    t = crash.atMs + crash.durationMs + (o.quick ? prng.int(10_000, 20_000) : prng.int(20_000, 60_000));
  }
  return out;
}

/** Runs the crash schedule: `crash(consumer, untilMs)` silences a consumer; each crash is recorded as "crash" and "recover". */
export async function runCrashes(
  ctx: Pick<NemesisContext, "now" | "record" | "log" | "stopped">,
  plan: PlannedCrash[],
  crash: (consumer: number, untilMs: number, afterProcessing: boolean) => void,
): Promise<number> {
  let done = 0;
  for (const c of plan) {
    while (!ctx.stopped() && ctx.now() < c.atMs) await sleep(Math.min(200, c.atMs - ctx.now()));
    if (ctx.stopped()) break;
    const startMs = ctx.now();
    crash(c.consumer, startMs + c.durationMs, c.afterProcessing);
    ctx.record({ type: "nemesis", action: "crash", target: `consumer-${c.consumer}`, startMs, endMs: startMs });
    ctx.log(`${fmt(startMs)} crash consumer-${c.consumer} for ${c.durationMs} ms (${c.afterProcessing ? "after processing, before the commit" : "before processing"})`);
    done++;
    while (ctx.now() < startMs + c.durationMs) await sleep(Math.min(200, startMs + c.durationMs - ctx.now()));
    ctx.record({ type: "nemesis", action: "recover", target: `consumer-${c.consumer}`, startMs: ctx.now(), endMs: ctx.now() });
    ctx.log(`${fmt(ctx.now())} consumer-${c.consumer} recovers (rejoins)`);
  }
  return done;
}

function fmt(ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(6)} s]`;
}
