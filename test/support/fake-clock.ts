/** A Clock that moves only when a test says so. */
import type { Clock, TimestampMs } from "../../src/protocol/types.ts";

export class FakeClock implements Clock {
  constructor(public time: TimestampMs = 1_700_000_000_000) {}
  now(): TimestampMs {
    return this.time;
  }
  advance(ms: number): TimestampMs {
    this.time += ms;
    return this.time;
  }
}
