/**
 * Issue 19, the Kafka door's read-ahead (src/doors/kafka/fetch.ts, read-ahead.ts), with the
 * fetch service replaced by a log of 25 records in memory:
 * - an answer that leaves records below the high watermark starts the read of the next offset
 *   at once, and the Fetch for that offset is answered from it (no second read), with the same
 *   bytes a read at that time gives;
 * - a caught-up answer (next offset = high watermark) starts nothing;
 * - a read ahead serves only its own offset and byte bound, once, and not after its maximum age.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { BatchBuilder } from "../../src/codec/record-batch.ts";
import { ReadAhead } from "../../src/doors/kafka/read-ahead.ts";
import { Session } from "../../src/doors/kafka/session.ts";
import type { FetchedBatches } from "../../src/protocol/types.ts";
import type { ServiceContext } from "../../src/services/context.ts";

const LOG_RECORDS = 25;
const PER_READ = 10;
const reads: number[] = [];

/** Reads `PER_READ` records (one stored batch) from `offset` of a 25-record log. */
function logRead(offset: number): FetchedBatches {
  const b = new BatchBuilder();
  const end = Math.min(offset + PER_READ, LOG_RECORDS);
  for (let o = offset; o < end; o++) b.add({ key: null, value: new Uint8Array([o]), headers: [] }, 1_000 + o);
  const batches = end > offset ? [{ baseOffset: offset, recordCount: end - offset, records: b.finish().blob }] : [];
  return { batches, nextOffset: end, highWatermark: LOG_RECORDS, logStartOffset: 0, logEndOffset: LOG_RECORDS };
}

vi.mock("../../src/services/fetch.ts", () => ({
  fetchBatches: async (_ctx: unknown, input: { offset: number }) => {
    reads.push(input.offset);
    return { ok: true, value: logRead(input.offset) };
  },
  listOffsets: async () => ({ ok: false, err: { errorCode: 0 } }),
}));

const { fetch } = await import("../../src/doors/kafka/fetch.ts");

function session(): Session {
  const s = new Session({} as Env, { host: "localhost", port: 9092 }, () => {});
  s.context = {} as ServiceContext;
  return s;
}

const request = (fetchOffset: number, partitionMaxBytes = 1 << 20) => ({
  maxWaitMs: 0,
  minBytes: 1,
  topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset, partitionMaxBytes }] }],
});

const recordsOf = (answer: Awaited<ReturnType<typeof fetch>>) => answer.responses[0]!.partitions[0]!.records;

beforeEach(() => {
  reads.length = 0;
});

describe("the Kafka door reads ahead of a consumer catching up", () => {
  it("an answer short of the high watermark starts the next read; the next Fetch takes it, same bytes", async () => {
    const s = session();
    await fetch(s, request(0));
    expect(reads).toEqual([0, 10]);
    const fromAhead = await fetch(s, request(10));
    expect(reads).toEqual([0, 10, 20]);
    const fresh = await fetch(session(), request(10));
    expect(recordsOf(fromAhead)).toEqual(recordsOf(fresh));
    expect(recordsOf(fromAhead).length).toBeGreaterThan(0);
  });

  it("a caught-up answer (next offset at the high watermark) starts no read", async () => {
    const s = session();
    await fetch(s, request(20));
    expect(reads).toEqual([20]);
  });

  it("a Fetch at another offset or byte bound reads afresh", async () => {
    const s = session();
    await fetch(s, request(0));
    await fetch(s, request(5));
    expect(reads).toEqual([0, 10, 5, 15]);
    await fetch(s, request(15, 1000));
    expect(reads).toEqual([0, 10, 5, 15, 15]);
  });
});

describe("ReadAhead", () => {
  it("gives a read once, only for its offset and bound, only within its maximum age", async () => {
    let now = 0;
    const ahead = new ReadAhead<string>(100, () => now);
    ahead.start("p", 10, 50, async () => "read at 10");
    expect(ahead.take("p", 11, 50)).toBeNull();
    ahead.start("p", 10, 50, async () => "read at 10");
    expect(ahead.take("p", 10, 49)).toBeNull();
    ahead.start("p", 10, 50, async () => "read at 10");
    expect(await ahead.take("p", 10, 50)).toBe("read at 10");
    expect(ahead.take("p", 10, 50)).toBeNull();
    ahead.start("p", 10, 50, async () => "read at 10");
    now = 101;
    expect(ahead.take("p", 10, 50)).toBeNull();
  });

  it("a read that throws is given as no read", async () => {
    const ahead = new ReadAhead<string>(100, () => 0);
    ahead.start("p", 0, 1, async () => {
      throw new Error("leader moved");
    });
    expect(await ahead.take("p", 0, 1)).toBeNull();
  });
});
