/**
 * The chaos checker's passes (chaos/checks/, composed by `check` in chaos/checker.ts), each on
 * its own: the facts of one pass over the history, and each rule family's pass reports only its
 * own kinds; `check`'s anomalies are the passes' in a fixed order (values, inconsistent offsets,
 * polls, sends, reordered), the order chaos/run.ts saves in anomalies.json. The rules themselves
 * are proved through `check` in chaos-checker.test.ts.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../chaos/checker.ts";
import { collectFacts } from "../../chaos/checks/facts.ts";
import { failoverTimes } from "../../chaos/checks/failover.ts";
import { inconsistentOffsets } from "../../chaos/checks/offsets.ts";
import { pollAnomalies } from "../../chaos/checks/polls.ts";
import { reorderedValues, sendOffsetAnomalies } from "../../chaos/checks/sends.ts";
import { valueAnomalies } from "../../chaos/checks/values.ts";
import type { History, NemesisOp, Op, PollOp, SendOp } from "../../chaos/history.ts";

/** A send of `values`: ok at the offsets `result` lists, else failed or unknown. */
type Result = number[] | "fail" | "info";

function send(process: string, partition: number, values: string[], result: Result, at: number): SendOp {
  const outcome = Array.isArray(result) ? "ok" : result;
  const op: SendOp = { type: "send", process, partition, values, invokeMs: at, completeMs: at + 5, outcome };
  if (Array.isArray(result)) op.offsets = result;
  return op;
}

/** An ok poll of `records` ([offset, value]) answering nextOffset = last + 1. */
function poll(process: string, partition: number, fromOffset: number, records: [number, string][], at: number): PollOp {
  const recs = records.map(([offset, value]) => ({ offset, value }));
  const base = { type: "poll", process, partition, fromOffset, invokeMs: at, completeMs: at + 5 } as const;
  return { ...base, outcome: "ok", records: recs, nextOffset: (recs.at(-1)?.offset ?? fromOffset - 1) + 1 };
}

/** A leader fault starting at `at`. */
const fault = (target: string, at: number): NemesisOp =>
  ({ type: "nemesis", action: "offline", target, leader: true, startMs: at, endMs: at + 1 });

function history(ops: Op[], idempotent = true): History {
  return { seed: 3, topic: "chaos", partitions: 2, acks: "all", idempotent, durationMs: 1000, ops };
}

/**
 * One anomaly of every non-group kind: "lost" acked and never read though reads passed it,
 * "dup" read twice, "failed" read though its send failed, p0@3 read with two values, poll skips,
 * a non-monotonic send (producer-1's offsets going down within one send) and a reordering.
 */
function messyOps(): Op[] {
  return [
    send("producer-0", 0, ["a0", "lost", "dup"], [0, 1, 2], 10),
    send("producer-0", 0, ["failed"], "fail", 20),
    send("producer-1", 1, ["b1", "b0"], [1, 0], 30),
    poll("consumer-0", 0, 0, [[0, "a0"], [2, "dup"], [3, "failed"]], 40),
    poll("consumer-0", 1, 0, [[0, "b0"], [1, "b1"]], 50),
    poll("drain", 0, 0, [[0, "a0"]], 60),
    poll("drain", 0, 1, [[2, "dup"], [3, "x"], [4, "dup"]], 70),
  ];
}

describe("chaos checker passes", () => {
  it("collectFacts counts ops, keys values in the order first met, keeps ok sends and polls per client", () => {
    const late = send("producer-0", 0, ["late"], "info", 90);
    const f = collectFacts(history([...messyOps(), fault("p0/r1", 80), late]));
    expect(f.counts).toEqual({ ok: 6, fail: 1, info: 1, sends: 4, okSends: 2, acked: 5, retries: 0, resets: 0 });
    expect([...f.values.keys()]).toEqual(["a0", "lost", "dup", "failed", "b1", "b0", "x", "late"]);
    expect([...f.sendsBy.values()]).toEqual([[0], [2]]);
    expect([...f.pollsBy.values()]).toEqual([[3], [4], [5, 6]]);
    expect(f.nemeses).toEqual([7]);
    expect(f.views.get(0)?.max).toBe(4);
    expect([...f.conflicts.keys()]).toHaveLength(1);
    expect(f.plainReads.has("x")).toBe(true);
  });

  it("each pass reports only its own kinds, and check lists them in the fixed family order", () => {
    const h = history(messyOps());
    const f = collectFacts(h);
    const passes = {
      values: valueAnomalies(f),
      offsets: inconsistentOffsets(f),
      polls: pollAnomalies(f),
      sends: sendOffsetAnomalies(f),
      reordered: reorderedValues(f),
    };
    const kinds = (list: { kind: string }[]) => [...new Set(list.map((a) => a.kind))].sort();
    expect(kinds(passes.values)).toEqual(["aborted_read", "duplicate", "lost"]);
    expect(kinds(passes.offsets)).toEqual(["inconsistent_offset"]);
    expect(kinds(passes.polls)).toEqual(["poll_skip"]);
    expect(kinds(passes.sends)).toEqual(["nonmonotonic_send"]);
    expect(kinds(passes.reordered)).toEqual(["reordered"]);
    expect(check(h).anomalies).toEqual(Object.values(passes).flat());
  });

  it("reordered is checked in idempotent histories only", () => {
    expect(check(history(messyOps(), false)).anomalies.filter((a) => a.kind === "reordered")).toEqual([]);
    expect(check(history(messyOps(), true)).report.reordered).toBe(1);
  });

  it("failoverTimes: to the first ok send to complete of those invoked at or after the fault, in its partition", () => {
    const slow = { ...send("producer-0", 0, ["s"], [0], 110), completeMs: 400 };
    const fast = { ...send("producer-1", 0, ["t"], [1], 120), completeMs: 150 };
    const other = send("producer-2", 1, ["u"], [0], 105);
    const before = send("producer-0", 0, ["r"], [2], 90);
    const ops: Op[] = [before, fault("p0/r0", 100), other, slow, fast, fault("server", 100)];
    const got = failoverTimes(collectFacts(history(ops)));
    expect(got.map((x) => [x.partition, x.ms, x.send])).toEqual([
      [0, 50, 4],
      [null, 10, 2],
    ]);
  });
});
