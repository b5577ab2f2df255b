/**
 * Proves the chaos producer (chaos/producer.ts, issue 5) against a scripted in-memory broker (no
 * network, no timers: waits advance a fake clock): a plain producer never re-sends; with retries a
 * lost answer is re-sent with the same values, which without idempotence writes them twice and the
 * checker reports duplicates; the idempotent producer re-sends the same sequence and is answered
 * with the original offsets (written once), keeps one sequence per partition, resets its epoch on
 * 45/47 (a new id when the bump is refused), re-sends a retriable refusal only after an unknown
 * attempt, takes 46 as written, and stops re-sending `settleMs` after the workload stops.
 */
import { describe, expect, it } from "vitest";
import { check } from "../../chaos/checker.ts";
import type { History, InitOp, Op, SendOp } from "../../chaos/history.ts";
import { ChaosProducer, incrementSequence } from "../../chaos/producer.ts";
import type { CallResult, Stopper, Timer, WorkloadConfig } from "../../chaos/workload.ts";
import { incrementSequence as serverIncrementSequence } from "../../src/log/batch-planner.ts";

/** What the broker does with one request, taken from the script in order (then "normal"). */
type Step =
  | "normal"
  /** Processed, then the answer is lost (connection reset). */
  | "lose"
  /** Not processed: an error answer with this Kafka code (45, 47: 409; 19: 503; 46: 409). */
  | { refuse: number };

const ERROR_NAMES: Record<number, [string, number]> = {
  19: ["NOT_ENOUGH_REPLICAS", 503],
  45: ["OUT_OF_ORDER_SEQUENCE_NUMBER", 409],
  46: ["DUPLICATE_SEQUENCE_NUMBER", 409],
  47: ["INVALID_PRODUCER_EPOCH", 409],
};

interface Batch {
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
}

/** A broker with Kafka's idempotence rules, reduced: last 5 batches per producer and partition. */
class FakeBroker {
  readonly logs: string[][] = [[], []];
  readonly script: Step[] = [];
  readonly requests: { url: string; body: Record<string, unknown> }[] = [];
  #nextId = 1000;
  readonly #epochs = new Map<number, number>();
  readonly #batches = new Map<string, Batch[]>();

  readonly call = async (url: string, _token: string, _method: string, _timeoutMs: number, body?: unknown): Promise<CallResult> => {
    const b = (body ?? {}) as Record<string, unknown>;
    this.requests.push({ url, body: b });
    const step = this.script.shift() ?? "normal";
    if (typeof step === "object") {
      const [name, status] = ERROR_NAMES[step.refuse]!;
      return { status, json: { error_code: step.refuse, error: name }, error: { code: step.refuse, name, status } };
    }
    const answer = url.endsWith("/v1/producers") ? this.#init(b) : this.#produce(Number(/partitions\/(\d+)\//.exec(url)![1]), b);
    return step === "lose" ? { status: 0, json: null, error: { code: -1, name: "SOCKET_CLOSED", status: 0 } } : answer;
  };

  #init(b: Record<string, unknown>): CallResult {
    if (typeof b.producer_id !== "number") {
      const id = this.#nextId++;
      this.#epochs.set(id, 0);
      return { status: 200, json: { producer_id: id, producer_epoch: 0 } };
    }
    const epoch = this.#epochs.get(b.producer_id)!;
    if (b.producer_epoch !== epoch) return { status: 409, json: null, error: { code: 47, name: "INVALID_PRODUCER_EPOCH", status: 409 } };
    this.#epochs.set(b.producer_id, epoch + 1);
    return { status: 200, json: { producer_id: b.producer_id, producer_epoch: epoch + 1 } };
  }

  #produce(partition: number, b: Record<string, unknown>): CallResult {
    const values = (b.records as { value: string }[]).map((r) => r.value);
    const log = this.logs[partition]!;
    const answer = (first: number): CallResult => ({ status: 200, json: { offsets: values.map((_, i) => ({ partition, offset: first + i })) } });
    if (b.producer_id === undefined) {
      log.push(...values);
      return answer(log.length - values.length);
    }
    const key = `${b.producer_id as number}/${partition}`;
    const epoch = b.producer_epoch as number;
    const seq = b.base_sequence as number;
    const batches = this.#batches.get(key) ?? [];
    const refuse = (code: number): CallResult => {
      const [name, status] = ERROR_NAMES[code]!;
      return { status, json: null, error: { code, name, status } };
    };
    const last = batches.at(-1);
    if (last !== undefined && epoch < last.epoch) return refuse(47);
    if (last !== undefined && epoch === last.epoch) {
      const dup = batches.find((x) => x.firstSeq === seq && x.lastSeq === incrementSequence(seq, values.length - 1));
      if (dup !== undefined) return answer(dup.firstOffset);
      if (seq !== incrementSequence(last.lastSeq, 1)) return refuse(45);
    } else if (seq !== 0) return refuse(45);
    const kept = last !== undefined && epoch === last.epoch ? batches : [];
    kept.push({ epoch, firstSeq: seq, lastSeq: incrementSequence(seq, values.length - 1), firstOffset: log.length });
    this.#batches.set(key, kept.slice(-5));
    log.push(...values);
    return answer(log.length - values.length);
  }

  /** The final read of every partition, as the drain records it. */
  drain(): Op[] {
    return this.logs.map((log, partition) => ({
      type: "poll" as const,
      process: "drain",
      partition,
      fromOffset: 0,
      invokeMs: 1_000_000,
      completeMs: 1_000_001,
      outcome: "ok" as const,
      records: log.map((value, offset) => ({ offset, value })),
      nextOffset: log.length,
      highWatermark: log.length,
    }));
  }
}

function setup(mode: { idempotent: boolean; retries: boolean }) {
  const broker = new FakeBroker();
  let t = 0;
  const timer: Timer = { now: () => t, pause: async (ms) => void (t += ms) };
  const cfg: WorkloadConfig = {
    base: "http://broker",
    token: "t",
    topic: "chaos",
    partitions: 2,
    acks: "all",
    seed: 1,
    producers: 1,
    consumers: 0,
    requestTimeoutMs: 5_000,
    produceTimeoutMs: 3_000,
    minSendIntervalMs: 50,
    maxRecordsPerSend: 3,
    ...mode,
    settleMs: 2_000,
    now: () => t,
    call: broker.call,
    timer,
  };
  const ops: (SendOp | InitOp)[] = [];
  const stop: Stopper = { stopped: false };
  const producer = new ChaosProducer(cfg, 0, stop, (op) => ops.push(op));
  const sends = () => ops.filter((o): o is SendOp => o.type === "send");
  const inits = () => ops.filter((o): o is InitOp => o.type === "init");
  const history = (): History => ({ seed: 1, topic: "chaos", partitions: 2, acks: "all", idempotent: mode.idempotent, durationMs: t, ops: [...ops, ...broker.drain()] });
  return { broker, producer, ops, sends, inits, stop, history, clock: () => t };
}

const seqs = (sends: SendOp[]) => sends.map((s) => [s.partition, s.producer?.epoch, s.producer?.baseSequence, s.outcome]);

describe("chaos producer", () => {
  it("plain: a send whose answer was lost is not re-sent", async () => {
    const { broker, producer, sends } = setup({ idempotent: false, retries: false });
    broker.script.push("lose");
    await producer.deliver(0, ["v0"], 50);
    expect(sends().map((s) => s.outcome)).toEqual(["info"]);
    expect(sends()[0]!.producer).toBeUndefined();
  });

  it("retries without idempotence: a lost answer is re-sent with the same values, written twice, and the checker reports the duplicates", async () => {
    const { broker, producer, sends, history } = setup({ idempotent: false, retries: true });
    broker.script.push("lose", "lose");
    await producer.deliver(0, ["v0", "v1"], 50);
    await producer.deliver(0, ["v2"], 50);
    expect(sends().map((s) => [s.values, s.attempt, s.outcome])).toEqual([
      [["v0", "v1"], 1, "info"],
      [["v0", "v1"], 2, "info"],
      [["v0", "v1"], 3, "ok"],
      [["v2"], 1, "ok"],
    ]);
    expect(broker.logs[0]).toEqual(["v0", "v1", "v0", "v1", "v0", "v1", "v2"]);
    expect(check(history()).report).toMatchObject({ duplicates: 2, retries: 2, acked: 3, valid: false });
  });

  it("idempotent: a lost answer is re-sent with the same sequence and answered with the original offsets; written once, valid", async () => {
    const { broker, producer, sends, inits, history } = setup({ idempotent: true, retries: true });
    broker.script.push("normal", "lose", "lose");
    await producer.deliver(0, ["v0", "v1"], 50);
    await producer.deliver(0, ["v2"], 50);
    expect(inits().map((i) => [i.reset, i.outcome, i.id, i.epoch])).toEqual([[false, "ok", 1000, 0]]);
    expect(seqs(sends())).toEqual([
      [0, 0, 0, "info"],
      [0, 0, 0, "info"],
      [0, 0, 0, "ok"],
      [0, 0, 2, "ok"],
    ]);
    expect(broker.requests[1]!.body).toEqual({ records: [{ value: "v0" }, { value: "v1" }], producer_id: 1000, producer_epoch: 0, base_sequence: 0 });
    expect(sends()[2]!.offsets).toEqual([0, 1]);
    expect(broker.logs[0]).toEqual(["v0", "v1", "v2"]);
    expect(check(history()).report).toMatchObject({ idempotent: true, duplicates: 0, retries: 2, producer_resets: 0, reordered: 0, valid: true });
  });

  it("idempotent: each partition has its own sequence from 0, advancing by the batch's records", async () => {
    const { producer, sends } = setup({ idempotent: true, retries: true });
    await producer.deliver(0, ["a", "b"], 50);
    await producer.deliver(1, ["c"], 50);
    await producer.deliver(0, ["d", "e", "f"], 50);
    await producer.deliver(0, ["g"], 50);
    await producer.deliver(1, ["h"], 50);
    expect(seqs(sends()).map(([p, , seq]) => [p, seq])).toEqual([
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 5],
      [1, 1],
    ]);
  });

  it("sequences wrap at 2^31 - 1 to 0 exactly as the server's incrementSequence", () => {
    const max = 2 ** 31 - 1;
    for (const [seq, n] of [[0, 1], [5, 3], [max - 3, 3], [max - 3, 4], [max - 1, 5], [max, 1], [max, 200]] as const)
      expect(incrementSequence(seq, n), `${seq}+${n}`).toBe(serverIncrementSequence(seq, n));
    expect(incrementSequence(max, 1)).toBe(0);
  });

  it("idempotent: 45 or 47 is a refusal (fail) that resets the producer: epoch bumped, every partition from 0 again", async () => {
    const { broker, producer, sends, inits, history } = setup({ idempotent: true, retries: true });
    await producer.deliver(0, ["a", "b"], 50);
    await producer.deliver(1, ["c"], 50);
    broker.script.push({ refuse: 45 });
    await producer.deliver(0, ["d"], 50);
    await producer.deliver(0, ["e"], 50);
    broker.script.push({ refuse: 47 });
    await producer.deliver(1, ["f"], 50);
    await producer.deliver(1, ["g"], 50);
    expect(seqs(sends())).toEqual([
      [0, 0, 0, "ok"],
      [1, 0, 0, "ok"],
      [0, 0, 2, "fail"],
      [0, 1, 0, "ok"],
      [1, 1, 0, "fail"],
      [1, 2, 0, "ok"],
    ]);
    expect(inits().map((i) => [i.reset, i.from, i.epoch, i.reason])).toEqual([
      [false, undefined, 0, undefined],
      [true, { id: 1000, epoch: 0 }, 1, "45 OUT_OF_ORDER_SEQUENCE_NUMBER on p0"],
      [true, { id: 1000, epoch: 1 }, 2, "47 INVALID_PRODUCER_EPOCH on p1"],
    ]);
    expect(producer.resets).toBe(2);
    expect(check(history()).report).toMatchObject({ producer_resets: 2, valid: true });
  });

  it("idempotent: a refused epoch bump falls back to a new producer id", async () => {
    const { broker, producer, sends, inits } = setup({ idempotent: true, retries: true });
    await producer.deliver(0, ["a"], 50);
    broker.script.push({ refuse: 45 }, { refuse: 47 });
    await producer.deliver(0, ["b"], 50);
    await producer.deliver(0, ["c"], 50);
    expect(inits().map((i) => [i.attempt, i.from, i.outcome, i.id, i.epoch])).toEqual([
      [1, undefined, "ok", 1000, 0],
      [1, { id: 1000, epoch: 0 }, "fail", undefined, undefined],
      [2, undefined, "ok", 1001, 0],
    ]);
    expect(sends().at(-1)!.producer).toEqual({ id: 1001, epoch: 0, baseSequence: 0 });
  });

  it("idempotent: a retriable refusal after an unknown attempt is re-sent with the same sequence; as the first answer it is final and the sequence is reused", async () => {
    const { broker, producer, sends } = setup({ idempotent: true, retries: true });
    broker.script.push("normal", { refuse: 19 });
    await producer.deliver(0, ["a"], 50);
    await producer.deliver(0, ["b"], 50);
    broker.script.push("lose", { refuse: 19 });
    await producer.deliver(0, ["c"], 50);
    await producer.deliver(0, ["d"], 50);
    expect(sends().map((s) => [s.values[0], s.producer?.baseSequence, s.outcome])).toEqual([
      ["a", 0, "fail"],
      ["b", 0, "ok"],
      ["c", 1, "info"],
      ["c", 1, "fail"],
      ["c", 1, "ok"], // the duplicate answer: c was written by the first attempt
      ["d", 2, "ok"],
    ]);
    expect(sends()[4]!.offsets).toEqual([1]);
  });

  it("idempotent: 46 DUPLICATE_SEQUENCE_NUMBER means written (info, not fail) and the sequence moves on", async () => {
    const { broker, producer, sends } = setup({ idempotent: true, retries: true });
    // Written, the answer lost; the re-send is answered 46 instead of the original offsets.
    broker.script.push("normal", "lose", { refuse: 46 });
    await producer.deliver(0, ["a", "b"], 50);
    await producer.deliver(0, ["c"], 50);
    expect(sends().map((s) => [s.values[0], s.producer?.baseSequence, s.outcome, s.error?.code])).toEqual([
      ["a", 0, "info", -1],
      ["a", 0, "info", 46],
      ["c", 2, "ok", undefined],
    ]);
  });

  it("after the workload stops, an unknown send is re-sent for settleMs at most, then given up without a reset", async () => {
    const { broker, producer, sends, inits, stop, clock } = setup({ idempotent: true, retries: true });
    await producer.deliver(0, ["a"], 50);
    stop.stopped = true;
    broker.script.push(...Array<Step>(100).fill("lose"));
    const from = clock();
    await producer.deliver(0, ["b"], 50);
    const attempts = sends().filter((s) => s.values[0] === "b");
    expect(attempts.every((s) => s.outcome === "info")).toBe(true);
    expect(attempts.length).toBe(2_000 / 250 + 1); // 250 ms after each unanswered request
    expect(clock() - from).toBe(attempts.length * 250);
    expect(inits()).toHaveLength(1);
  });
});
