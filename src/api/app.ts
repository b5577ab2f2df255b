/**
 * The Flarelog HTTP API (Hono), the native front door: auth on every /v1 route, the routes of
 * the contract (src/contract/routes.ts) each calling one service (src/services/), `/healthz`,
 * `/openapi.json`, 405 + Allow for a wrong method on a served path, and the single `onError`
 * that turns every failure into the contract's error body. Stateless; all state lives in
 * Durable Objects reached by the services.
 */
import { Hono } from "hono";
import { BrokerConfigError, brokerConfig } from "../config/broker-config.ts";
import { healthRoute, openApiRoute } from "../contract/routes.ts";
import { kafkaError } from "../protocol/errors.ts";
import { ensureDeclaredTopics } from "../services/topics.ts";
import { bearerAuth } from "./auth.ts";
import { cors } from "./cors.ts";
import type { AppEnv } from "./env.ts";
import { errorResponse, toKafkaError, unwrap } from "./errors.ts";
import { allowedMethods, mount, serviceContext } from "./mount.ts";
import { openApiDocument } from "./openapi.ts";
import { adminRoutes, requireRoot } from "./routes/admin.ts";
import { fetchRoutes } from "./routes/fetch.ts";
import { groupRoutes } from "./routes/groups.ts";
import { keyRoutes } from "./routes/keys.ts";
import { produceRoutes } from "./routes/produce.ts";
import { producerRoutes } from "./routes/producers.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { topicRoutes } from "./routes/topics.ts";
import { requestLog } from "./request-log.ts";
import { metricsRoutes } from "./routes/metrics.ts";

export const app = new Hono<AppEnv>();

app.use("*", requestLog);

app.use("*", cors);
mount(app, healthRoute, (c) => c.json({ status: "ok" }));
mount(app, openApiRoute, (c) => c.json(openApiDocument()));

app.use("/v1/*", bearerAuth);
app.use("/v1/*", async (c, next) => {
  unwrap(await ensureDeclaredTopics(serviceContext(c), brokerConfig(c.env).declaredTopics));
  await next();
});
app.use("/v1/admin/*", requireRoot);
topicRoutes(app);
produceRoutes(app);
fetchRoutes(app);
producerRoutes(app);
groupRoutes(app);
adminRoutes(app);
tenantRoutes(app);
keyRoutes(app);
metricsRoutes(app);

app.notFound((c) => {
  const path = new URL(c.req.url).pathname;
  const allowed = allowedMethods(path);
  if (allowed.length > 0) {
    const err = kafkaError("INVALID_REQUEST", `${c.req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`);
    const res = errorResponse(c, err, 405);
    res.headers.set("allow", allowed.join(", "));
    return res;
  }
  return errorResponse(c, kafkaError("UNSUPPORTED_VERSION", `no route for ${c.req.method} ${path}`));
});

app.onError((e, c) => {
  if (e instanceof BrokerConfigError) {
    // The deployment itself is wrong (a bad var): every request says so until it is fixed.
    console.error(e.message);
    return errorResponse(c, e.err, 500);
  }
  const err = toKafkaError(e);
  if (err.error === "UNKNOWN_SERVER_ERROR") console.error("unhandled error", e);
  return errorResponse(c, err);
});
