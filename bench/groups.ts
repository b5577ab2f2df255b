/**
 * Issue 6's figures: consumer-group rebalance times and group consume throughput, measured
 * against the local server through the HTTP API (docs/benchmarks.md, "Consumer groups").
 *
 * - **Rebalance after a leave.** A group of 3 members on a 6-partition topic, stable at 2
 *   partitions each; one member leaves (`DELETE`); the time until the two survivors' heartbeat
 *   answers cover all 6 partitions. Survivors heartbeat either at the server's
 *   `heartbeat_interval_ms`, each with a seeded random phase against the leave (a periodic
 *   heartbeat's next send is uniform over one interval), or continuously (back to back), which
 *   leaves the server's own cost. The leaver rejoins between rounds.
 * - **Rebalance after a crash.** The same with `session_timeout_ms` at the server minimum: the
 *   victim just stops heartbeating. Time from its last heartbeat answer to the survivors' cover,
 *   and how much of it lies beyond the session timeout.
 * - **Consume.** A 6-partition RF 1 topic filled in batches of 100 records × 100 B, read whole by
 *   one plain consumer (partition fetch endpoint, round-robin over the partitions, one request in
 *   flight) and by a fresh group of 3 members polling in parallel and committing after each poll,
 *   alternately first in each round, after an unmeasured warm-up of both paths. Every record is checked (offset, value) and counted: the
 *   plain consumer must see each exactly once, the group at least once (duplicates counted).
 *
 * Each poll sends back the previous answer's `cursor` (acknowledging its records), as a client
 * that tracks cursors does. Every member is driven by raw HTTP (`call`), one request in flight per member, so each request
 * is visible and timed; a request that fails stops the run. Node 24 type stripping: erasable
 * TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import type { CpuSampler } from "./replication.ts";
import { Prng, runLoad, summarize, throughput, type LatencySummary, type Throughput } from "./harness.ts";
import { call, expectStatus, produceBodies, PRODUCE_BATCH, VALUE_BYTES, type Http } from "./http.ts";

export interface GroupsConfig {
  /** Leave rounds per heartbeat variant (interval, continuous). */
  groupLeaveRounds: number;
  /** Crash rounds with survivors heartbeating at the interval, and back to back. */
  groupCrashRounds: number;
  groupCrashContinuousRounds: number;
  /** Records in the consume topic (a multiple of 6 × 100). */
  groupConsumeRecords: number;
  /** Rounds of (plain read, group read) on the same filled topic, the order alternating. */
  groupConsumeRounds: number;
  /** Wall-clock cap of one full read. */
  groupConsumeCapMs: number;
}

const PARTITIONS = 6;
const MEMBERS = 3;
const MAX_RECORDS = 500;
/** The server's lowest accepted session timeout (wrangler.toml GROUP_MIN_SESSION_TIMEOUT_MS). */
const CRASH_SESSION_TIMEOUT_MS = 6_000;
/** The server's default session timeout, which the leave rounds and the consume group use (they send none). */
const DEFAULT_SESSION_TIMEOUT_MS = 45_000;
const FILL_CONCURRENCY = 8;
/** Upper bound for a rebalance beyond what the heartbeat schedule explains; longer fails the run. */
const REBALANCE_SLACK_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Members over raw HTTP

interface AssignmentAnswer {
  member_id: string;
  member_epoch: number;
  heartbeat_interval_ms: number;
  assignment: { topic: string; partitions: number[] }[];
}

interface Member {
  group: string;
  topic: string;
  id: string;
  epoch: number;
  intervalMs: number;
  /** What the member owns: it adopts each answer's assignment at once (releasing anything revoked). */
  owned: number[];
  heartbeats: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Sleeps that `wake()` ends early, so a heartbeat schedule stops without waiting out its interval. */
class Waker {
  #woken = false;
  readonly #pending = new Set<() => void>();
  get woken(): boolean {
    return this.#woken;
  }
  sleep(ms: number): Promise<void> {
    if (this.#woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#pending.add(done);
    });
  }
  wake(): void {
    this.#woken = true;
    for (const done of [...this.#pending]) done();
  }
}

function partitionsOf(a: AssignmentAnswer["assignment"], topic: string): number[] {
  return a.find((t) => t.topic === topic)?.partitions ?? [];
}

function adopt(m: Member, a: AssignmentAnswer): void {
  m.epoch = a.member_epoch;
  m.intervalMs = a.heartbeat_interval_ms;
  m.owned = partitionsOf(a.assignment, m.topic);
}

async function join(http: Http, group: string, topic: string, opts: { sessionTimeoutMs?: number; reset?: "earliest" | "latest" } = {}): Promise<Member> {
  const body = JSON.stringify({
    topics: [topic],
    ...(opts.sessionTimeoutMs === undefined ? {} : { session_timeout_ms: opts.sessionTimeoutMs }),
    ...(opts.reset === undefined ? {} : { auto_offset_reset: opts.reset }),
  });
  const r = await call(http, "POST", `/v1/groups/${group}/members`, body);
  expectStatus(`join ${group}`, r, 200);
  const a = JSON.parse(r.text) as AssignmentAnswer;
  const m: Member = { group, topic, id: a.member_id, epoch: 0, intervalMs: 0, owned: [], heartbeats: 0 };
  adopt(m, a);
  return m;
}

async function heartbeat(http: Http, m: Member): Promise<void> {
  const body = JSON.stringify({ member_epoch: m.epoch, owned_partitions: m.owned.length === 0 ? [] : [{ topic: m.topic, partitions: m.owned }] });
  const r = await call(http, "POST", `/v1/groups/${m.group}/members/${m.id}/heartbeat`, body);
  expectStatus(`heartbeat ${m.group}/${m.id}`, r, 200);
  adopt(m, JSON.parse(r.text) as AssignmentAnswer);
  m.heartbeats++;
}

async function leave(http: Http, m: Member): Promise<void> {
  expectStatus(`leave ${m.group}/${m.id}`, await call(http, "DELETE", `/v1/groups/${m.group}/members/${m.id}`), 204);
}

/** The members' owned partitions are disjoint and cover all partitions. */
function covers(members: readonly Member[]): boolean {
  const all = new Set(members.flatMap((m) => m.owned));
  return all.size === PARTITIONS && members.reduce((n, m) => n + m.owned.length, 0) === PARTITIONS;
}

/** Heartbeats every member back to back until each owns its even share and together all; returns ms. */
async function stabilize(http: Http, members: readonly Member[]): Promise<number> {
  const t0 = performance.now();
  const share = PARTITIONS / members.length;
  const balanced = () => covers(members) && members.every((m) => m.owned.length === share);
  for (let i = 0; !balanced(); i++) {
    if (i >= 200) throw new Error(`group ${members[0]?.group}: not balanced after 200 heartbeat rounds: ${members.map((m) => `[${m.owned}]`).join(" ")}`);
    await Promise.all(members.map((m) => heartbeat(http, m)));
  }
  return performance.now() - t0;
}

/** Checks through describe that the group holds exactly `members`, all partitions assigned, nothing pending. */
async function checkDescribe(http: Http, group: string, members: readonly Member[]): Promise<void> {
  const r = await call(http, "GET", `/v1/groups/${group}`);
  expectStatus(`describe ${group}`, r, 200);
  const d = JSON.parse(r.text) as { members: { member_id: string; assignment: AssignmentAnswer["assignment"]; pending_revocation: AssignmentAnswer["assignment"] }[] };
  const ids = new Set(members.map((m) => m.id));
  const assigned = d.members.flatMap((m) => m.assignment.flatMap((t) => t.partitions));
  const pending = d.members.flatMap((m) => m.pending_revocation.flatMap((t) => t.partitions));
  if (d.members.length !== ids.size || d.members.some((m) => !ids.has(m.member_id)) || new Set(assigned).size !== PARTITIONS || assigned.length !== PARTITIONS || pending.length > 0)
    throw new Error(`describe ${group}: unexpected state ${r.text.slice(0, 600)}`);
}

/**
 * Heartbeats `members` until they cover all partitions; returns when the answer that completed the
 * cover arrived. `phases` null: back to back; else member i heartbeats at `t0 + phases[i] + k · interval`.
 */
async function heartbeatUntilCovered(http: Http, members: readonly Member[], t0: number, phases: number[] | null, capMs: number): Promise<number> {
  let coveredAt: number | null = null;
  const deadline = t0 + capMs;
  const waker = new Waker();
  await Promise.all(
    members.map(async (m, i) => {
      for (let k = 0; coveredAt === null; k++) {
        if (performance.now() > deadline) throw new Error(`group ${m.group}: partitions not covered ${capMs} ms after the fault: ${members.map((x) => `[${x.owned}]`).join(" ")}`);
        if (phases !== null) await waker.sleep(t0 + phases[i]! + k * m.intervalMs - performance.now());
        if (coveredAt !== null) return;
        await heartbeat(http, m);
        if (coveredAt === null && covers(members)) {
          coveredAt = performance.now();
          waker.wake();
        }
      }
    }),
  );
  return coveredAt!;
}

// ---------------------------------------------------------------------------------------------
// Rebalance after a leave and after a crash

export type HeartbeatMode = "interval" | "continuous";

export interface LeaveRound {
  round: number;
  /** Which of the three members left (they take turns). */
  leaver: number;
  delete_ms: number;
  /** DELETE sent → the survivors' heartbeat answers cover all partitions. */
  rebalance_ms: number;
  survivor_heartbeats: number;
  /** Interval mode: each survivor's first heartbeat after the DELETE, ms after it. */
  phases_ms: number[] | null;
  /** The rejoin after the round: join → all three balanced again (heartbeats back to back). */
  rejoin_balanced_ms: number;
}

export interface LeaveVariant {
  heartbeats: HeartbeatMode;
  rounds: LeaveRound[];
  rebalance_ms: LatencySummary;
  delete_ms: LatencySummary;
}

export interface CrashRound {
  round: number;
  victim: number;
  /** Latency of the victim's last heartbeat: its session deadline was set within that window. */
  last_heartbeat_ms: number;
  /** Victim's last heartbeat answer → the survivors' answers cover all partitions. */
  total_ms: number;
  /** total_ms − session_timeout_ms. */
  beyond_session_ms: number;
  survivor_heartbeats: number;
  phases_ms: number[] | null;
  rejoin_balanced_ms: number;
}

export interface CrashVariant {
  heartbeats: HeartbeatMode;
  rounds: CrashRound[];
  total_ms: LatencySummary;
  beyond_session_ms: LatencySummary;
}

const r1 = (v: number) => Number(v.toFixed(1));

async function leaveRounds(http: Http, topic: string, mode: HeartbeatMode, rounds: number, prng: Prng, log: (l: string) => void): Promise<{ variant: LeaveVariant; intervalMs: number }> {
  const group = `bench-groups-leave-${mode}`;
  const members: Member[] = [];
  for (let i = 0; i < MEMBERS; i++) members.push(await join(http, group, topic));
  await stabilize(http, members);
  const out: LeaveRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const leaverIndex = round % MEMBERS;
    const leaver = members[leaverIndex]!;
    const survivors = members.filter((m) => m !== leaver);
    const interval = survivors[0]!.intervalMs;
    const phases = mode === "interval" ? survivors.map(() => prng.next() * interval) : null;
    const before = survivors.reduce((n, m) => n + m.heartbeats, 0);
    let t0 = performance.now();
    let deleteMs = 0;
    const doLeave = async () => {
      t0 = performance.now();
      await leave(http, leaver);
      deleteMs = performance.now() - t0;
    };
    let coveredAt: number;
    if (mode === "interval") {
      const leaving = doLeave();
      coveredAt = await heartbeatUntilCovered(http, survivors, t0, phases, interval * 2 + REBALANCE_SLACK_MS);
      await leaving;
    } else {
      // Survivors already heartbeat back to back when the member leaves.
      const beat = heartbeatUntilCovered(http, survivors, performance.now(), null, REBALANCE_SLACK_MS + 5_000);
      await sleep(30);
      await doLeave();
      coveredAt = await beat;
    }
    const rebalanceMs = coveredAt - t0;
    await checkDescribe(http, group, survivors);
    const rejoined = await join(http, group, topic);
    members[leaverIndex] = rejoined;
    const rejoinMs = await stabilize(http, members);
    out.push({
      round,
      leaver: leaverIndex,
      delete_ms: r1(deleteMs),
      rebalance_ms: r1(rebalanceMs),
      survivor_heartbeats: survivors.reduce((n, m) => n + m.heartbeats, 0) - before,
      phases_ms: phases?.map(r1) ?? null,
      rejoin_balanced_ms: r1(rejoinMs),
    });
    log(`  leave (${mode}) round ${round + 1}: rebalance ${rebalanceMs.toFixed(1)} ms (DELETE ${deleteMs.toFixed(1)} ms)`);
  }
  const intervalMs = members[0]!.intervalMs;
  for (const m of members) await leave(http, m);
  return {
    variant: { heartbeats: mode, rounds: out, rebalance_ms: summarize(out.map((r) => r.rebalance_ms)), delete_ms: summarize(out.map((r) => r.delete_ms)) },
    intervalMs,
  };
}

async function crashRounds(http: Http, topic: string, mode: HeartbeatMode, rounds: number, prng: Prng, log: (l: string) => void): Promise<{ variant: CrashVariant; intervalMs: number }> {
  const group = `bench-groups-crash-${mode}`;
  const opts = { sessionTimeoutMs: CRASH_SESSION_TIMEOUT_MS };
  const members: Member[] = [];
  for (let i = 0; i < MEMBERS; i++) members.push(await join(http, group, topic, opts));
  await stabilize(http, members);
  const out: CrashRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const victimIndex = round % MEMBERS;
    const victim = members[victimIndex]!;
    const survivors = members.filter((m) => m !== victim);
    const interval = survivors[0]!.intervalMs;
    const phases = mode === "interval" ? survivors.map(() => prng.next() * interval) : null;
    // The victim's last heartbeat; then it goes silent. Survivors heartbeated during stabilize just now.
    const sent = performance.now();
    await heartbeat(http, victim);
    const t0 = performance.now();
    const before = survivors.reduce((n, m) => n + m.heartbeats, 0);
    const coveredAt = await heartbeatUntilCovered(http, survivors, t0, phases, CRASH_SESSION_TIMEOUT_MS + interval * 2 + REBALANCE_SLACK_MS);
    const total = coveredAt - t0;
    await checkDescribe(http, group, survivors);
    const rejoined = await join(http, group, topic, opts);
    members[victimIndex] = rejoined;
    const rejoinMs = await stabilize(http, members);
    out.push({
      round,
      victim: victimIndex,
      last_heartbeat_ms: r1(t0 - sent),
      total_ms: r1(total),
      beyond_session_ms: r1(total - CRASH_SESSION_TIMEOUT_MS),
      survivor_heartbeats: survivors.reduce((n, m) => n + m.heartbeats, 0) - before,
      phases_ms: phases?.map(r1) ?? null,
      rejoin_balanced_ms: r1(rejoinMs),
    });
    log(`  crash (${mode}) round ${round + 1}: ${total.toFixed(1)} ms, ${(total - CRASH_SESSION_TIMEOUT_MS).toFixed(1)} ms beyond the session timeout`);
  }
  const intervalMs = members[0]!.intervalMs;
  for (const m of members) await leave(http, m);
  return {
    variant: { heartbeats: mode, rounds: out, total_ms: summarize(out.map((r) => r.total_ms)), beyond_session_ms: summarize(out.map((r) => r.beyond_session_ms)) },
    intervalMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Consume throughput: one plain consumer vs a group of 3

interface FilledTopic {
  topic: string;
  perPartition: number;
  /** Record values of each body variant. */
  values: string[][];
  /** partition → (offset / 100) → body variant written there. */
  blocks: Int8Array[];
  fill: Throughput;
}

async function fillConsumeTopic(http: Http, client: FlarelogClient, records: number, capMs: number): Promise<FilledTopic> {
  const topic = "bench-groups-consume";
  const created = await client.createTopic(topic, { partitions: PARTITIONS, replication_factor: 1 });
  if (!created.ok) throw new Error(`create topic ${topic}: HTTP ${created.status} ${JSON.stringify(created.error)}`);
  const perPartition = Math.ceil(records / PARTITIONS / PRODUCE_BATCH) * PRODUCE_BATCH;
  const bodies = produceBodies(PRODUCE_BATCH, 61);
  const values = bodies.map((b) => (JSON.parse(b) as { records: { value: string }[] }).records.map((r) => r.value));
  const blocks = Array.from({ length: PARTITIONS }, () => new Int8Array(perPartition / PRODUCE_BATCH).fill(-1));
  const load = await runLoad({
    requests: (perPartition / PRODUCE_BATCH) * PARTITIONS,
    concurrency: FILL_CONCURRENCY,
    timeCapMs: capMs,
    op: async (i) => {
      const partition = i % PARTITIONS;
      const variant = Math.floor(i / PARTITIONS) % bodies.length;
      const body = bodies[variant]!;
      const r = await call(http, "POST", `/v1/topics/${topic}/partitions/${partition}/records?acks=1`, body);
      expectStatus(`produce to ${topic}-${partition}`, r, 200);
      const { offsets } = JSON.parse(r.text) as { offsets: { offset: number }[] };
      const base = offsets[0]?.offset ?? -1;
      const block = base / PRODUCE_BATCH;
      if (offsets.length !== PRODUCE_BATCH || !Number.isInteger(block) || blocks[partition]![block] !== -1 || offsets.at(-1)!.offset !== base + PRODUCE_BATCH - 1)
        throw new Error(`produce to ${topic}-${partition}: unexpected offsets ${r.text.slice(0, 300)}`);
      blocks[partition]![block] = variant;
      return { records: PRODUCE_BATCH, payloadBytes: PRODUCE_BATCH * VALUE_BYTES, wireBytes: body.length };
    },
  });
  if (load.cappedByTime) throw new Error(`filling ${topic} took longer than ${capMs} ms`);
  const d = await client.describeTopic(topic);
  if (!d.ok) throw new Error(`describe ${topic}: HTTP ${d.status}`);
  for (const p of d.body.partitions)
    if ((p.high_watermark ?? 0) !== perPartition) throw new Error(`${topic}: partition high watermark ${p.high_watermark}, expected ${perPartition}`);
  return { topic, perPartition, values, blocks, fill: throughput(load) };
}

interface ConsumedRecord {
  partition: number;
  offset: number;
  value: string | null;
}

/** Per-offset delivery counts of one full read, and the checks on each record. */
class Tally {
  readonly counts: Uint16Array[];
  wrongValues = 0;
  private readonly t: FilledTopic;
  constructor(t: FilledTopic) {
    this.t = t;
    this.counts = Array.from({ length: PARTITIONS }, () => new Uint16Array(t.perPartition));
  }
  add(r: ConsumedRecord): void {
    const counts = this.counts[r.partition];
    if (!counts || r.offset < 0 || r.offset >= this.t.perPartition) throw new Error(`consumed a record outside the filled log: ${r.partition}@${r.offset}`);
    counts[r.offset]!++;
    const variant = this.t.blocks[r.partition]![Math.floor(r.offset / PRODUCE_BATCH)]!;
    if (r.value !== this.t.values[variant]![r.offset % PRODUCE_BATCH]) this.wrongValues++;
  }
  summary(): { missing: number; duplicates: number; wrong_values: number } {
    let missing = 0;
    let duplicates = 0;
    for (const c of this.counts)
      for (const n of c) {
        if (n === 0) missing++;
        else duplicates += n - 1;
      }
    return { missing, duplicates, wrong_values: this.wrongValues };
  }
}

export interface ConsumeRun {
  round: number;
  mode: "plain" | "group";
  records: number;
  elapsed_s: number;
  records_per_s: number;
  /** Plain: fetch requests; group: polls (all members). */
  requests: number;
  empty_requests: number;
  latency: LatencySummary;
  /** Group only: the commit after each poll that returned records. */
  commit_latency: LatencySummary | null;
  /** Group only: heartbeats sent during the read (every heartbeat_interval_ms per member). */
  heartbeats: number | null;
  /** Group only: join of 3 members → balanced (back-to-back heartbeats), before the clock starts. */
  setup_ms: number | null;
  /** Group only: assignments seen in poll answers that differed from the balanced one. */
  assignment_changes: number | null;
  missing: number;
  duplicates: number;
  wrong_values: number;
  /** Group only: partitions whose committed offset after the read is not the log end. */
  uncommitted_partitions: number | null;
  workerd_cpu_ms_per_1000_records: number | null;
  load_generator_cpu_ms_per_1000_records: number;
}

interface FetchAnswer {
  records: { offset: number; value: string | null }[];
  next_offset: number;
}

async function plainRead(http: Http, t: FilledTopic, capMs: number, requestLimit = Number.POSITIVE_INFINITY): Promise<{ tally: Tally; latencies: number[]; empty: number; elapsedMs: number }> {
  const tally = new Tally(t);
  const positions = new Array<number>(PARTITIONS).fill(0);
  const latencies: number[] = [];
  let empty = 0;
  const start = performance.now();
  for (let p = 0; positions.some((o) => o < t.perPartition); p = (p + 1) % PARTITIONS) {
    if (positions[p]! >= t.perPartition) continue;
    if (latencies.length >= requestLimit) break;
    if (performance.now() - start > capMs) throw new Error(`plain read of ${t.topic} took longer than ${capMs} ms`);
    const t0 = performance.now();
    const r = await call(http, "GET", `/v1/topics/${t.topic}/partitions/${p}/records?offset=${positions[p]}&max_records=${MAX_RECORDS}`);
    expectStatus(`fetch ${t.topic}-${p}@${positions[p]}`, r, 200);
    const body = JSON.parse(r.text) as FetchAnswer;
    latencies.push(performance.now() - t0);
    if (body.records.length === 0) empty++;
    else if (body.records[0]!.offset !== positions[p]) throw new Error(`fetch ${t.topic}-${p}@${positions[p]}: first record at ${body.records[0]!.offset}`);
    for (const rec of body.records) tally.add({ partition: p, offset: rec.offset, value: rec.value });
    positions[p] = body.next_offset;
  }
  return { tally, latencies, empty, elapsedMs: performance.now() - start };
}

interface PollAnswer {
  records: { topic: string; partition: number; offset: number; value: string | null }[];
  member_epoch: number;
  assignment: AssignmentAnswer["assignment"];
  cursor: number;
}

async function groupRead(
  http: Http,
  t: FilledTopic,
  group: string,
  capMs: number,
  /** Warm-up: each member stops after this many polls. */
  pollLimit = Number.POSITIVE_INFINITY,
): Promise<{ tally: Tally; polls: number[]; commits: number[]; empty: number; heartbeats: number; setupMs: number; assignmentChanges: number; elapsedMs: number; uncommitted: number }> {
  const tally = new Tally(t);
  const setup0 = performance.now();
  const members: Member[] = [];
  for (let i = 0; i < MEMBERS; i++) members.push(await join(http, group, t.topic, { reset: "earliest" }));
  await stabilize(http, members);
  const setupMs = performance.now() - setup0;
  const heartbeatsBefore = members.reduce((n, m) => n + m.heartbeats, 0);
  const polls: number[] = [];
  const commits: number[] = [];
  let empty = 0;
  let assignmentChanges = 0;
  let done = 0;
  const start = performance.now();
  const deadline = start + capMs;
  await Promise.all(
    members.map(async (m) => {
      const balanced = m.owned.join(",");
      const next = new Map(m.owned.map((p) => [p, 0]));
      const finished = () => [...next.values()].every((o) => o >= t.perPartition);
      // Each poll acknowledges the previous answer by sending its cursor back.
      let cursor: number | null = null;
      // A real client's heartbeat thread: every heartbeat_interval_ms, independent of the polls.
      const waker = new Waker();
      const beats = (async () => {
        for (let k = 1; ; k++) {
          await waker.sleep(start + k * m.intervalMs - performance.now());
          if (waker.woken) return;
          await heartbeat(http, m);
        }
      })();
      // Handled at once (it is awaited below) so a failed heartbeat is not an unhandled rejection.
      beats.catch(() => undefined);
      try {
        for (let n = 0; !finished() && n < pollLimit; n++) {
          if (performance.now() > deadline) throw new Error(`group read of ${t.topic} took longer than ${capMs} ms`);
          const t0 = performance.now();
          const r = await call(http, "GET", `/v1/groups/${group}/members/${m.id}/records?max_records=${MAX_RECORDS}${cursor === null ? "" : `&cursor=${cursor}`}`);
          expectStatus(`poll ${group}/${m.id}`, r, 200);
          const body = JSON.parse(r.text) as PollAnswer;
          cursor = body.cursor;
          polls.push(performance.now() - t0);
          if (partitionsOf(body.assignment, t.topic).join(",") !== balanced) assignmentChanges++;
          if (body.records.length === 0) {
            empty++;
            continue;
          }
          const ends = new Map<number, number>();
          for (const rec of body.records) {
            if (!next.has(rec.partition)) throw new Error(`member ${m.id} got a record of partition ${rec.partition}, not its own [${balanced}]`);
            tally.add(rec);
            ends.set(rec.partition, Math.max(ends.get(rec.partition) ?? 0, rec.offset + 1));
          }
          for (const [p, end] of ends) next.set(p, Math.max(next.get(p)!, end));
          const c0 = performance.now();
          const offsets = [...ends].map(([partition, offset]) => ({ topic: t.topic, partition, offset }));
          const c = await call(http, "POST", `/v1/groups/${group}/offsets`, JSON.stringify({ member_id: m.id, member_epoch: m.epoch, offsets }));
          expectStatus(`commit ${group}/${m.id}`, c, 204);
          commits.push(performance.now() - c0);
        }
      } finally {
        waker.wake();
      }
      await beats;
      done++;
    }),
  );
  const elapsedMs = performance.now() - start;
  const heartbeats = members.reduce((n, m) => n + m.heartbeats, 0) - heartbeatsBefore;
  const o = await call(http, "GET", `/v1/groups/${group}/offsets`);
  expectStatus(`offsets of ${group}`, o, 200);
  const committed = (JSON.parse(o.text) as { offsets: { partition: number; offset: number }[] }).offsets;
  const uncommitted = Number.isFinite(pollLimit) ? 0 : PARTITIONS - committed.filter((c) => c.offset === t.perPartition).length;
  for (const m of members) await leave(http, m);
  if (done !== MEMBERS) throw new Error(`group read: ${done} of ${MEMBERS} members finished`);
  return { tally, polls, commits, empty, heartbeats, setupMs, assignmentChanges, elapsedMs, uncommitted };
}

export interface ConsumeResult {
  partitions: number;
  records: number;
  value_bytes: number;
  max_records: number;
  fill: Throughput & { concurrency: number; records_per_request: number };
  runs: ConsumeRun[];
  /** Over all rounds: records ÷ summed read time. */
  plain_records_per_s: number;
  group_records_per_s: number;
  /** group ÷ plain. */
  ratio: number;
}

async function consumeScenario(http: Http, client: FlarelogClient, cfg: GroupsConfig, cpu: CpuSampler, log: (l: string) => void): Promise<ConsumeResult> {
  log(`  consume: filling ${cfg.groupConsumeRecords} records over ${PARTITIONS} partitions`);
  const t = await fillConsumeTopic(http, client, cfg.groupConsumeRecords, 180_000);
  const total = t.perPartition * PARTITIONS;
  log(`  consume: filled in ${t.fill.elapsed_s} s (${t.fill.records_per_s} records/s)`);
  // Unmeasured warm-up of both read paths (JIT): the rebalance rounds never polled or committed.
  await plainRead(http, t, cfg.groupConsumeCapMs, 60);
  await groupRead(http, t, "bench-groups-consume-warmup", cfg.groupConsumeCapMs, 20);
  const runs: ConsumeRun[] = [];
  const measure = async (round: number, mode: "plain" | "group") => {
    const c0 = cpu();
    const base = { round, mode, records: total };
    let run: ConsumeRun;
    if (mode === "plain") {
      const r = await plainRead(http, t, cfg.groupConsumeCapMs);
      const c1 = cpu();
      run = {
        ...base,
        elapsed_s: Number((r.elapsedMs / 1000).toFixed(3)),
        records_per_s: Math.round(total / (r.elapsedMs / 1000)),
        requests: r.latencies.length,
        empty_requests: r.empty,
        latency: summarize(r.latencies),
        commit_latency: null,
        heartbeats: null,
        setup_ms: null,
        assignment_changes: null,
        ...r.tally.summary(),
        uncommitted_partitions: null,
        workerd_cpu_ms_per_1000_records: c0.workerd === null || c1.workerd === null ? null : Number((((c1.workerd - c0.workerd) * 1e6) / total).toFixed(1)),
        load_generator_cpu_ms_per_1000_records: Number((((c1.loadGenerator - c0.loadGenerator) * 1e6) / total).toFixed(1)),
      };
    } else {
      const r = await groupRead(http, t, `bench-groups-consume-${round}`, cfg.groupConsumeCapMs);
      const c1 = cpu();
      run = {
        ...base,
        elapsed_s: Number((r.elapsedMs / 1000).toFixed(3)),
        records_per_s: Math.round(total / (r.elapsedMs / 1000)),
        requests: r.polls.length,
        empty_requests: r.empty,
        latency: summarize(r.polls),
        commit_latency: summarize(r.commits),
        heartbeats: r.heartbeats,
        setup_ms: r1(r.setupMs),
        assignment_changes: r.assignmentChanges,
        ...r.tally.summary(),
        uncommitted_partitions: r.uncommitted,
        // Includes the group's join, balancing and leave around the read (a few dozen requests).
        workerd_cpu_ms_per_1000_records: c0.workerd === null || c1.workerd === null ? null : Number((((c1.workerd - c0.workerd) * 1e6) / total).toFixed(1)),
        load_generator_cpu_ms_per_1000_records: Number((((c1.loadGenerator - c0.loadGenerator) * 1e6) / total).toFixed(1)),
      };
    }
    runs.push(run);
    log(`  consume round ${round + 1} ${mode}: ${run.records_per_s} records/s (missing ${run.missing}, duplicates ${run.duplicates}, wrong values ${run.wrong_values})`);
  };
  for (let round = 0; round < cfg.groupConsumeRounds; round++) {
    const order: ("plain" | "group")[] = round % 2 === 0 ? ["plain", "group"] : ["group", "plain"];
    for (const mode of order) await measure(round, mode);
  }
  const rate = (mode: string) => {
    const rs = runs.filter((r) => r.mode === mode);
    return Math.round(rs.reduce((n, r) => n + r.records, 0) / rs.reduce((s, r) => s + r.elapsed_s, 0));
  };
  const plain = rate("plain");
  const groupRate = rate("group");
  return {
    partitions: PARTITIONS,
    records: total,
    value_bytes: VALUE_BYTES,
    max_records: MAX_RECORDS,
    fill: { ...t.fill, concurrency: FILL_CONCURRENCY, records_per_request: PRODUCE_BATCH },
    runs,
    plain_records_per_s: plain,
    group_records_per_s: groupRate,
    ratio: Number((groupRate / plain).toFixed(3)),
  };
}

// ---------------------------------------------------------------------------------------------

export interface GroupsResult {
  partitions: number;
  members: number;
  assignor: "sticky";
  leave: { session_timeout_ms: number; heartbeat_interval_ms: number; interval: LeaveVariant; continuous: LeaveVariant };
  crash: { session_timeout_ms: number; heartbeat_interval_ms: number; interval: CrashVariant; continuous: CrashVariant };
  consume: ConsumeResult;
}

export async function groupsScenario(http: Http, client: FlarelogClient, cfg: GroupsConfig, cpu: CpuSampler, log: (line: string) => void): Promise<GroupsResult> {
  const topic = "bench-groups-rebalance";
  const created = await client.createTopic(topic, { partitions: PARTITIONS, replication_factor: 1 });
  if (!created.ok) throw new Error(`create topic ${topic}: HTTP ${created.status} ${JSON.stringify(created.error)}`);
  const prng = new Prng(66);
  const leaveInterval = await leaveRounds(http, topic, "interval", cfg.groupLeaveRounds, prng, log);
  const leaveContinuous = await leaveRounds(http, topic, "continuous", cfg.groupLeaveRounds, prng, log);
  const crashInterval = await crashRounds(http, topic, "interval", cfg.groupCrashRounds, prng, log);
  const crashContinuous = await crashRounds(http, topic, "continuous", cfg.groupCrashContinuousRounds, prng, log);
  const consume = await consumeScenario(http, client, cfg, cpu, log);
  return {
    partitions: PARTITIONS,
    members: MEMBERS,
    assignor: "sticky",
    leave: { session_timeout_ms: DEFAULT_SESSION_TIMEOUT_MS, heartbeat_interval_ms: leaveInterval.intervalMs, interval: leaveInterval.variant, continuous: leaveContinuous.variant },
    crash: { session_timeout_ms: CRASH_SESSION_TIMEOUT_MS, heartbeat_interval_ms: crashInterval.intervalMs, interval: crashInterval.variant, continuous: crashContinuous.variant },
    consume,
  };
}
