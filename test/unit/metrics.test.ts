/**
 * The metrics and log pieces that need no runtime: Prometheus exposition (escaping, cumulative
 * histogram buckets whose +Inf equals the count), the per-partition gauges and the tenant's
 * under-replicated/offline totals from a topic description, the classification of a stored
 * partition change as an election or an ISR shrink/expand, the log level threshold, and the
 * human access log of `npm start --verbose`.
 */
import { describe, expect, it } from "vitest";
import { humanLogLine } from "../../scripts/access-log.ts";
import { logs } from "../../src/config/log-level.ts";
import { partitionChangeEvent } from "../../src/coordinator/partition-change-log.ts";
import type { PartitionState } from "../../src/protocol/types.ts";
import { CounterFamily, HistogramFamily, keyOfValues, labelText } from "../../src/services/metrics-registry.ts";
import { partitionLines } from "../../src/services/metrics.ts";
import type { TopicDescription } from "../../src/services/topics.ts";

const all = () => true;

describe("Prometheus exposition", () => {
  it("escapes backslash, quote and newline in label values", () => {
    expect(labelText({ topic: 'a"b\\c\nd' })).toBe('{topic="a\\"b\\\\c\\nd"}');
  });

  it("a counter adds per label set and renders HELP and TYPE once", () => {
    const c = new CounterFamily("x_total", "X");
    c.inc({ a: "1" });
    c.inc({ a: "1" }, 2);
    c.inc({ a: "2" });
    expect(c.render(all)).toEqual(["# HELP x_total X\n# TYPE x_total counter", 'x_total{a="1"} 3', 'x_total{a="2"} 1']);
    expect(c.render((l) => l.a === "2")).toEqual(["# HELP x_total X\n# TYPE x_total counter", 'x_total{a="2"} 1']);
  });

  it("a keyed update lands on the same series as a labelled one and builds labels only for a new series", () => {
    const c = new CounterFamily("k_total", "K");
    let built = 0;
    const labels = () => (built++, { tenant: "t", route: "/r" });
    c.inc({ tenant: "t", route: "/r" });
    c.incKeyed(keyOfValues("t", "/r"), labels, 2);
    c.incKeyed(keyOfValues("t", "/s"), () => (built++, { tenant: "t", route: "/s" }));
    expect(built).toBe(1);
    expect(c.render(all).slice(1)).toEqual(['k_total{tenant="t",route="/r"} 3', 'k_total{tenant="t",route="/s"} 1']);
    const h = new HistogramFamily("h_seconds", "H", [1]);
    h.observe({ r: "x" }, 0.5);
    h.observeKeyed(keyOfValues("x"), () => ({ r: "never" }), 2);
    expect(h.render(all).slice(1)).toEqual(['h_seconds_bucket{r="x",le="1"} 1', 'h_seconds_bucket{r="x",le="+Inf"} 2', 'h_seconds_sum{r="x"} 2.5', 'h_seconds_count{r="x"} 2']);
  });

  it("histogram buckets are cumulative and +Inf equals the count, including values above every bound", () => {
    const h = new HistogramFamily("d_seconds", "D", [0.1, 1]);
    for (const v of [0.05, 0.5, 0.7, 3]) h.observe({ r: "x" }, v);
    expect(h.render(all).slice(1)).toEqual([
      'd_seconds_bucket{r="x",le="0.1"} 1',
      'd_seconds_bucket{r="x",le="1"} 3',
      'd_seconds_bucket{r="x",le="+Inf"} 4',
      'd_seconds_sum{r="x"} 4.25',
      'd_seconds_count{r="x"} 4',
    ]);
  });
});

const state = (p: Partial<PartitionState>): PartitionState => ({
  partition: 0, replicas: [0, 1, 2], leader: 0, leaderEpoch: 0, isr: [0, 1, 2], offlineReplicas: [], partitionEpoch: 0, ...p,
});

describe("partition gauges", () => {
  it("mark a partition with a short ISR under-replicated and one without a leader offline, and total them per tenant", () => {
    const topic: TopicDescription = {
      meta: { tenant: "default", name: "orders", topicId: "id", replicationFactor: 3, configs: {}, partitions: [] },
      partitions: [
        { ...state({ partition: 0 }), offsets: { logStartOffset: 0, highWatermark: 7, logEndOffset: 9, storedBytes: 4096 } },
        { ...state({ partition: 1, isr: [0, 1] }), offsets: { logStartOffset: 2, highWatermark: 4, logEndOffset: 4, storedBytes: 0 } },
        { ...state({ partition: 2, leader: -1, isr: [] }), offsets: null },
      ],
    };
    const text = partitionLines("default", [topic]).join("\n");
    expect(text).toContain('flarelog_partition_high_watermark{tenant="default",topic="orders",partition="0"} 7');
    expect(text).toContain('flarelog_partition_log_end_offset{tenant="default",topic="orders",partition="0"} 9');
    expect(text).toContain('flarelog_partition_under_replicated{tenant="default",topic="orders",partition="0"} 0');
    expect(text).toContain('flarelog_partition_under_replicated{tenant="default",topic="orders",partition="1"} 1');
    expect(text).toContain('flarelog_partition_offline{tenant="default",topic="orders",partition="2"} 1');
    expect(text).not.toContain('flarelog_partition_high_watermark{tenant="default",topic="orders",partition="2"}');
    expect(text).toContain('flarelog_partition_storage_bytes{tenant="default",topic="orders",partition="0",replica="0"} 4096');
    expect(text).not.toContain('flarelog_partition_storage_bytes{tenant="default",topic="orders",partition="2"');
    expect(text).toContain('flarelog_under_replicated_partitions{tenant="default"} 2');
    expect(text).toContain('flarelog_offline_partitions{tenant="default"} 1');
  });
});

describe("replication events", () => {
  it("name a leader change an election, else an ISR shrink, expand or change", () => {
    expect(partitionChangeEvent(state({}), state({ leader: 1, leaderEpoch: 1, isr: [1, 2] }))).toBe("leader_election");
    expect(partitionChangeEvent(state({}), state({ isr: [0, 1], partitionEpoch: 1 }))).toBe("isr_shrink");
    expect(partitionChangeEvent(state({ isr: [0] }), state({ isr: [0, 2] }))).toBe("isr_expand");
    expect(partitionChangeEvent(state({ isr: [0, 1] }), state({ isr: [0, 2] }))).toBe("isr_change");
    expect(partitionChangeEvent(state({}), state({ offlineReplicas: [2] }))).toBe("partition_change");
  });
});

describe("logs", () => {
  it("the default level warn lets warnings through and not request lines; off lets nothing through", () => {
    expect(logs("warn", "info")).toBe(false);
    expect(logs("warn", "warn")).toBe(true);
    expect(logs("info", "info")).toBe(true);
    expect(logs("off", "error")).toBe(false);
  });

  it("npm start --verbose prints a request line and a replication event compactly and other lines unchanged", () => {
    const timestamp = Date.UTC(2026, 11, 4, 23, 45, 1, 123);
    const request = { level: "info", msg: "request", tenant: "default", door: "http", route: "/v1/topics/{topic}", method: "GET", status: 404, ms: 5, bytesIn: 0, bytesOut: null, error: "UNKNOWN_TOPIC_OR_PARTITION" };
    expect(humanLogLine({ timestamp, level: "info", message: JSON.stringify(request) })).toBe(
      "23:45:01.123 GET /v1/topics/{topic} 404 UNKNOWN_TOPIC_OR_PARTITION 5ms in 0B out ? tenant default",
    );
    const shrink = { level: "info", msg: "isr_shrink", tenant: "default", topic: "orders", partition: 0, leader: 0, previous_leader: 0, leader_epoch: 3, isr: [0, 1], previous_isr: [0, 1, 2] };
    expect(humanLogLine({ timestamp, level: "info", message: JSON.stringify(shrink) })).toBe(
      "23:45:01.123 isr_shrink default/orders-0 leader 0 → 0 epoch 3 isr 0,1,2 → 0,1",
    );
    expect(humanLogLine({ timestamp, level: "warn", message: "probe failed" })).toBe("probe failed");
  });
});
