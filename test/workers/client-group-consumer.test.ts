/**
 * Issue 6 with the typed client in workerd: the real GroupConsumer (src/client) against the
 * Worker in-process, records written by the client's producer, commit after processing.
 * - Three consumers share a 6-partition topic; one crashes (it stops polling and nothing it sends
 *   reaches the Worker any more: no heartbeat, no leave) after processing a poll it never
 *   committed. The survivors take its partitions over once its session has run out, and every
 *   record is processed at least once; the duplicates are counted.
 * - With seeded poll answers dropped after the Worker read the records (and each consumer's
 *   first join answer dropped), no record is skipped: the next poll sends the old cursor and
 *   gets the records again, and each retried join finds its member (three members, not six).
 * Heartbeats run on the consumers' real timers. Sessions are long (30 s), so no live consumer can
 * time out however slow the machine is; the crashed one's session is ended on purpose
 * (`support/group-sessions.ts`: its deadline passes, then the group object's session alarm
 * runs), never by waiting on the wall clock. The test waits on conditions (`vi.waitUntil`).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { FlarelogClient, type GroupConsumer, type GroupConsumerConfig, type GroupRecord } from "../../src/client/index.ts";
import { expireSession } from "../support/group-sessions.ts";
import { Prng } from "../support/prng.ts";
import { ADMIN_TOKEN, uniqueTopic, workerClient } from "../support/worker-client.ts";

const admin = workerClient();
const PARTITIONS = 6;
const SESSION_MS = 30_000;
const WAIT = { timeout: 20_000, interval: 10 };

/** A consumer's transport to the Worker: drops answers by `dropAnswer`, and `cut()` makes it a crashed process. */
function transport(dropAnswer: (input: string, init?: RequestInit) => boolean = () => false) {
  const stats = { polls: 0, pollAnswersDropped: 0, joins: 0, joinAnswersDropped: 0 };
  let cut = false;
  const client = new FlarelogClient({
    baseUrl: "http://flarelog.test",
    token: ADMIN_TOKEN,
    fetch: async (input, init) => {
      if (cut) throw new TypeError("crashed: nothing leaves this process");
      const res = await exports.default.fetch(new Request(input, init));
      const isPoll = /\/members\/[^/]+\/records/.test(input);
      const isJoin = init?.method === "POST" && /\/members$/.test(new URL(input).pathname);
      if (isPoll) stats.polls++;
      if (isJoin) stats.joins++;
      if ((isPoll || isJoin) && dropAnswer(input, init)) {
        await res.arrayBuffer(); // the Worker did the work; only the answer is lost
        if (isPoll) stats.pollAnswersDropped++;
        if (isJoin) stats.joinAnswersDropped++;
        throw new TypeError("network connection lost (answer dropped by the test)");
      }
      return res;
    },
  });
  return { client, stats, cut: () => void (cut = true) };
}

async function produce(topic: string, from: number, count: number): Promise<string[]> {
  const producer = admin.producer({ lingerMs: 0 });
  const values = Array.from({ length: count }, (_, i) => `v${from + i}`);
  await producer.send(topic, values.map((value, i) => ({ value, partition: (from + i) % PARTITIONS })));
  await producer.close();
  return values;
}

/** One member of the test's application: poll, process (record), commit after processing. */
class App {
  readonly processed: GroupRecord[] = [];
  constructor(readonly consumer: GroupConsumer) {}
  async step(log: GroupRecord[]): Promise<number> {
    const records = await this.consumer.poll();
    this.processed.push(...records);
    log.push(...records);
    await this.consumer.commit();
    return records.length;
  }
  owned(): number {
    return this.consumer.assignment().length;
  }
}

/** Every partition has a committed offset at its high watermark: nothing is left to process. */
async function drained(group: string): Promise<boolean> {
  const r = await admin.fetchOffsets(group);
  return r.ok && r.body.offsets.length === PARTITIONS && r.body.offsets.every((o) => o.lag === 0);
}

/** In processing order, per partition, no offset is past the highest processed so far + 1 (nothing skipped). */
function skips(log: GroupRecord[]): number {
  const high = new Map<number, number>();
  let n = 0;
  for (const r of log) {
    const h = high.get(r.partition) ?? -1;
    if (r.offset > h + 1) n++;
    high.set(r.partition, Math.max(h, r.offset));
  }
  return n;
}

const config = (group: string, topic: string): GroupConsumerConfig => ({
  group,
  topics: [topic],
  sessionTimeoutMs: SESSION_MS,
  autoOffsetReset: "earliest",
  maxPollRecords: 7,
});

describe("the typed client's group consumer against the Worker", () => {
  it("three consumers on six partitions; one crashes with a poll processed but not committed; the survivors take its partitions after its session and every record is processed at least once", async () => {
    const topic = uniqueTopic("cgc");
    expect((await admin.createTopic(topic, { partitions: PARTITIONS })).ok).toBe(true);
    const group = `g-${crypto.randomUUID().slice(0, 8)}`;
    const sent = await produce(topic, 0, 60);
    const links = [transport(), transport(), transport()];
    const apps = links.map((l) => new App(l.client.groupConsumer(config(group, topic))));
    const log: GroupRecord[] = [];

    // Settle: everyone polls and commits until each holds two partitions.
    await vi.waitUntil(async () => {
      for (const a of apps) await a.step(log);
      return apps.every((a) => a.owned() === 2);
    }, WAIT);
    const [crashed, ...live] = [apps[2]!, apps[0]!, apps[1]!];
    const crashedPartitions = crashed.consumer.assignment().map((tp) => tp.partition);
    sent.push(...(await produce(topic, 60, 60)));
    // The crashing member processes one more poll and dies before committing it.
    let uncommitted = 0;
    await vi.waitUntil(async () => {
      const records = await crashed.consumer.poll();
      crashed.processed.push(...records);
      log.push(...records);
      uncommitted = records.length;
      return records.length > 0;
    }, WAIT);
    links[2]!.cut();
    sent.push(...(await produce(topic, 120, 60)));
    // While its session lasts, its partitions stay with it.
    for (let round = 0; round < 3; round++) for (const a of live) await a.step(log);
    expect(live.map((a) => a.owned())).toEqual([2, 2]);
    // Its session runs out; the group's session alarm removes it.
    await expireSession(group, crashed.consumer.memberId!);

    let rounds = 0;
    await vi.waitUntil(async () => {
      rounds++;
      for (const a of live) await a.step(log);
      return live.reduce((n, a) => n + a.owned(), 0) === PARTITIONS;
    }, WAIT);
    const tookOver = live.flatMap((a) => a.consumer.assignment().map((tp) => tp.partition));
    for (const p of crashedPartitions) expect(tookOver).toContain(p);
    await vi.waitUntil(async () => {
      for (const a of live) await a.step(log);
      return drained(group);
    }, WAIT);

    const described = await admin.describeGroup(group);
    expect(described.ok && described.body.members.map((m) => m.member_id).sort()).toEqual(live.map((a) => a.consumer.memberId).sort());
    const distinct = new Set(log.map((r) => r.value));
    expect([...distinct].sort()).toEqual([...sent].sort()); // at least once: every record produced
    expect(skips(log)).toBe(0);
    const duplicates = log.length - distinct.size;
    expect(duplicates).toBeGreaterThanOrEqual(uncommitted); // its last poll is read again by the new owners
    console.log(
      `[figures] client group consumer crash: 3 consumers, ${PARTITIONS} partitions, ${sent.length} records; the crashed member's partitions owned by the survivors ${rounds} poll round(s) after its session ran out; ${log.length} processed, ${duplicates} duplicates (the crashed member's last, uncommitted poll had ${uncommitted})`,
    );
    for (const a of live) await a.consumer.close();
    await crashed.consumer.close(); // stops its timers; its leave never reaches the Worker
  }, 40_000);

  it("seeded dropped poll answers (30%) and a dropped first join answer per consumer: no record is skipped, and each retried join is one member", async () => {
    const topic = uniqueTopic("cgc-lossy");
    expect((await admin.createTopic(topic, { partitions: PARTITIONS })).ok).toBe(true);
    const group = `g-${crypto.randomUUID().slice(0, 8)}`;
    const sent = await produce(topic, 0, 150);
    const links = [1, 2, 3].map((seed) => {
      const prng = new Prng(seed);
      let joins = 0;
      return transport((input, init) => (init?.method === "POST" ? joins++ === 0 : /\/records/.test(input) && prng.chance(0.3)));
    });
    const apps = links.map((l) => new App(l.client.groupConsumer(config(group, topic))));
    const log: GroupRecord[] = [];
    await vi.waitUntil(async () => {
      for (const a of apps) await a.step(log);
      return apps.every((a) => a.owned() === 2);
    }, WAIT);
    sent.push(...(await produce(topic, 150, 60)));
    // Until a round in which every consumer holds its two partitions and every poll was answered
    // with nothing: then nothing is left at any member's position (a skipped record would be
    // found missing below, not waited for).
    await vi.waitUntil(async () => {
      const droppedBefore = links.reduce((n, l) => n + l.stats.pollAnswersDropped, 0);
      let got = 0;
      for (const a of apps) got += await a.step(log);
      const droppedNow = links.reduce((n, l) => n + l.stats.pollAnswersDropped, 0);
      return got === 0 && droppedNow === droppedBefore && apps.every((a) => a.owned() === 2);
    }, WAIT);

    const stats = links.map((l) => l.stats);
    const dropped = stats.reduce((n, s) => n + s.pollAnswersDropped, 0);
    const polls = stats.reduce((n, s) => n + s.polls, 0);
    expect(dropped).toBeGreaterThan(5);
    expect(stats.map((s) => s.joinAnswersDropped)).toEqual([1, 1, 1]);
    const described = await admin.describeGroup(group);
    expect(described.ok && described.body.members.map((m) => m.member_id).sort()).toEqual(apps.map((a) => a.consumer.memberId).sort());
    expect(skips(log)).toBe(0);
    const distinct = new Set(log.map((r) => r.value));
    expect([...distinct].sort()).toEqual([...sent].sort());
    const duplicates = log.length - distinct.size;
    console.log(
      `[figures] client group consumer, lost answers: ${polls} polls, ${dropped} answers dropped after the read, 3 join answers dropped (3 members, not 6); ${sent.length} records, 0 skipped, ${duplicates} duplicates`,
    );
    for (const a of apps) await a.consumer.close();
  }, 40_000);
});
