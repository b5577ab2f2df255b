/** Pure log rules: leader-epoch cache (KIP-101/279), high watermark, retention planning. */
import { describe, expect, it } from "vitest";
import { highWatermarkFor, nextHighWatermark } from "../../src/log/high-watermark.ts";
import { assignEpoch, endOffsetForEpoch, truncateFromEnd, truncateFromStart } from "../../src/log/leader-epoch-cache.ts";
import type { SegmentRow } from "../../src/log/log-store.ts";
import { planRetention, RETENTION_CHECK_INTERVAL_MS, retentionDeadline } from "../../src/log/retention.ts";

describe("leader-epoch cache", () => {
  const cache = [
    { epoch: 1, startOffset: 0 },
    { epoch: 3, startOffset: 10 },
    { epoch: 4, startOffset: 15 },
  ];

  it("assigning an epoch drops the entries it contradicts, keeping epochs and offsets increasing", () => {
    expect(assignEpoch(cache, 5, 20).at(-1)).toEqual({ epoch: 5, startOffset: 20 });
    expect(assignEpoch(cache, 4, 17)).toEqual(cache);
    expect(assignEpoch(cache, 5, 12)).toEqual([cache[0], cache[1], { epoch: 5, startOffset: 12 }]);
    expect(assignEpoch(cache, 2, 30)).toEqual([cache[0], { epoch: 2, startOffset: 30 }]);
  });

  it("truncating from the end drops entries starting at or after the offset", () => {
    expect(truncateFromEnd(cache, 15)).toEqual(cache.slice(0, 2));
    expect(truncateFromEnd(cache, 0)).toEqual([]);
  });

  it("moving the log start collapses earlier entries into the latest one, now starting there", () => {
    expect(truncateFromStart(cache, 12)).toEqual([{ epoch: 3, startOffset: 12 }, cache[2]]);
    expect(truncateFromStart(cache, 15)).toEqual([{ epoch: 4, startOffset: 15 }]);
    expect(truncateFromStart(cache, 0)).toEqual([{ epoch: 1, startOffset: 0 }, cache[1], cache[2]]);
  });

  it("endOffsetForEpoch: latest → LEO; between → next epoch's start; below all → first start; above → undefined", () => {
    expect(endOffsetForEpoch(cache, 4, 99)).toEqual({ leaderEpoch: 4, endOffset: 99 });
    expect(endOffsetForEpoch(cache, 2, 99)).toEqual({ leaderEpoch: 1, endOffset: 10 });
    expect(endOffsetForEpoch(cache, 3, 99)).toEqual({ leaderEpoch: 3, endOffset: 15 });
    expect(endOffsetForEpoch(cache, 0, 99)).toEqual({ leaderEpoch: 0, endOffset: 0 });
    expect(endOffsetForEpoch(cache, 7, 99)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    expect(endOffsetForEpoch([], 0, 5)).toEqual({ leaderEpoch: -1, endOffset: -1 });
  });
});

describe("high watermark", () => {
  it("is the smallest LEO in the ISR, never lower than before and never past the leader's LEO", () => {
    expect(highWatermarkFor([10, 7, 12])).toBe(7);
    expect(() => highWatermarkFor([])).toThrow();
    expect(nextHighWatermark(5, 7, 10)).toBe(7);
    expect(nextHighWatermark(5, 3, 10)).toBe(5);
    expect(nextHighWatermark(5, 30, 10)).toBe(10);
  });
});

describe("retention planning", () => {
  const seg = (baseOffset: number, maxTimestamp: number, sizeBytes = 100, recordCount = 1): SegmentRow => ({
    baseOffset,
    createdAt: 0,
    sizeBytes,
    recordCount,
    maxTimestamp,
  });
  const segs = [seg(0, 100), seg(10, 300), seg(20, 200), seg(30, 900)];
  const ms = (retentionMs: number) => ({ retentionMs, retentionBytes: -1 });

  it("retention.ms deletes a prefix: it stops at the first segment still in time", () => {
    expect(planRetention(segs, 40, 40, 1000, ms(750))).toEqual({ deleteCount: 1, rollFirst: false });
    expect(planRetention(segs, 40, 40, 1000, ms(650))).toEqual({ deleteCount: 3, rollFirst: false });
    expect(planRetention(segs, 40, 40, 1000, ms(50))).toEqual({ deleteCount: 4, rollFirst: true });
    expect(planRetention(segs, 40, 40, 1000, ms(-1))).toEqual({ deleteCount: 0, rollFirst: false });
  });

  it("no segment holding offsets at or past the HW is deleted", () => {
    expect(planRetention(segs, 40, 19, 1000, ms(0)).deleteCount).toBe(1);
    expect(planRetention(segs, 40, 39, 1000, ms(0)).deleteCount).toBe(3);
    expect(planRetention(segs, 40, 39, 1000, { retentionMs: -1, retentionBytes: 0 }).deleteCount).toBe(3);
  });

  it("retention.bytes keeps the newest segments that meet it and never deletes the active one", () => {
    const bytes = (retentionBytes: number) => ({ retentionMs: -1, retentionBytes });
    expect(planRetention(segs, 40, 40, 0, bytes(250)).deleteCount).toBe(1);
    expect(planRetention(segs, 40, 40, 0, bytes(200)).deleteCount).toBe(2);
    expect(planRetention(segs, 40, 40, 0, bytes(0))).toEqual({ deleteCount: 3, rollFirst: false });
    expect(planRetention(segs, 40, 40, 0, bytes(400)).deleteCount).toBe(0);
  });

  it("an empty active segment is never deleted", () => {
    expect(planRetention([seg(0, 1), seg(5, -1, 0, 0)], 5, 5, 1000, ms(0))).toEqual({ deleteCount: 1, rollFirst: false });
  });

  it("the deadline is the oldest segment's expiry, or a periodic check when something is due but held", () => {
    expect(retentionDeadline(segs, 1000, ms(5000))).toBe(5101);
    expect(retentionDeadline(segs, 1000, ms(10))).toBe(1000 + RETENTION_CHECK_INTERVAL_MS);
    expect(retentionDeadline(segs, 1000, { retentionMs: -1, retentionBytes: 100 })).toBe(1000 + RETENTION_CHECK_INTERVAL_MS);
    expect(retentionDeadline(segs, 1000, { retentionMs: -1, retentionBytes: 1000 })).toBeNull();
    expect(retentionDeadline([seg(5, -1, 0, 0)], 1000, ms(10))).toBeNull();
  });
});
