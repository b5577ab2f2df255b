/**
 * Issue 19: kafkajs 2.2.4, unmodified and over plain TCP, runs its whole client flow against
 * the Kafka codec through the test-only in-memory broker (test/support/kafka-mini-broker.ts):
 * admin create / describe-configs / delete, an idempotent gzip producer, and a consumer group
 * that reads every message back with keys, headers and timestamps and commits its offsets.
 * The door's own kafkajs tests run against the real server; this one isolates the bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { startMiniBroker, type MiniBroker } from "../support/kafka-mini-broker.ts";

let broker: MiniBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

describe("kafkajs against the Kafka codec", () => {
  it("admin, an idempotent gzip producer and a group consumer round-trip every message", async () => {
    broker = await startMiniBroker({});
    const kafka = new Kafka({ clientId: "codec-test", brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 2 }] })).toBe(true);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: "orders" }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries[0]).toMatchObject({ configName: "retention.ms", isDefault: true });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { n: String(i) }, timestamp: String(1_700_000_000_000 + i), partition: i % 2 }));
    await producer.send({ topic: "orders", compression: CompressionTypes.GZIP, messages });
    expect(broker.produced.every((b) => b.compression === 1 && b.producerId === 1000)).toBe(true);

    const consumer = kafka.consumer({ groupId: "g1" });
    await consumer.connect();
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push(`${partition}:${message.offset}:${message.key}:${message.value}:${message.headers?.n}:${message.timestamp}`);
          if (seen.length === messages.length) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    const expected = messages.map((m, i) => `${m.partition}:${Math.floor(i / 2)}:${m.key}:${m.value}:${i}:${m.timestamp}`);
    expect(seen.sort()).toEqual(expected.sort());
    expect([broker.committed.get("g1/orders/0"), broker.committed.get("g1/orders/1")]).toEqual([15, 15]);
    expect(await admin.deleteTopics({ topics: ["orders"] })).toBeUndefined();
    await producer.disconnect();
    await admin.disconnect();
    expect(broker.requests.filter((r) => r.startsWith("error"))).toEqual([]);
  }, 30_000);
});
