/**
 * The cleaner's planning rules (src/log/cleaner.ts `planCleaning`), pure: which prefix of closed
 * segments is cleanable (below the HW, older than min.compaction.lag.ms, never the active one),
 * when a pass is due (min.cleanable.dirty.ratio, max.compaction.lag.ms, an expired tombstone) and
 * when it next may be, with Kafka's semantics.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../../src/protocol/config.ts";
import { CLEANER_HW_RECHECK_MS, keyString, planCleaning } from "../../src/log/cleaner.ts";
import type { SegmentRow } from "../../src/log/log-store.ts";

const NOW = 1_000_000;
const seg = (baseOffset: number, sizeBytes: number, maxTimestamp = NOW - 10_000, createdAt = NOW - 20_000): SegmentRow => ({
  baseOffset,
  createdAt,
  sizeBytes,
  recordCount: 10,
  maxTimestamp,
});
const cfg = (over: Partial<LogConfig> = {}): LogConfig => ({ ...DEFAULT_LOG_CONFIG, cleanupPolicy: "compact", ...over });
const view = (highWatermark: number, logStartOffset = 0) => ({ logStartOffset, highWatermark });

describe("planCleaning", () => {
  it("the cleanable range is the closed segments below the HW; the active segment never is", () => {
    const segments = [seg(0, 100), seg(10, 100), seg(20, 100), seg(30, 50)];
    expect(planCleaning(segments, view(40), null, cfg(), NOW)).toMatchObject({ cleanEnd: 30, cleanableBytes: 300, due: true });
    // The HW inside the third segment: only the first two; look again later for the rest.
    const held = planCleaning(segments, view(25), null, cfg(), NOW);
    expect(held).toMatchObject({ cleanEnd: 20, due: true, nextDue: NOW + CLEANER_HW_RECHECK_MS });
    expect(planCleaning([seg(0, 100)], view(10), null, cfg(), NOW)).toMatchObject({ cleanEnd: 0, due: false, nextDue: null });
  });

  it("min.cleanable.dirty.ratio: due when the bytes past the checkpoint reach the ratio of the cleanable bytes", () => {
    const segments = [seg(0, 300), seg(10, 100), seg(20, 100), seg(30, 0)];
    const checkpoint = { firstDirtyOffset: 10, tombstoneDeadline: -1 };
    const plan = planCleaning(segments, view(30), checkpoint, cfg({ minCleanableDirtyRatio: 0.5 }), NOW);
    expect(plan).toMatchObject({ dirtyBytes: 200, cleanableBytes: 500, due: false, nextDue: null });
    expect(planCleaning(segments, view(30), checkpoint, cfg({ minCleanableDirtyRatio: 0.4 }), NOW).due).toBe(true);
    // Nothing dirty: never due, whatever the ratio.
    const clean = { firstDirtyOffset: 30, tombstoneDeadline: -1 };
    expect(planCleaning(segments, view(30), clean, cfg({ minCleanableDirtyRatio: 0 }), NOW).due).toBe(false);
  });

  it("max.compaction.lag.ms: the oldest dirty segment's age makes a pass due below the ratio, and names when", () => {
    const segments = [seg(0, 900), seg(10, 100, NOW - 10_000, NOW - 5_000), seg(20, 0)];
    const checkpoint = { firstDirtyOffset: 10, tombstoneDeadline: -1 };
    const waiting = planCleaning(segments, view(20), checkpoint, cfg({ maxCompactionLagMs: 60_000 }), NOW);
    expect(waiting).toMatchObject({ due: false, nextDue: NOW - 5_000 + 60_000 });
    expect(planCleaning(segments, view(20), checkpoint, cfg({ maxCompactionLagMs: 5_000 }), NOW).due).toBe(true);
  });

  it("min.compaction.lag.ms: a segment whose newest record is younger ends the range, and the plan names when it is old enough", () => {
    const segments = [seg(0, 100, NOW - 10_000), seg(10, 100, NOW - 500), seg(20, 100, NOW - 10_000), seg(30, 0)];
    const plan = planCleaning(segments, view(30), null, cfg({ minCompactionLagMs: 1_000 }), NOW);
    expect(plan).toMatchObject({ cleanEnd: 10, due: true, nextDue: NOW - 500 + 1_000 + 1 });
    expect(planCleaning(segments, view(30), null, cfg({ minCompactionLagMs: 20_000 }), NOW)).toMatchObject({ cleanEnd: 0, due: false });
  });

  it("a kept tombstone's expiry makes a pass due with nothing dirty, and is the next time before it", () => {
    const segments = [seg(0, 100), seg(10, 0)];
    const checkpoint = { firstDirtyOffset: 10, tombstoneDeadline: NOW + 7 };
    expect(planCleaning(segments, view(10), checkpoint, cfg(), NOW)).toMatchObject({ due: false, nextDue: NOW + 7 });
    expect(planCleaning(segments, view(10), checkpoint, cfg(), NOW + 7).due).toBe(true);
  });

  it("keys are Map keys equal exactly when their bytes are (any byte, long keys)", () => {
    const a = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256);
    const b = a.slice();
    b[9_999] = (b[9_999]! + 1) % 256;
    expect(keyString(a)).toBe(keyString(a.slice()));
    expect(keyString(a)).not.toBe(keyString(b));
    expect(keyString(Uint8Array.of(0xc3, 0xa9))).not.toBe(keyString(new TextEncoder().encode("é").subarray(0, 1)));
  });
});
