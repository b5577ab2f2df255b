/**
 * Tiered storage's pure rules (src/log/remote-segments.ts): the object layout round-trips, the
 * key carries the metadata, the chain chosen from a listing ignores torn, covered and
 * disconnected objects, local deletion never passes the confirmed remote end or the HW, and
 * whole-log retention counts remote and local-only bytes once.
 */
import { describe, expect, it } from "vitest";
import {
  chooseChain,
  decodeIndex,
  encodeSegmentObject,
  indexBytes,
  parseSegmentKey,
  planLocalDeletion,
  planRemoteRetention,
  segmentKey,
  type LocalSegmentView,
  type RemoteSegment,
} from "../../src/log/remote-segments.ts";
import { checkLocalRetention } from "../../src/protocol/config.ts";

const P = "t/id/0/";
const seg = (base: number, end: number, bytes = 100, maxTimestamp = 1000): RemoteSegment => {
  const meta = { baseOffset: base, endOffset: end, batchCount: 1, objectBytes: bytes, maxTimestamp };
  return { key: segmentKey(P, meta), ...meta };
};
const listing = (...segs: RemoteSegment[]) => segs.map((s) => ({ key: s.key, size: s.objectBytes }));
const RET = { retentionMs: -1, retentionBytes: -1, localRetentionMs: -2, localRetentionBytes: 0 };

describe("remote segment objects", () => {
  it("the object is header + index + the blobs as stored, and the index decodes from its first bytes", () => {
    const batches = [
      { baseOffset: 10, lastOffset: 12, maxTimestamp: 5, leaderEpoch: 2, records: new Uint8Array([1, 2, 3]) },
      { baseOffset: 13, lastOffset: 13, maxTimestamp: 9, leaderEpoch: 3, records: new Uint8Array([4, 5]) },
    ];
    const { bytes, index } = encodeSegmentObject(batches);
    expect(bytes.length).toBe(indexBytes(2) + 5);
    expect(decodeIndex(bytes.subarray(0, indexBytes(2)), 2)).toEqual(index);
    expect([...bytes.subarray(indexBytes(2) + index[1]!.position)]).toEqual([4, 5]);
    expect(() => decodeIndex(new Uint8Array(indexBytes(2)), 2)).toThrow(/corrupt/);
  });

  it("a key round-trips its metadata, including a negative max timestamp; a foreign key is not ours", () => {
    const s = seg(5, 70, 1234, -1);
    expect(parseSegmentKey(P, s.key)).toEqual(s);
    expect(parseSegmentKey(P, "t/id/0/notes.txt")).toBeNull();
    expect(parseSegmentKey("other/", s.key)).toBeNull();
  });
});

describe("the remote chain", () => {
  it("a torn object (size differs from its key's), a covered duplicate and a segment below a gap are garbage", () => {
    const a = seg(0, 10), b = seg(10, 20), c = seg(20, 30), dup = seg(12, 20), old = seg(0, 5);
    const torn = seg(30, 40);
    const listed = [...listing(old, a, b, c, dup), { key: torn.key, size: 7 }];
    const { chain, garbage } = chooseChain(listed, P, 25);
    expect(chain.map((s) => s.key)).toEqual([a, b, c].map((s) => s.key));
    expect(garbage.sort()).toEqual([old.key, dup.key, torn.key].sort());
    const gap = chooseChain(listing(seg(0, 10), seg(20, 30)), P, 25);
    expect(gap.chain.map((s) => s.baseOffset)).toEqual([20]);
  });

  it("a chain that does not reach the local log start is all garbage", () => {
    const { chain, garbage } = chooseChain(listing(seg(0, 10), seg(10, 20)), P, 25);
    expect(chain).toEqual([]);
    expect(garbage).toHaveLength(2);
  });
});

const local = (bounds: number[], size = 100): LocalSegmentView[] =>
  bounds.slice(0, -1).map((b, i) => ({ baseOffset: b, endOffset: bounds[i + 1]!, sizeBytes: size, recordCount: 1, maxTimestamp: 1000, active: i === bounds.length - 2 }));

describe("local deletion and whole-log retention", () => {
  it("local segments go only up to the confirmed remote end and the HW, never the active one", () => {
    const segs = local([0, 10, 20, 30, 40]);
    expect(planLocalDeletion(segs, 40, -1, 2000, RET)).toBeNull();
    expect(planLocalDeletion(segs, 40, 20, 2000, RET)).toBe(20);
    expect(planLocalDeletion(segs, 15, 40, 2000, RET)).toBe(10);
    expect(planLocalDeletion(segs, 40, 40, 2000, RET)).toBe(30);
    expect(planLocalDeletion(segs, 40, 40, 2000, { ...RET, localRetentionBytes: 250 })).toBe(10);
  });

  it("local.retention -2 follows retention.*, and -1 keeps everything", () => {
    const segs = local([0, 10, 20, 30]);
    const inherit = { retentionMs: 500, retentionBytes: -1, localRetentionMs: -2, localRetentionBytes: -1 };
    expect(planLocalDeletion(segs, 30, 30, 2000, inherit)).toBe(20);
    expect(planLocalDeletion(segs, 30, 30, 2000, { ...inherit, localRetentionMs: -1 })).toBeNull();
  });

  it("retention.bytes counts remote bytes plus the local bytes not yet remote; retention.ms the max timestamps", () => {
    const chain = [seg(0, 10, 100, 1), seg(10, 20, 100, 2), seg(20, 30, 100, 3000)];
    expect(planRemoteRetention(chain, 50, 3000, { retentionMs: -1, retentionBytes: 150 })).toBe(2);
    expect(planRemoteRetention(chain, 0, 3000, { retentionMs: -1, retentionBytes: -1 })).toBe(0);
    expect(planRemoteRetention(chain, 0, 3000, { retentionMs: 100, retentionBytes: -1 })).toBe(2);
  });
});

describe("tiered storage's topic config rules (checkLocalRetention)", () => {
  it("local.retention.* above retention.*, -1 under a bounded retention, and tiering a compacted topic are INVALID_CONFIG", () => {
    expect(checkLocalRetention({ "retention.ms": "1000", "local.retention.ms": "500" }).ok).toBe(true);
    expect(checkLocalRetention({ "retention.bytes": "1000", "local.retention.bytes": "2000" }).ok).toBe(false);
    expect(checkLocalRetention({ "retention.ms": "1000", "local.retention.ms": "-1" }).ok).toBe(false);
    expect(checkLocalRetention({ "local.retention.ms": "-2", "retention.ms": "1000" }).ok).toBe(true);
    const compacted = checkLocalRetention({ "remote.storage.enable": "true", "cleanup.policy": "compact,delete" });
    expect(!compacted.ok && compacted.err.error).toBe("INVALID_CONFIG");
    expect(checkLocalRetention({ "remote.storage.enable": "true", "cleanup.policy": "delete" }).ok).toBe(true);
  });
});
