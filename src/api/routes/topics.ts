/**
 * Topic routes: create, list, describe, alter (grow partitions, change configs), delete.
 * Names and configs are validated here as well as in the coordinator, so bad input never
 * reaches a Durable Object.
 */
import { Hono } from "hono";
import { validateTopicConfigs, validateTopicName } from "../../protocol/config.ts";
import { Cluster } from "../cluster.ts";
import { describeTopic } from "../describe.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { readJson, validate } from "../request.ts";
import { AlterTopicSchema, CreateTopicSchema } from "../schemas.ts";

export const topicRoutes = new Hono<AppEnv>();

/** The path's topic name, checked against Kafka's rule (catches `..`, `%2e%2e`, NUL). */
export function topicParam(raw: string): string {
  return unwrap(validateTopicName(raw));
}

topicRoutes.post("/", async (c) => {
  const body = validate(CreateTopicSchema, await readJson(c));
  unwrap(validateTopicName(body.name));
  const configs = unwrap(validateTopicConfigs(body.configs));
  const cluster = new Cluster(c.env, c.get("tenant"));
  const meta = unwrap(
    await cluster.coordinator().createTopic({
      name: body.name,
      partitions: body.partitions,
      replicationFactor: body.replication_factor,
      configs,
    }),
  );
  cluster.remember(meta);
  return c.json(await describeTopic(cluster, meta), 201);
});

topicRoutes.get("/", async (c) => {
  const cluster = new Cluster(c.env, c.get("tenant"));
  const topics = await cluster.coordinator().listTopics();
  return c.json({ topics: await Promise.all(topics.map((t) => describeTopic(cluster, t))) });
});

topicRoutes.get("/:topic", async (c) => {
  const name = topicParam(c.req.param("topic"));
  const cluster = new Cluster(c.env, c.get("tenant"));
  const meta = unwrap(await cluster.topic(name, true));
  return c.json(await describeTopic(cluster, meta));
});

topicRoutes.patch("/:topic", async (c) => {
  const name = topicParam(c.req.param("topic"));
  const body = validate(AlterTopicSchema, await readJson(c));
  const cluster = new Cluster(c.env, c.get("tenant"));
  const req: { partitions?: number; configs?: Record<string, string> } = {};
  if (body.partitions !== undefined) req.partitions = body.partitions;
  if (body.configs !== undefined) req.configs = unwrap(validateTopicConfigs(body.configs));
  const meta = unwrap(await cluster.coordinator().alterTopic(name, req));
  cluster.remember(meta);
  return c.json(await describeTopic(cluster, meta));
});

topicRoutes.delete("/:topic", async (c) => {
  const name = topicParam(c.req.param("topic"));
  const cluster = new Cluster(c.env, c.get("tenant"));
  unwrap(await cluster.coordinator().deleteTopic(name));
  cluster.forget(name);
  return c.body(null, 204);
});
