/**
 * Proves the chaos checker (chaos/checker.ts, issue 4): a clean hand-written history is valid
 * with every counter 0, and each anomaly, written by hand into an otherwise clean history, is
 * caught with exactly its counter at 1 and `valid` false; acks=1 reports lost and unseen writes
 * but stays valid; fail-over times are measured from a leader fault to the next ok send.
 * Issue 5: re-sends of the same values are one value each (acked once, a duplicate when written
 * twice, aborted only when every send failed, inconsistent when acked at two offsets), and in an
 * idempotent history a producer's values are read in the order it sent them (`reordered`).
 */
import { describe, expect, it } from "vitest";
import { check, formatSummary, type AnomalyKind } from "../../chaos/checker.ts";
import type { History, InitOp, Op, PollOp, Report, SendOp } from "../../chaos/history.ts";

let clock = 0;
const tick = () => (clock += 10);

function send(process: string, partition: number, values: string[], result: number[] | "fail" | "info", at?: number): SendOp {
  const invokeMs = at ?? tick();
  const op: SendOp = { type: "send", process, partition, values, invokeMs, completeMs: invokeMs + 5, outcome: Array.isArray(result) ? "ok" : result };
  if (Array.isArray(result)) op.offsets = result;
  return op;
}

/** An ok poll; `records` as [offset, value]; nextOffset = last + 1, or `from` when empty. */
function poll(process: string, partition: number, fromOffset: number, records: [number, string][], nextOffset?: number): PollOp {
  const invokeMs = tick();
  const last = records.at(-1)?.[0];
  return {
    type: "poll",
    process,
    partition,
    fromOffset,
    invokeMs,
    completeMs: invokeMs + 5,
    outcome: "ok",
    records: records.map(([offset, value]) => ({ offset, value })),
    nextOffset: nextOffset ?? (last !== undefined ? last + 1 : fromOffset),
    highWatermark: 100,
  };
}

function history(ops: Op[], acks: "all" | "1" = "all", idempotent = false): History {
  return { seed: 7, topic: "chaos", partitions: 2, acks, idempotent, durationMs: clock + 100, ops };
}

/** Attempt `attempt` of `first`'s values (a re-send after an unknown outcome). */
function resend(first: SendOp, attempt: number, result: number[] | "fail" | "info"): SendOp {
  return { ...send(first.process, first.partition, first.values, result), attempt };
}

function init(process: string, reset: boolean, attempt = 1): InitOp {
  const invokeMs = tick();
  return { type: "init", process, invokeMs, completeMs: invokeMs + 5, outcome: "ok", reset, attempt, id: 1000, epoch: reset ? 1 : 0 };
}

/**
 * A clean run on two partitions: two producers, a failed and an unknown send, a consumer from
 * "earliest" in two polls, an error poll, a leader fault, and the final drain of both partitions.
 */
function cleanOps(): Op[] {
  clock = 0;
  return [
    send("producer-0", 0, ["a0", "a1"], [0, 1]),
    send("producer-1", 1, ["b0"], [0]),
    send("producer-0", 0, ["a2"], [2]),
    send("producer-1", 1, ["x-failed"], "fail"),
    send("producer-1", 1, ["b1-unknown"], "info"), // written after all: read at p1@1
    send("producer-1", 1, ["b2-unknown"], "info"), // never written: fine either way
    poll("consumer-0", 0, -1, [[0, "a0"], [1, "a1"]]),
    { type: "poll", process: "consumer-0", partition: 0, fromOffset: 2, invokeMs: tick(), completeMs: tick(), outcome: "info" },
    poll("consumer-0", 0, 2, [[2, "a2"]]),
    poll("consumer-0", 0, 3, []),
    { type: "nemesis", action: "offline", target: "p0/r0", leader: true, startMs: tick(), endMs: clock + 3 },
    send("producer-0", 0, ["a3"], [3]),
    poll("drain", 0, 0, [[0, "a0"], [1, "a1"], [2, "a2"], [3, "a3"]]),
    poll("drain", 1, 0, [[0, "b0"], [1, "b1-unknown"]]),
    poll("drain", 1, 2, []),
  ];
}

const COUNTERS = ["lost", "unseen", "duplicates", "inconsistent_offsets", "aborted_reads", "nonmonotonic", "reordered"] as const;

/** Every anomaly counter is 0 except `only`, which is exactly 1, and `valid` is false. */
function expectOnly(report: Report, only: (typeof COUNTERS)[number]): void {
  for (const c of COUNTERS) expect(report[c], c).toBe(c === only ? 1 : 0);
  expect(report.valid).toBe(false);
}

function kinds(ops: Op[], acks: "all" | "1" = "all", idempotent = false): { report: Report; kinds: AnomalyKind[]; details: string[] } {
  const r = check(history(ops, acks, idempotent));
  return { report: r.report, kinds: r.anomalies.map((a) => a.kind), details: r.anomalies.map((a) => a.detail) };
}

describe("chaos checker", () => {
  it("a clean history is valid with every anomaly counter 0 and the op counters right", () => {
    const r = check(history(cleanOps()));
    expect(r.anomalies).toEqual([]);
    expect(r.report).toEqual({
      seed: 7,
      idempotent: false,
      ops: 14,
      ok: 10,
      fail: 1,
      info: 2 + 1,
      acked: 5,
      lost: 0,
      unseen: 0,
      duplicates: 0,
      inconsistent_offsets: 0,
      aborted_reads: 0,
      nonmonotonic: 0,
      reordered: 0,
      retries: 0,
      producer_resets: 0,
      groups: false,
      undelivered: 0,
      redelivered: 0,
      rebalances: 0,
      double_owned: 0,
      availability: 0.571, // 4 ok sends of 7
      failover_ms_p50: 15, // the fault at 120, the next send invoked 130, completed 135
      failover_ms_max: 15,
      valid: true,
    });
    expect(formatSummary(r)).toContain("valid");
  });

  it("every acked value is read once reads pass its offset: one that is not is a lost write", () => {
    const ops = cleanOps();
    ops.push(send("producer-0", 0, ["a4"], [4]), send("producer-0", 0, ["a5"], [5]), poll("consumer-1", 0, 5, [[5, "a5"]]));
    const { report, kinds: k, details } = kinds(ops);
    expectOnly(report, "lost");
    expect(k).toEqual(["lost"]);
    expect(details[0]).toContain("a4");
  });

  it("every acked value is read by the end: one the reads never reached is unseen", () => {
    const ops = cleanOps();
    ops.push(send("producer-0", 0, ["a4"], [4]));
    const { report, kinds: k } = kinds(ops);
    expectOnly(report, "unseen");
    expect(k).toEqual(["unseen"]);
  });

  it("every value is read at one position only: two offsets (also across partitions) are a duplicate", () => {
    const ops = cleanOps();
    ops.push(send("producer-1", 1, ["b3"], "info"), poll("drain", 1, 2, [[2, "b3"], [3, "b3"]]));
    expectOnly(kinds(ops).report, "duplicates");

    const across = cleanOps();
    across.push(send("producer-0", 0, ["dup"], "info"), poll("drain", 0, 4, [[4, "dup"]]), poll("drain", 1, 2, [[2, "dup"]]));
    const { report, kinds: k } = kinds(across);
    expectOnly(report, "duplicates");
    expect(k).toEqual(["duplicate"]);
  });

  it("every offset holds one value: two values read at one offset are an inconsistent offset", () => {
    const ops = cleanOps();
    ops.push(send("producer-1", 1, ["b3"], "info"), send("producer-1", 1, ["b4"], "info"));
    ops.push(poll("consumer-1", 1, 2, [[2, "b3"]]), poll("drain", 1, 2, [[2, "b4"]]));
    const { report, kinds: k } = kinds(ops);
    expectOnly(report, "inconsistent_offsets");
    expect(k).toEqual(["inconsistent_offset"]);
  });

  it("every acked value is read at its acked offset: read elsewhere (its offset holding another value) is an inconsistent offset", () => {
    const ops = cleanOps();
    ops.push(send("producer-0", 0, ["a4"], [4]), send("producer-1", 0, ["z"], "info"));
    ops.push(poll("consumer-1", 0, 4, [[4, "z"], [5, "a4"]]));
    const { report, kinds: k, details } = kinds(ops);
    expectOnly(report, "inconsistent_offsets");
    expect(k).toEqual(["inconsistent_offset"]);
    expect(details[0]).toContain("acked at p0@4");
  });

  it("every value read was sent: a value no send carried is an inconsistent offset", () => {
    const ops = cleanOps();
    ops.push(poll("drain", 1, 2, [[2, "garbage"]]));
    expectOnly(kinds(ops).report, "inconsistent_offsets");
  });

  it("a value whose send definitely failed is never read: one that is is an aborted read", () => {
    const ops = cleanOps();
    ops.push(poll("drain", 1, 2, [[2, "x-failed"]]));
    const { report, kinds: k } = kinds(ops);
    expectOnly(report, "aborted_reads");
    expect(k).toEqual(["aborted_read"]);
  });

  it("a consumer's records continue exactly at its position: a gap is a poll skip", () => {
    // Within one poll: 0, 1 then 3.
    const inPoll = cleanOps();
    inPoll.push(poll("consumer-1", 0, 0, [[0, "a0"], [1, "a1"], [3, "a3"]]));
    expectOnly(kinds(inPoll).report, "nonmonotonic");
    expect(kinds(inPoll).kinds).toEqual(["poll_skip"]);

    // The first record after the asked offset.
    const head = cleanOps();
    head.push(poll("consumer-1", 0, 1, [[2, "a2"]]));
    expect(kinds(head).kinds).toEqual(["poll_skip"]);

    // Asking from after the previous poll's nextOffset.
    const between = cleanOps();
    between.push(poll("consumer-1", 0, 0, [[0, "a0"]]), poll("consumer-1", 0, 2, [[2, "a2"]]));
    const r = kinds(between);
    expectOnly(r.report, "nonmonotonic");
    expect(r.kinds).toEqual(["poll_skip"]);

    // A nextOffset past the last record returned.
    const next = cleanOps();
    next.push(poll("consumer-1", 0, 0, [[0, "a0"]], 2));
    expect(kinds(next).kinds).toEqual(["poll_skip"]);
  });

  it("a consumer never goes backwards: a poll before its position is a non-monotonic poll", () => {
    const ops = cleanOps();
    ops.push(poll("consumer-1", 0, 0, [[0, "a0"], [1, "a1"], [2, "a2"]]), poll("consumer-1", 0, 1, [[1, "a1"]]));
    const { report, kinds: k } = kinds(ops);
    expectOnly(report, "nonmonotonic");
    expect(k).toEqual(["nonmonotonic_poll"]);

    // Polls are taken in completion order, not in the order recorded.
    const reordered = cleanOps();
    const late = poll("consumer-1", 0, 2, [[2, "a2"]]);
    const early = poll("consumer-1", 0, 0, [[0, "a0"], [1, "a1"]]);
    reordered.push(late, early);
    [late.invokeMs, late.completeMs, early.invokeMs, early.completeMs] = [early.invokeMs, early.completeMs, late.invokeMs, late.completeMs];
    expect(kinds(reordered).kinds).toEqual([]);
  });

  it("the drain's polls are checked like a consumer's", () => {
    const ops = cleanOps();
    ops.push(poll("drain", 0, 2, [[2, "a2"]]));
    expect(kinds(ops).kinds).toEqual(["nonmonotonic_poll"]);
  });

  it("a producer's ok sends to one partition get increasing offsets (non-monotonic send)", () => {
    const ops = cleanOps();
    // producer-2's second send is acked below its first, and the reads agree with both acks.
    ops.push(send("producer-2", 1, ["b3"], [3]), send("producer-2", 1, ["b2"], [2]), poll("drain", 1, 2, [[2, "b2"], [3, "b3"]]));
    const { report, kinds: k } = kinds(ops);
    expectOnly(report, "nonmonotonic");
    expect(k).toEqual(["nonmonotonic_send"]);

    // Within one send.
    const inSend = cleanOps();
    inSend.push(send("producer-2", 1, ["b3", "b2"], [3, 2]), poll("drain", 1, 2, [[2, "b2"], [3, "b3"]]));
    expect(kinds(inSend).kinds).toEqual(["nonmonotonic_send"]);
  });

  it("with acks=1 lost and unseen writes are reported but the history stays valid", () => {
    const ops = cleanOps();
    // An acks=1 write truncated away: acked at p1@2, then p1@2 handed to the same producer's next
    // write b4 (neither an inconsistent offset nor a non-monotonic send); and one never read.
    ops.push(send("producer-1", 1, ["b3-truncated"], [2]), send("producer-1", 1, ["b4"], [2]), send("producer-0", 0, ["a9"], [9]));
    ops.push(poll("drain", 1, 2, [[2, "b4"]]));
    const one = kinds(ops, "1");
    expect(one.report).toMatchObject({ lost: 1, unseen: 1, duplicates: 0, inconsistent_offsets: 0, aborted_reads: 0, valid: true });
    expect(one.kinds.sort()).toEqual(["lost", "unseen"]);
    // The same history with acks=all is invalid; and acks=1 still fails on any other anomaly.
    expect(kinds(ops, "all").report.valid).toBe(false);
    ops.push(poll("drain", 1, 3, [[3, "x-failed"]]));
    expect(kinds(ops, "1").report).toMatchObject({ aborted_reads: 1, valid: false });
  });

  it("fail-over time runs from a leader fault to the first ok send invoked after it, in the partition its target names", () => {
    clock = 0;
    const ops: Op[] = [
      send("producer-0", 0, ["a0"], [0], 0),
      send("producer-1", 1, ["b0"], [0], 0),
      { type: "nemesis", action: "offline", target: "p0/r1", leader: true, startMs: 100, endMs: 110 },
      { type: "nemesis", action: "proxy-slow", target: "server", startMs: 150, endMs: 160 }, // not a leader fault
      // In flight across the fault: does not count as the fail-over's end.
      { ...send("producer-0", 0, ["a1"], [1], 95), completeMs: 105 },
      send("producer-1", 1, ["b1"], [1], 120), // other partition
      send("producer-0", 0, ["a2"], "info", 130),
      { ...send("producer-0", 0, ["a3"], [2], 200), completeMs: 340 },
      { ...send("producer-2", 0, ["a4"], [3], 210), completeMs: 330 }, // completes first
      { type: "nemesis", action: "kill", target: "server", leader: true, startMs: 1000, endMs: 1001 },
      { ...send("producer-1", 1, ["b2"], [2], 1000), completeMs: 1500 },
      { type: "nemesis", action: "offline", target: "p1/r0", leader: true, startMs: 2000, endMs: 2010 }, // never recovers
    ];
    const r = check(history(ops));
    expect(r.failovers.map((f) => [f.partition, f.ms])).toEqual([
      [0, 230],
      [null, 500],
      [1, null],
    ]);
    expect(r.report.failover_ms_p50).toBe(230);
    expect(r.report.failover_ms_max).toBe(500);
    expect(check(history(cleanOps().filter((o) => o.type !== "nemesis"))).report.failover_ms_p50).toBeNull();
  });

  describe("re-sends of the same values (issue 5)", () => {
    it("a value sent several times is one value: acked once when one attempt is ok, valid when written once", () => {
      const ops = cleanOps();
      const first = send("producer-2", 0, ["c0", "c1"], "info");
      ops.push(first, resend(first, 2, "info"), resend(first, 3, [4, 5]), poll("drain", 0, 4, [[4, "c0"], [5, "c1"]]));
      const r = check(history(ops));
      expect(r.anomalies).toEqual([]);
      expect(r.report).toMatchObject({ acked: 5 + 2, retries: 2, valid: true });
      expect(r.report.info).toBe(3 + 2);
    });

    it("a re-send written as well as the first attempt is a duplicate (what blind retries do under lost answers)", () => {
      const ops = cleanOps();
      const first = send("producer-2", 0, ["c0", "c1"], "info"); // written at 4, 5; the answer lost
      ops.push(first, resend(first, 2, [6, 7]), poll("drain", 0, 4, [[4, "c0"], [5, "c1"], [6, "c0"], [7, "c1"]]));
      const { report, kinds: k, details } = kinds(ops);
      expect(report).toMatchObject({ duplicates: 2, inconsistent_offsets: 0, nonmonotonic: 0, valid: false });
      expect(k).toEqual(["duplicate", "duplicate"]);
      expect(details[0]).toContain("p0@4");
      expect(details[0]).toContain("p0@6");
    });

    it("a value read is aborted only if every attempt failed: unknown then failed is not", () => {
      const ops = cleanOps();
      const first = send("producer-2", 1, ["c0"], "info");
      ops.push(first, resend(first, 2, "fail"), poll("drain", 1, 2, [[2, "c0"]]));
      expect(kinds(ops).kinds).toEqual([]);

      const failed = cleanOps();
      const f = send("producer-2", 1, ["c0"], "fail");
      failed.push(f, resend(f, 2, "fail"), poll("drain", 1, 2, [[2, "c0"]]));
      expectOnly(kinds(failed).report, "aborted_reads");
    });

    it("a value acked at two different offsets is an inconsistent offset", () => {
      const ops = cleanOps();
      const first = send("producer-2", 0, ["c0"], [4]);
      ops.push(first, resend(first, 2, [5]), poll("drain", 0, 4, [[4, "c0"], [5, "a-other"]]), send("producer-1", 0, ["a-other"], "info"));
      const { report, details } = kinds(ops);
      expectOnly(report, "inconsistent_offsets");
      expect(details[0]).toContain("acked at p0@5");
    });
  });

  describe("idempotent histories (issue 5)", () => {
    /**
     * producer-2 after its init, all to p0: c0, c1 acked at `b1`; c2, c3 unknown, then re-sent and
     * acked at `b2`; c4 unknown (given up). Ops 15..19 after the clean ops.
     */
    function idempotentOps(b1: number[] = [4, 5], b2: number[] = [6, 7]): Op[] {
      const ops = cleanOps();
      ops.push(init("producer-2", false), send("producer-2", 0, ["c0", "c1"], b1));
      const second = send("producer-2", 0, ["c2", "c3"], "info");
      ops.push(second, resend(second, 2, b2), send("producer-2", 0, ["c4"], "info"));
      return ops;
    }

    it("a producer's values read in the order it sent them are valid, also unacked ones; init ops count as requests", () => {
      const ops = idempotentOps();
      ops.push(poll("drain", 0, 4, [[4, "c0"], [5, "c1"], [6, "c2"], [7, "c3"], [8, "c4"]]));
      const r = check(history(ops, "all", true));
      expect(r.anomalies).toEqual([]);
      expect(r.report).toMatchObject({ idempotent: true, ops: 14 + 5 + 1, retries: 1, producer_resets: 0, reordered: 0, valid: true });
    });

    it("a producer's value read before one it sent earlier (same partition) is reordered", () => {
      // Every acked value at its acked offset; the unknown c4, sent last, sits at 4 before c0.
      const ops = idempotentOps([5, 6], [7, 8]);
      ops.push(poll("drain", 0, 4, [[4, "c4"], [5, "c0"], [6, "c1"], [7, "c2"], [8, "c3"]]));
      const { report, kinds: k, details } = kinds(ops, "all", true);
      expectOnly(report, "reordered");
      expect(k).toEqual(["reordered"]);
      expect(details[0]).toBe('producer-2 sent "c0" (op 16) before "c4" (op 19), but p0 holds "c4" at 4 (op 20) and "c0" at 5 (op 20)');
      // Without idempotence the same log is legal (a timed-out send may land late): not checked.
      expect(kinds(ops, "all", false).report).toMatchObject({ reordered: 0, valid: true });
    });

    it("other producers' values between a producer's, and its values in another partition, do not matter", () => {
      const ops = idempotentOps([4, 6], [7, 8]);
      ops.push(send("producer-0", 0, ["a-between"], [5]), send("producer-2", 1, ["c5"], [2]));
      ops.push(poll("drain", 0, 4, [[4, "c0"], [5, "a-between"], [6, "c1"], [7, "c2"], [8, "c3"], [9, "c4"]]), poll("drain", 1, 2, [[2, "c5"]]));
      expect(kinds(ops, "all", true).kinds).toEqual([]);
    });

    it("producer resets are counted once per re-initialisation, not per request", () => {
      const ops = idempotentOps();
      ops.push(init("producer-2", true, 1), { ...init("producer-2", true, 2), outcome: "info" }, init("producer-2", true, 3), init("producer-1", true));
      ops.push(poll("drain", 0, 4, [[4, "c0"], [5, "c1"], [6, "c2"], [7, "c3"]]));
      expect(check(history(ops, "all", true)).report).toMatchObject({ producer_resets: 2, valid: true });
    });
  });

  it("is linear-ish: 10^5 sends of 10 values and their reads check in seconds", () => {
    const ops: Op[] = [];
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const values = Array.from({ length: 10 }, (_, k) => `v${i}-${k}`);
      ops.push({ type: "send", process: `producer-${i % 4}`, partition: i % 2, values, invokeMs: i, completeMs: i + 1, outcome: "ok", offsets: values.map((_, k) => Math.floor(i / 2) * 10 + k) });
    }
    for (const p of [0, 1]) {
      for (let from = 0; from < (n / 2) * 10; from += 500) {
        const records = Array.from({ length: 500 }, (_, k) => {
          const offset = from + k;
          return { offset, value: `v${Math.floor(offset / 10) * 2 + p}-${offset % 10}` };
        });
        ops.push({ type: "poll", process: "drain", partition: p, fromOffset: from, invokeMs: n + from, completeMs: n + from + 1, outcome: "ok", records, nextOffset: from + 500 });
      }
    }
    const started = performance.now();
    const r = check({ seed: 1, topic: "t", partitions: 2, acks: "all", durationMs: n, ops });
    const ms = performance.now() - started;
    expect(r.report).toMatchObject({ acked: 1_000_000, lost: 0, unseen: 0, duplicates: 0, nonmonotonic: 0, valid: true });
    expect(ms).toBeLessThan(15_000);
  }, 60_000);
});
