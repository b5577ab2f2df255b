/**
 * Creates the topics a deployment declares in its `TOPICS` var, once per isolate, before the
 * first /v1 request is served (Workers have no start-up hook). Creation is idempotent in the
 * coordinator, so several isolates racing here is harmless.
 */
import type { MiddlewareHandler } from "hono";
import { Cluster } from "./cluster.ts";
import type { AppEnv } from "./env.ts";
import { unwrap } from "./errors.ts";

const done = new Set<string>();

export const ensureDeclaredTopics: MiddlewareHandler<AppEnv> = async (c, next) => {
  const declared = (c.env.TOPICS ?? "").trim();
  const tenant = c.get("tenant");
  if (declared && !done.has(tenant)) {
    unwrap(await new Cluster(c.env, tenant).coordinator().ensureDeclaredTopics(declared));
    done.add(tenant);
  }
  await next();
};
