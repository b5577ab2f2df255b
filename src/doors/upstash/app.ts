/**
 * The Upstash Kafka REST door, mounted under `/upstash`: every request `@upstash/kafka` 1.3.5
 * makes, each a thin call into the services (docs/api.md "Upstash Kafka REST").
 *
 * Invariants: every answer is JSON (the client parses before it checks the status); a produce
 * checks every message (topics exist, partitions exist) before anything is written, so an
 * answer of 4xx, which the client retries five times, never wrote anything; a consumer instance
 * is a member of the group's server-side assignment (src/services/consumer-instances.ts), so it
 * never co-owns a partition with a native member of the same group. Stateless.
 */
import { Hono, type Context } from "hono";
import { BrokerConfigError, brokerConfig } from "../../config/broker-config.ts";
import { LIMITS } from "../../protocol/config.ts";
import { kafkaError } from "../../protocol/errors.ts";
import * as instances from "../../services/consumer-instances.ts";
import { contextOf, type ServiceContext } from "../../services/context.ts";
import { decodeFetched, fetchBatches, listOffsets } from "../../services/fetch.ts";
import * as groups from "../../services/groups.ts";
import { asKafkaError, must } from "../../services/result.ts";
import { ensureDeclaredTopics, listTopics } from "../../services/topics.ts";
import { basicAuth, invalid, jsonBytes, readJsonBody, upstashError, type UpstashEnv } from "./answers.ts";
import { produceMessages } from "./produce.ts";
import * as wire from "./wire.ts";

/** Upstash's default consume/fetch wait. */
const DEFAULT_TIMEOUT_MS = 1_000;
const MEMBER_PREFIX = "upstash";

export const upstash = new Hono<UpstashEnv>().basePath("/upstash");

const svc = (c: Context<UpstashEnv>): ServiceContext =>
  contextOf(c.env, { tenant: c.get("tenant"), acls: c.get("acls") }, (work) => c.executionCtx.waitUntil(work));
const waitOf = (ms: number | undefined) => Math.min(ms ?? DEFAULT_TIMEOUT_MS, LIMITS.maxWaitMs);

upstash.use("*", basicAuth);
upstash.use("*", async (c, next) => {
  must(await ensureDeclaredTopics(svc(c), brokerConfig(c.env).declaredTopics));
  await next();
});

upstash.post("/produce", async (c) => jsonBytes(await produceMessages(svc(c), wire.produceItems(await readJsonBody(c)))));

upstash.post("/fetch", async (c) => {
  const { reads, timeoutMs } = wire.fetchReads(await readJsonBody(c));
  const waitMs = waitOf(timeoutMs);
  const answers = await Promise.all(
    reads.map(async ({ topic, partition, offset }) => {
      const read = { topic, partition, offset, maxRecords: LIMITS.defaultFetchRecords, maxBytes: LIMITS.defaultFetchBytes, waitMs };
      const r = decodeFetched(must(await fetchBatches(svc(c), read)));
      return r.records.map((rec) => wire.messageOf(topic, partition, rec));
    }),
  );
  return jsonBytes(answers.flat());
});

/** The instance's join: on its first consume (as Upstash's first consume creates the consumer). */
function joinOf(c: Context<UpstashEnv>, memberId: string, topics: string[]): groups.MemberJoinRequest {
  const reset = c.req.header("kafka-auto-offset-reset") ?? "latest";
  if (reset !== "earliest" && reset !== "latest") invalid(`Kafka-Auto-Offset-Reset must be earliest or latest, got "${reset}"`);
  return { topics, topicPattern: null, memberId, instanceId: c.req.param("instance")!, autoOffsetReset: reset as "earliest" | "latest" };
}

upstash.post("/consume/:group/:instance", async (c) => {
  const { topics, timeoutMs } = wire.consumeTopics(await readJsonBody(c));
  const autoCommit = (c.req.header("kafka-enable-auto-commit") ?? "true").toLowerCase();
  if (autoCommit !== "true" && autoCommit !== "false") invalid(`Kafka-Enable-Auto-Commit must be true or false, got "${autoCommit}"`);
  const memberId = await instances.instanceMemberId(MEMBER_PREFIX, c.req.param("instance")!);
  const join = joinOf(c, memberId, topics);
  const poll = { memberId, memberEpoch: null, cursor: null, autoCommit: autoCommit === "true", waitMs: waitOf(timeoutMs) };
  const bounds = { maxRecords: LIMITS.defaultFetchRecords, maxBytes: LIMITS.defaultFetchBytes };
  const r = must(await instances.pollInstance(svc(c), c.req.param("group")!, { ...poll, ...bounds }, join));
  return jsonBytes(r.records.map((rec) => wire.messageOf(rec.topic, rec.partition, rec)));
});

upstash.post("/commit/:group/:instance", async (c) => {
  const group = c.req.param("group")!;
  const offsets = wire.commitOffsetsOf(await readJsonBody(c));
  const memberId = await instances.instanceMemberId(MEMBER_PREFIX, c.req.param("instance")!);
  if (offsets === null) must(await instances.commitConsumed(svc(c), group, memberId));
  else {
    const member = must(await instances.findInstance(svc(c), group, c.req.param("instance")!));
    const entries = offsets.map((o) => ({ ...o, metadata: null }));
    must(await groups.commitOffsets(svc(c), group, { memberId, memberEpoch: member.memberEpoch, offsets: entries }));
  }
  return c.json({ result: "Success", status: 200 });
});

upstash.post("/committed/:group/:instance", async (c) => {
  const partitions = wire.topicPartitions(await readJsonBody(c), "committed");
  return c.json(must(await instances.committedOffsets(svc(c), c.req.param("group")!, partitions)));
});

upstash.post("/offsets/:at", async (c) => {
  const at = c.req.param("at");
  const spec = at === "earliest" || at === "latest" ? at : /^\d{1,15}$/.test(at) ? { timestamp: Number(at) } : invalid(`offsets: "${at}" is not earliest, latest or a timestamp in ms`);
  const partitions = wire.topicPartitions(await readJsonBody(c), "offsets");
  const answers = await Promise.all(
    partitions.map(async ({ topic, partition }) => ({ topic, partition, offset: must(await listOffsets(svc(c), topic, partition, spec)).offset })),
  );
  return c.json(answers);
});

upstash.get("/topics", async (c) => {
  const topics = must(await listTopics(svc(c)));
  return c.json(Object.fromEntries(topics.map((t) => [t.meta.name, t.meta.partitions.length])));
});

upstash.get("/consumers", async (c) => c.json(must(await instances.dialectConsumers(svc(c), MEMBER_PREFIX))));

upstash.post("/delete-consumer/:group/:instance", async (c) => {
  const memberId = await instances.instanceMemberId(MEMBER_PREFIX, c.req.param("instance")!);
  must(await groups.leaveGroup(svc(c), c.req.param("group")!, memberId));
  return c.json({ result: "Success", status: 200 });
});

upstash.notFound((c) => upstashError(c, kafkaError("INVALID_REQUEST", `no Upstash endpoint ${c.req.method} ${new URL(c.req.url).pathname}`), 404));

upstash.onError((e, c) => {
  if (e instanceof BrokerConfigError) return upstashError(c, e.err, 500);
  const err = asKafkaError(e);
  if (err.error === "UNKNOWN_SERVER_ERROR") console.error("upstash door: unhandled error", e);
  return upstashError(c, err);
});
