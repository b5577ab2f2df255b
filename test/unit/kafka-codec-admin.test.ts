/**
 * The Kafka wire codec (issue 19), group 4: CreateTopics, DeleteTopics and DescribeConfigs at
 * every supported version, against kafkajs 2.2.4's own request encoders and response decoders.
 */
import { describe, expect, it } from "vitest";
import {
  ApiKey,
  decodeRequest,
  DEFAULT_CONFIG_SOURCE,
  encodeResponse,
  type HeaderOf,
  type KnownApiKey,
} from "../../src/codec/kafka/index.ts";
import { kafkajsDecodeResponse, kafkajsRequest, kafkajsResponse } from "../support/kafkajs-oracle.ts";
import { versions, bodyOf } from "../support/kafka-codec.ts";

const header = <K extends KnownApiKey>(apiKey: K, apiVersion: number): HeaderOf<K> => ({ apiKey, apiVersion, correlationId: 5, clientId: "admin" });

describe("CreateTopics", () => {
  it.each(versions(ApiKey.CreateTopics))("v%i: topics with configs and assignments decode; kafkajs reads results and errors", async (v) => {
    const args = {
      topics: [
        { topic: "orders", numPartitions: 3, replicationFactor: 3, configEntries: [{ name: "retention.ms", value: "1000" }] },
        { topic: "placed", numPartitions: -1, replicationFactor: -1, replicaAssignment: [{ partition: 0, replicas: [0, 1] }] },
      ],
      timeout: 5000,
      validateOnly: true,
    };
    const body = bodyOf(ApiKey.CreateTopics, decodeRequest(await kafkajsRequest("createTopics", v, args)));
    expect(body).toEqual({
      topics: [
        { name: "orders", numPartitions: 3, replicationFactor: 3, assignments: [], configs: [{ name: "retention.ms", value: "1000" }] },
        { name: "placed", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0, 1] }], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: v >= 1,
    });
    const ok = { topics: [{ name: "orders", errorCode: 0, errorMessage: null }] };
    expect(await kafkajsResponse("createTopics", v, encodeResponse(header(ApiKey.CreateTopics, v), ok))).toMatchObject({ topicErrors: [{ topic: "orders", errorCode: 0 }] });
    const exists = { topics: [{ name: "orders", errorCode: 36, errorMessage: "Topic 'orders' already exists." }] };
    await expect(kafkajsResponse("createTopics", v, encodeResponse(header(ApiKey.CreateTopics, v), exists))).rejects.toMatchObject({ errors: [{ type: "TOPIC_ALREADY_EXISTS", topic: "orders" }] });
  });
});

describe("DeleteTopics", () => {
  it.each(versions(ApiKey.DeleteTopics))("v%i: names decode; kafkajs reads per-topic results", async (v) => {
    const body = bodyOf(ApiKey.DeleteTopics, decodeRequest(await kafkajsRequest("deleteTopics", v, { topics: ["a", "b"], timeout: 3000 })));
    expect(body).toEqual({ topicNames: ["a", "b"], timeoutMs: 3000 });
    const answer = { responses: [{ name: "b", errorCode: 3 }, { name: "a", errorCode: 0 }] };
    const decoded = (await kafkajsDecodeResponse("deleteTopics", v, encodeResponse(header(ApiKey.DeleteTopics, v), answer))) as { topicErrors: unknown[] };
    expect(decoded.topicErrors).toEqual([{ topic: "a", errorCode: 0 }, { topic: "b", errorCode: 3 }]);
    await expect(kafkajsResponse("deleteTopics", v, encodeResponse(header(ApiKey.DeleteTopics, v), answer))).rejects.toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION" });
  });
});

describe("DescribeConfigs", () => {
  it.each(versions(ApiKey.DescribeConfigs))("v%i: resources (some keys, all keys) decode; kafkajs reads configs", async (v) => {
    const args = { resources: [{ type: 2, name: "orders", configNames: ["retention.ms"] }, { type: 2, name: "placed" }], includeSynonyms: true };
    const body = bodyOf(ApiKey.DescribeConfigs, decodeRequest(await kafkajsRequest("describeConfigs", v, args)));
    expect(body).toEqual({
      resources: [
        { resourceType: 2, resourceName: "orders", configurationKeys: ["retention.ms"] },
        { resourceType: 2, resourceName: "placed", configurationKeys: null },
      ],
      includeSynonyms: v >= 1,
    });
    const answer = {
      results: [{
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: "orders",
        configs: [
          { name: "retention.ms", value: "1000", readOnly: false, configSource: 1, isSensitive: false, synonyms: [{ name: "retention.ms", value: "1000", source: 1 }] },
          { name: "cleanup.policy", value: "delete", readOnly: false, configSource: DEFAULT_CONFIG_SOURCE, isSensitive: false },
        ],
      }],
    };
    const parsed = (await kafkajsResponse("describeConfigs", v, encodeResponse(header(ApiKey.DescribeConfigs, v), answer))) as { resources: { configEntries: Record<string, unknown>[] }[] };
    expect(parsed.resources[0]).toMatchObject({ errorCode: 0, resourceType: 2, resourceName: "orders" });
    const [retention, cleanup] = parsed.resources[0]!.configEntries;
    expect(retention).toMatchObject({ configName: "retention.ms", configValue: "1000", readOnly: false, isDefault: false, isSensitive: false });
    expect(cleanup).toMatchObject({ configName: "cleanup.policy", configValue: "delete", isDefault: true });
    if (v >= 1) {
      expect(retention).toMatchObject({ configSource: 1, configSynonyms: [{ configName: "retention.ms", configValue: "1000", configSource: 1 }] });
      expect(cleanup).toMatchObject({ configSource: DEFAULT_CONFIG_SOURCE, configSynonyms: [] });
    }
  });
});
