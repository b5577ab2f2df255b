/**
 * Proves the chaos checker's consumer-group rules (chaos/group-checker.ts, issue 6) on
 * hand-written group histories: a clean run with a rebalance is valid; every value in the log must
 * be processed by some member (undelivered), reads after a rebalance count, re-reads are counted
 * as redelivered and allowed; within an ownership period a member never jumps or goes back, a new
 * period may restart from the committed offset but not after it; a member served a partition while
 * another provably holds it (assigned, not released, session alive) is double_owned, and a
 * take-over after the holder's session timeout is not. Also the crash schedule of the nemesis.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../chaos/checker.ts";
import { CLOCK_MARGIN_MS } from "../../chaos/group-checker.ts";
import type { GroupOp, History, Op, PollOp, SendOp } from "../../chaos/history.ts";
import { crashSchedule, schedule } from "../../chaos/nemesis.ts";

const SESSION_MS = 10_000;

function send(partition: number, values: string[], offsets: number[], at: number): SendOp {
  return { type: "send", process: "producer-0", partition, values, invokeMs: at, completeMs: at + 2, outcome: "ok", offsets };
}

function join(process: string, member: string, epoch: number, assignment: number[], at: number): GroupOp {
  return { type: "group", call: "join", process, member, answerEpoch: epoch, assignment, invokeMs: at, completeMs: at + 5, outcome: "ok", reason: "start" };
}

function heartbeat(process: string, member: string, sent: number, owned: number[], answer: { epoch: number; assignment: number[] } | { code: number }, at: number): GroupOp {
  const op: GroupOp = { type: "group", call: "heartbeat", process, member, memberEpoch: sent, owned, invokeMs: at, completeMs: at + 5, outcome: "ok" };
  if ("code" in answer) {
    op.outcome = "fail";
    op.error = { code: answer.code, name: `E${answer.code}`, status: 409 };
  } else {
    op.answerEpoch = answer.epoch;
    op.assignment = answer.assignment;
  }
  return op;
}

/** An ok group poll; records as [partition, offset, value]. */
function gpoll(process: string, member: string, epoch: number, assignment: number[], records: [number, number, string][], at: number, unprocessed = false): GroupOp {
  const op: GroupOp = {
    type: "group",
    call: "poll",
    process,
    member,
    answerEpoch: epoch,
    assignment,
    records: records.map(([partition, offset, value]) => ({ partition, offset, value })),
    invokeMs: at,
    completeMs: at + 5,
    outcome: "ok",
  };
  if (unprocessed) op.unprocessed = true;
  return op;
}

function commit(process: string, member: string, epoch: number, offsets: [number, number][], at: number, outcome: GroupOp["outcome"] = "ok"): GroupOp {
  return { type: "group", call: "commit", process, member, memberEpoch: epoch, offsets: offsets.map(([partition, offset]) => ({ partition, offset })), invokeMs: at, completeMs: at + 5, outcome };
}

function leave(process: string, member: string, at: number): GroupOp {
  return { type: "group", call: "leave", process, member, invokeMs: at, completeMs: at + 5, outcome: "ok" };
}

function drain(partition: number, values: string[], at: number): PollOp {
  return {
    type: "poll",
    process: "drain",
    partition,
    fromOffset: -1,
    invokeMs: at,
    completeMs: at + 2,
    outcome: "ok",
    records: values.map((value, offset) => ({ offset, value })),
    nextOffset: values.length,
    highWatermark: values.length,
  };
}

function history(ops: Op[]): History {
  return { seed: 9, topic: "chaos", partitions: 2, acks: "all", groups: true, sessionTimeoutMs: SESSION_MS, durationMs: 60_000, ops };
}

const P0 = ["a0", "a1", "a2", "a3"];
const P1 = ["b0", "b1", "b2"];

/**
 * consumer-0 (m1) owns p0 and p1, reads a0 a1 b0 and commits; consumer-1 (m2) joins, p1 is
 * revoked from m1, which releases it; m2 reads p1 from the committed offset 1; m1 reads on in p0.
 */
function cleanOps(): Op[] {
  return [
    send(0, P0, [0, 1, 2, 3], 10),
    send(1, P1, [0, 1, 2], 20),
    join("consumer-0", "m1", 1, [0, 1], 100),
    gpoll("consumer-0", "m1", 1, [0, 1], [[0, 0, "a0"], [0, 1, "a1"], [1, 0, "b0"]], 110),
    commit("consumer-0", "m1", 1, [[0, 2], [1, 1]], 120),
    join("consumer-1", "m2", 2, [], 130),
    heartbeat("consumer-0", "m1", 1, [0, 1], { epoch: 2, assignment: [0] }, 140),
    heartbeat("consumer-0", "m1", 2, [0], { epoch: 2, assignment: [0] }, 150),
    heartbeat("consumer-1", "m2", 2, [], { epoch: 2, assignment: [1] }, 160),
    gpoll("consumer-1", "m2", 2, [1], [[1, 1, "b1"], [1, 2, "b2"]], 170),
    commit("consumer-1", "m2", 2, [[1, 3]], 176),
    gpoll("consumer-0", "m1", 2, [0], [[0, 2, "a2"], [0, 3, "a3"]], 180),
    commit("consumer-0", "m1", 2, [[0, 4]], 186),
    leave("consumer-0", "m1", 200),
    leave("consumer-1", "m2", 210),
    drain(0, P0, 300),
    drain(1, P1, 310),
  ];
}

const counters = (ops: Op[]) => {
  const r = check(history(ops));
  return { r: r.report, kinds: r.anomalies.map((a) => a.kind), anomalies: r.anomalies, groups: r.groups };
};

describe("chaos checker, consumer groups", () => {
  it("a clean run with a rebalance is valid: every value processed once, the partition moved once", () => {
    const { r, kinds, groups } = counters(cleanOps());
    expect(kinds).toEqual([]);
    expect(r).toMatchObject({ groups: true, undelivered: 0, redelivered: 0, double_owned: 0, rebalances: 1, nonmonotonic: 0, ops: 2 + 13 + 2, valid: true });
    expect(groups?.handovers).toBe(1);
  });

  it("a value in the log no member processed is undelivered; an unprocessed poll (crash) does not deliver", () => {
    const ops = cleanOps().filter((o) => !(o.type === "group" && o.call === "poll" && o.invokeMs === 180));
    ops.push(gpoll("consumer-0", "m1", 2, [0], [[0, 2, "a2"]], 180), commit("consumer-0", "m1", 2, [[0, 3]], 186));
    const one = counters(ops);
    expect(one.r).toMatchObject({ undelivered: 1, valid: false });
    expect(one.anomalies[0]).toMatchObject({ kind: "undelivered", value: "a3" });

    const crashed = cleanOps().map((o) => (o.type === "group" && o.call === "poll" && o.invokeMs === 180 ? { ...o, unprocessed: true } : o));
    expect(counters(crashed).r).toMatchObject({ undelivered: 2, valid: false });
  });

  it("reads after a rebalance count, and re-reads from the committed offset are redelivered, not anomalies", () => {
    // m1 reads a2 a3 but crashes before committing; after its session m3 re-reads p0 from 2.
    const ops = cleanOps().filter((o) => !(o.type === "group" && o.invokeMs >= 186 && o.invokeMs < 300));
    ops.push(
      { type: "nemesis", action: "crash", target: "consumer-0", startMs: 190, endMs: 190 },
      join("consumer-0", "m3", 3, [0], 150 + SESSION_MS + 10),
      gpoll("consumer-0", "m3", 3, [0], [[0, 2, "a2"], [0, 3, "a3"]], 150 + SESSION_MS + 20),
    );
    const { r, kinds } = counters(ops);
    expect(kinds).toEqual([]);
    expect(r).toMatchObject({ undelivered: 0, redelivered: 2, duplicates: 0, double_owned: 0, nonmonotonic: 0, valid: true });
  });

  it("a member jumping forward in a partition it owns is a skip, also inside one answer", () => {
    const jump = cleanOps().filter((o) => !(o.type === "group" && o.invokeMs === 180));
    jump.push(gpoll("consumer-0", "m1", 2, [0], [[0, 3, "a3"]], 180));
    const a = counters(jump);
    expect(a.kinds.filter((k) => k === "poll_skip")).toHaveLength(1);
    expect(a.r).toMatchObject({ nonmonotonic: 1, valid: false });

    const inside = cleanOps().filter((o) => !(o.type === "group" && o.invokeMs === 180));
    inside.push(gpoll("consumer-0", "m1", 2, [0], [[0, 2, "a2"], [0, 3, "a3"]], 180));
    const first = inside.find((o) => o.type === "group" && o.call === "poll" && o.invokeMs === 110) as GroupOp;
    first.records = [{ partition: 0, offset: 0, value: "a0" }, { partition: 1, offset: 0, value: "b0" }];
    // a0 then a2 within m1's ownership of p0: a1 was never read by m1 (and by no one: undelivered).
    first.records.push({ partition: 0, offset: 2, value: "a2" });
    const b = counters(inside);
    expect(b.kinds).toContain("poll_skip");
    expect(b.r.valid).toBe(false);
  });

  it("going back without losing the partition is non-monotonic; after losing and regaining it, a re-read is fine", () => {
    const back = cleanOps().filter((o) => !(o.type === "group" && o.invokeMs === 180));
    back.push(gpoll("consumer-0", "m1", 2, [0], [[0, 1, "a1"], [0, 2, "a2"], [0, 3, "a3"]], 180));
    const a = counters(back);
    expect(a.kinds).toEqual(["nonmonotonic_poll"]);
    expect(a.r).toMatchObject({ nonmonotonic: 1, redelivered: 1, valid: false });

    // m1 loses p0 (an answer without it, releases it) and gets it back: it restarts at the commit (2).
    const regained = cleanOps().filter((o) => !(o.type === "group" && o.invokeMs === 180));
    regained.push(
      heartbeat("consumer-0", "m1", 2, [0], { epoch: 3, assignment: [] }, 177),
      heartbeat("consumer-0", "m1", 3, [], { epoch: 4, assignment: [0] }, 178),
      gpoll("consumer-0", "m1", 4, [0], [[0, 1, "a1"], [0, 2, "a2"], [0, 3, "a3"]], 180),
    );
    const b = counters(regained);
    expect(b.kinds).toEqual([]);
    expect(b.r).toMatchObject({ redelivered: 1, valid: true });
  });

  it("a new owner starting after the highest commit is a skip; an unknown commit counts, a failed one does not", () => {
    const base = () => cleanOps().filter((o) => !(o.type === "group" && (o.invokeMs === 120 || o.invokeMs === 170 || o.invokeMs === 176)));
    const started = (extra: Op[]) => counters([...base(), ...extra, gpoll("consumer-1", "m2", 2, [1], [[1, 2, "b2"]], 170)]);
    // b1 was read by m1? No: m1 read only b0 and committed nothing, so m2 must start at 0 or 1.
    const noCommit = started([]);
    expect(noCommit.kinds).toContain("poll_skip");
    expect(noCommit.kinds).toContain("undelivered");
    // m1 committed 2 for p1 with an unknown outcome (it may have applied): starting at 2 is no skip.
    const unknown = started([commit("consumer-0", "m1", 1, [[1, 2]], 120, "info")]);
    expect(unknown.kinds.filter((k) => k === "poll_skip")).toEqual([]);
    // The same commit refused (fail): nothing was committed, so starting at 2 skips b1.
    const refused = started([commit("consumer-0", "m1", 1, [[1, 2]], 120, "fail")]);
    expect(refused.kinds).toContain("poll_skip");
  });

  it("a member served a partition another member holds (assigned, not released, alive) is double_owned", () => {
    // m1 never releases p1 (its heartbeats keep reporting it) yet m2 reads p1.
    const ops = cleanOps().map((o) => (o.type === "group" && o.call === "heartbeat" && o.member === "m1" && o.invokeMs === 150 ? { ...o, owned: [0, 1] } : o));
    const { r, anomalies } = counters(ops);
    expect(r).toMatchObject({ double_owned: 1, valid: false });
    expect(anomalies.find((a) => a.kind === "double_owned")).toMatchObject({ partition: 1, process: "consumer-1", ops: [2, 9] });
  });

  it("a take-over after the holder's session timeout (a crash) is not double_owned; nor after it left or was fenced", () => {
    const unreleased = () =>
      cleanOps()
        .filter((o) => !(o.type === "group" && (o.member === "m2" || o.invokeMs >= 150) && o.type === "group"))
        .filter((o) => o.type !== "poll");
    const takeOver = (at: number, extra: Op[] = []) =>
      counters([
        ...unreleased(),
        ...extra,
        join("consumer-1", "m2", 3, [1], at),
        gpoll("consumer-1", "m2", 3, [1], [[1, 1, "b1"], [1, 2, "b2"]], at + 10),
        gpoll("consumer-1", "m2", 3, [0, 1], [[0, 2, "a2"], [0, 3, "a3"]], at + 20),
        drain(0, P0, at + 100),
        drain(1, P1, at + 110),
      ]);
    // m1's last heartbeat was invoked at 140: alive until 140 + session − margin at most.
    const after = takeOver(140 + SESSION_MS - CLOCK_MARGIN_MS);
    expect(after.r).toMatchObject({ double_owned: 0, undelivered: 0, valid: true });
    const before = takeOver(5_000);
    expect(before.r).toMatchObject({ double_owned: 2, valid: false });
    expect(takeOver(5_000, [leave("consumer-0", "m1", 4_000)]).r).toMatchObject({ double_owned: 0, valid: true });
    expect(takeOver(5_000, [heartbeat("consumer-0", "m1", 2, [0, 1], { code: 110 }, 4_000)]).r).toMatchObject({ double_owned: 0, valid: true });
  });

  it("group reads join the read view: two members reading two values at one offset is inconsistent", () => {
    const ops = cleanOps().filter((o) => !(o.type === "group" && o.invokeMs === 170));
    ops.push(gpoll("consumer-1", "m2", 2, [1], [[1, 1, "b1"], [1, 2, "b1-other"]], 170));
    const { r } = counters(ops);
    expect(r.inconsistent_offsets).toBeGreaterThanOrEqual(1);
    expect(r.valid).toBe(false);
  });

  it("rebalances: the distinct member epochs answered, less the first", () => {
    const ops = cleanOps();
    ops.push(heartbeat("consumer-1", "m2", 2, [1], { epoch: 5, assignment: [1] }, 190));
    expect(counters(ops).r.rebalances).toBe(2);
  });
});

describe("chaos nemesis, consumer crashes", () => {
  it("every quick seed 1–20 crashes a consumer for longer than the session, ending before the tail; seeds replay", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const plan = crashSchedule({ seed, consumers: 3, durationMs: 75_000, quick: true, sessionTimeoutMs: SESSION_MS });
      expect(plan.length).toBeGreaterThanOrEqual(1);
      for (const c of plan) {
        expect(c.durationMs).toBeGreaterThan(SESSION_MS);
        expect(c.atMs + c.durationMs).toBeLessThanOrEqual(72_000);
        expect(c.consumer).toBeGreaterThanOrEqual(0);
        expect(c.consumer).toBeLessThan(3);
      }
      expect(crashSchedule({ seed, consumers: 3, durationMs: 75_000, quick: true, sessionTimeoutMs: SESSION_MS })).toEqual(plan);
    }
  });

  it("the crash schedule leaves the server-fault schedule of a seed unchanged", () => {
    const before = schedule({ seed: 5, classes: ["offline", "kill", "proxy", "respdrop"], partitions: 4, durationMs: 75_000, quick: true });
    crashSchedule({ seed: 5, consumers: 3, durationMs: 75_000, quick: true, sessionTimeoutMs: SESSION_MS });
    expect(schedule({ seed: 5, classes: ["offline", "kill", "proxy", "respdrop"], partitions: 4, durationMs: 75_000, quick: true })).toEqual(before);
  });
});
