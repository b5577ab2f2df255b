/**
 * Topic routes: create, list, describe, alter (grow partitions, change configs), delete. Each
 * parses its request, calls one topic service (src/services/topics.ts) and renders the answer.
 */
import type { Hono } from "hono";
import {
  alterTopicRoute,
  createTopicRoute,
  deleteTopicRoute,
  describeTopicRoute,
  listTopicsRoute,
} from "../../contract/routes.ts";
import { AlterTopicSchema, CreateTopicSchema } from "../../contract/schemas.ts";
import { alterTopic, createTopic, deleteTopic, describeTopic, listTopics } from "../../services/topics.ts";
import { CLUSTER } from "../../services/acl.ts";
import { allowed, requireAcl } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { checkGrowth, checkTopicQuotas } from "../quota-checks.ts";
import { unwrap } from "../errors.ts";
import { mount, serviceContext as svc, topicOf } from "../mount.ts";
import { topicJson } from "../render.ts";
import { readJson, validate } from "../request.ts";

export function topicRoutes(app: Hono<AppEnv>): void {
  mount(app, createTopicRoute, async (c) => {
    const body = validate(CreateTopicSchema, await readJson(c));
    // Kafka: Create on the cluster, or on the topic's name.
    if (!allowed(c, "cluster", CLUSTER, "create")) requireAcl(c, "topic", body.name, "create");
    unwrap(await checkTopicQuotas(c, body.partitions * body.replication_factor, 1));
    const d = unwrap(
      await createTopic(svc(c), { name: body.name, partitions: body.partitions, replicationFactor: body.replication_factor, configs: body.configs }),
    );
    return c.json(topicJson(d), 201);
  });
  mount(app, listTopicsRoute, async (c) => {
    const visible = unwrap(await listTopics(svc(c))).filter((t) => allowed(c, "topic", t.meta.name, "describe"));
    return c.json({ topics: visible.map(topicJson) });
  });
  mount(app, describeTopicRoute, async (c) => c.json(topicJson(unwrap(await describeTopic(svc(c), topicOf(c))))));
  mount(app, alterTopicRoute, async (c) => {
    const body = validate(AlterTopicSchema, await readJson(c));
    if (body.partitions !== undefined) unwrap(await checkGrowth(c, topicOf(c), body.partitions));
    return c.json(topicJson(unwrap(await alterTopic(svc(c), topicOf(c), body))));
  });
  mount(app, deleteTopicRoute, async (c) => {
    unwrap(await deleteTopic(svc(c), topicOf(c)));
    return c.body(null, 204);
  });
}
