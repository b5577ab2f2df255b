/**
 * CreateTopics, DeleteTopics, DescribeConfigs and InitProducerId for the Kafka door, each a
 * call into the topics or producers service per item; every item is answered with its own
 * error code (TOPIC_ALREADY_EXISTS, TOPIC_AUTHORIZATION_FAILED, POLICY_VIOLATION, …), as Kafka
 * answers per topic.
 *
 * Defaults: a CreateTopics partition count or replication factor of -1 takes the native API's
 * defaults (1 and 1); `validateOnly` checks the name and configs and creates nothing.
 * DescribeConfigs answers a topic's full config (defaults overlaid with its own values) and an
 * empty list for the broker. Called by connection.ts, one request at a time per connection.
 */
import { ERRORS } from "../../protocol/errors.ts";
import { effectiveConfigs, validateTopicConfigs, validateTopicName } from "../../protocol/config.ts";
import { initProducerId as initProducer } from "../../services/producers.ts";
import { createTopic, deleteTopic } from "../../services/topics.ts";
import { topicMetadata } from "../../services/topic-metadata.ts";
import type { Session } from "./session.ts";

const DEFAULT_PARTITIONS = 1;
const DEFAULT_REPLICATION_FACTOR = 1;
/** DescribeConfigs resource types. */
const TOPIC = 2;
const BROKER = 4;

interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  configs: { name: string; value: string | null }[];
}

async function createOne(session: Session, t: CreatableTopic, validateOnly: boolean) {
  const partitions = t.numPartitions === -1 ? DEFAULT_PARTITIONS : t.numPartitions;
  const replicationFactor = t.replicationFactor === -1 ? DEFAULT_REPLICATION_FACTOR : t.replicationFactor;
  const configs = Object.fromEntries(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!]));
  const answer = (errorCode: number, errorMessage: string | null) => {
    const shape = { numPartitions: partitions, replicationFactor, configs: [] };
    return { name: t.name, errorCode, errorMessage, ...shape };
  };
  if (validateOnly) {
    const name = validateTopicName(t.name);
    const valid = name.ok ? validateTopicConfigs(configs) : name;
    return valid.ok ? answer(0, null) : answer(valid.err.errorCode, valid.err.message);
  }
  const r = await createTopic(session.ctx, { name: t.name, partitions, replicationFactor, configs });
  return r.ok ? answer(0, null) : answer(r.err.errorCode, r.err.message);
}

export async function createTopics(session: Session, body: { topics: CreatableTopic[]; validateOnly?: boolean }) {
  const topics = [];
  // One after another: the tenant's topic count quota is checked against the topics before.
  for (const t of body.topics) topics.push(await createOne(session, t, body.validateOnly ?? false));
  return { throttleTimeMs: 0, topics };
}

export async function deleteTopics(session: Session, body: { topicNames?: string[]; topics?: { name: string | null }[] }) {
  const names = body.topicNames ?? (body.topics ?? []).map((t) => t.name ?? "");
  const responses = await Promise.all(
    names.map(async (name) => {
      const r = await deleteTopic(session.ctx, name);
      return { name, errorCode: r.ok ? 0 : r.err.errorCode, errorMessage: r.ok ? null : r.err.message };
    }),
  );
  return { throttleTimeMs: 0, responses };
}

interface ConfigResource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

async function describeResource(session: Session, res: ConfigResource) {
  const base = { resourceType: res.resourceType, resourceName: res.resourceName };
  if (res.resourceType === BROKER) return { ...base, errorCode: 0, errorMessage: null, configs: [] };
  if (res.resourceType !== TOPIC) {
    const errorMessage = `resource type ${res.resourceType} is not served`;
    return { ...base, errorCode: ERRORS.INVALID_REQUEST.code, errorMessage, configs: [] };
  }
  const r = await topicMetadata(session.ctx, res.resourceName);
  if (!r.ok) return { ...base, errorCode: r.err.errorCode, errorMessage: r.err.message, configs: [] };
  const own = r.value.configs;
  const configs = Object.entries(effectiveConfigs(own))
    .filter(([name]) => res.configurationKeys === null || res.configurationKeys.includes(name))
    .map(([name, value]) => ({
      name,
      value,
      readOnly: false,
      isDefault: !(name in own),
      // DYNAMIC_TOPIC_CONFIG (1) or DEFAULT_CONFIG (5).
      configSource: name in own ? 1 : 5,
      isSensitive: false,
      synonyms: [],
    }));
  return { ...base, errorCode: 0, errorMessage: null, configs };
}

export async function describeConfigs(session: Session, body: { resources: ConfigResource[] }) {
  return { throttleTimeMs: 0, results: await Promise.all(body.resources.map((res) => describeResource(session, res))) };
}

interface InitProducerIdBody {
  transactionalId: string | null;
  producerId?: number;
  producerEpoch?: number;
}

export async function initProducerId(session: Session, body: InitProducerIdBody) {
  if (body.transactionalId !== null)
    return { throttleTimeMs: 0, errorCode: ERRORS.INVALID_REQUEST.code, producerId: -1, producerEpoch: -1 };
  const again = body.producerId !== undefined && body.producerId >= 0;
  const same = { producerId: body.producerId!, producerEpoch: body.producerEpoch ?? 0 };
  const r = await initProducer(session.ctx, again ? same : {});
  if (!r.ok) return { throttleTimeMs: 0, errorCode: r.err.errorCode, producerId: -1, producerEpoch: -1 };
  return { throttleTimeMs: 0, errorCode: 0, producerId: r.value.producerId, producerEpoch: r.value.producerEpoch };
}
