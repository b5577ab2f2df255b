/**
 * The Confluent REST Proxy door, mounted under `/kafka-rest`: v3 produce (single, streamed,
 * `records:batch`), v3 cluster/topic/partition/consumer-group/lag reads, and the v2 consumer
 * instance API (docs/api.md "Confluent REST Proxy"). Each route parses, calls the services and
 * renders Confluent's shapes; every error is `{error_code, message}` JSON. The v3 cluster is
 * the caller's tenant: its `cluster_id` is the tenant name. Stateless.
 */
import { Hono, type Context } from "hono";
import { BrokerConfigError, brokerConfig } from "../../config/broker-config.ts";
import { validateTopicName } from "../../protocol/config.ts";

import { contextOf, type ServiceContext } from "../../services/context.ts";
import * as groups from "../../services/groups.ts";
import { asKafkaError, must } from "../../services/result.ts";
import { describeTopic, ensureDeclaredTopics, listTopics } from "../../services/topics.ts";
import { RestError, restAuth, restError, type RestProxyEnv } from "./answers.ts";
import * as v2 from "./v2-consumers.ts";
import { produceBatchRecords, produceRecords } from "./v3-produce.ts";
import * as v3 from "./v3-read.ts";

export const restProxy = new Hono<RestProxyEnv>().basePath("/kafka-rest");

const svc = (c: Context<RestProxyEnv>): ServiceContext =>
  contextOf(c.env, { tenant: c.get("tenant"), acls: c.get("acls") }, (work) => c.executionCtx.waitUntil(work));

restProxy.use("*", restAuth);
restProxy.use("*", async (c, next) => {
  must(await ensureDeclaredTopics(svc(c), brokerConfig(c.env).declaredTopics));
  await next();
});

/** The path's cluster (only the caller's tenant exists: 404 40401 otherwise) and its links. */
function links(c: Context<RestProxyEnv>): v3.Links {
  const clusterId = c.req.param("cluster");
  if (clusterId !== undefined && clusterId !== c.get("tenant")) throw new RestError(404, 40401, `Cluster ${clusterId} not found.`);
  return new v3.Links(new URL(c.req.url).origin, c.get("tenant"));
}
const topicOf = (c: Context<RestProxyEnv>) => must(validateTopicName(c.req.param("topic") ?? ""));
const groupOf = (c: Context<RestProxyEnv>) => must(groups.validateGroupId(c.req.param("group") ?? ""));

restProxy.get("/v3/clusters", (c) => c.json(v3.list("KafkaClusterList", links(c).clusters, [v3.clusterBody(links(c))])));
restProxy.get("/v3/clusters/:cluster", (c) => c.json(v3.clusterBody(links(c))));
restProxy.get("/v3/clusters/:cluster/topics", async (c) => {
  const l = links(c);
  const topics = must(await listTopics(svc(c)));
  return c.json(v3.list("KafkaTopicList", `${l.cluster}/topics`, topics.map((t) => v3.topicBody(l, t))));
});
restProxy.get("/v3/clusters/:cluster/topics/:topic", async (c) => {
  const l = links(c);
  return c.json(v3.topicBody(l, must(await describeTopic(svc(c), topicOf(c)))));
});
restProxy.get("/v3/clusters/:cluster/topics/:topic/partitions", async (c) => {
  const l = links(c);
  const t = must(await describeTopic(svc(c), topicOf(c)));
  return c.json(v3.list("KafkaPartitionList", `${l.cluster}/topics/${t.meta.name}/partitions`, t.partitions.map((p) => v3.partitionBody(l, t.meta.name, p))));
});
restProxy.get("/v3/clusters/:cluster/topics/:topic/partitions/:partition", async (c) => {
  const l = links(c);
  const t = must(await describeTopic(svc(c), topicOf(c)));
  const p = t.partitions[Number(c.req.param("partition"))];
  if (!/^\d+$/.test(c.req.param("partition")) || !p) throw new RestError(404, 40402, "This server does not host this topic-partition.");
  return c.json(v3.partitionBody(l, t.meta.name, p));
});
restProxy.post("/v3/clusters/:cluster/topics/:topic/:action", async (c) => {
  const l = links(c);
  const topic = topicOf(c);
  const action = c.req.param("action");
  if (action === "records") return produceRecords(c, svc(c), l.clusterId, topic);
  if (action === "records:batch") return produceBatchRecords(c, svc(c), l.clusterId, topic);
  throw new RestError(404, 404, `no REST Proxy endpoint POST …/topics/${topic}/${action}`);
});
restProxy.get("/v3/clusters/:cluster/consumer-groups", async (c) => {
  const l = links(c);
  const all = must(await groups.listGroups(svc(c)));
  return c.json(v3.list("KafkaConsumerGroupList", `${l.cluster}/consumer-groups`, all.map((g) => v3.groupBody(l, g))));
});
restProxy.get("/v3/clusters/:cluster/consumer-groups/:group", async (c) => {
  const l = links(c);
  const d = must(await groups.describeGroup(svc(c), groupOf(c)));
  return c.json(v3.groupBody(l, { group: d.groupId, state: d.state, assignor: d.assignor }));
});
restProxy.get("/v3/clusters/:cluster/consumer-groups/:group/lags", async (c) => {
  const l = links(c);
  const d = must(await groups.describeGroup(svc(c), groupOf(c)));
  return c.json(v3.list("KafkaConsumerLagList", `${l.cluster}/consumer-groups/${d.groupId}/lags`, v3.lags(l, d)));
});
restProxy.get("/v3/clusters/:cluster/consumer-groups/:group/lag-summary", async (c) => {
  const l = links(c);
  return c.json(v3.lagSummary(l, must(await groups.describeGroup(svc(c), groupOf(c)))));
});

const V2 = { "content-type": v2.V2_JSON };
const inst = (c: Context<RestProxyEnv>) => [svc(c), groupOf(c), c.req.param("instance")!] as const;
const noContent = () => new Response(null, { status: 204 });

restProxy.post("/consumers/:group", (c) => v2.createInstance(c, svc(c), groupOf(c)));
restProxy.delete("/consumers/:group/instances/:instance", async (c) => (await v2.deleteInstance(...inst(c)), noContent()));
restProxy.post("/consumers/:group/instances/:instance/subscription", async (c) => (await v2.subscribe(c, ...inst(c)), noContent()));
restProxy.get("/consumers/:group/instances/:instance/subscription", async (c) => c.json(await v2.subscription(...inst(c)), 200, V2));
restProxy.delete("/consumers/:group/instances/:instance/subscription", async (c) => (await v2.unsubscribe(...inst(c)), noContent()));
restProxy.get("/consumers/:group/instances/:instance/assignments", async (c) => c.json(await v2.assignments(...inst(c)), 200, V2));
restProxy.get("/consumers/:group/instances/:instance/records", (c) => v2.records(c, ...inst(c)));
restProxy.post("/consumers/:group/instances/:instance/offsets", async (c) => (await v2.commit(c, ...inst(c)), noContent()));
restProxy.post("/consumers/:group/instances/:instance/positions", async (c) => (await v2.seek(c, ...inst(c), "offsets"), noContent()));
restProxy.post("/consumers/:group/instances/:instance/positions/beginning", async (c) => (await v2.seek(c, ...inst(c), "beginning"), noContent()));
restProxy.post("/consumers/:group/instances/:instance/positions/end", async (c) => (await v2.seek(c, ...inst(c), "end"), noContent()));
restProxy.get("/consumers/:group/instances/:instance/offsets", async (c) => c.json(await v2.committed(c, ...inst(c)), 200, V2));

restProxy.notFound((c) => c.json({ error_code: 404, message: `HTTP 404 Not Found: no REST Proxy endpoint ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

restProxy.onError((e, c) => {
  if (e instanceof RestError) return c.json({ error_code: e.errorCode, message: e.message }, e.status as 404);
  if (e instanceof BrokerConfigError) return restError(c, e.err, 500);
  const err = asKafkaError(e);
  if (err.error === "UNKNOWN_SERVER_ERROR") console.error("rest-proxy door: unhandled error", e);
  return restError(c, err);
});

