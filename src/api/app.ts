/**
 * The Flarelog HTTP API (Hono): auth on every /v1 route, the routes, `/healthz`,
 * `/openapi.json`, and the single `onError` that turns every failure into the contract's
 * error body. Stateless; all state lives in Durable Objects reached by typed RPC.
 */
import { Hono } from "hono";
import { kafkaError } from "../protocol/errors.ts";
import { bearerAuth } from "./auth.ts";
import { ensureDeclaredTopics } from "./declared-topics.ts";
import type { AppEnv } from "./env.ts";
import { errorResponse, toKafkaError } from "./errors.ts";
import { openApiDocument } from "./openapi.ts";
import { adminRoutes } from "./routes/admin.ts";
import { fetchRoutes } from "./routes/fetch.ts";
import { groupRoutes } from "./routes/groups.ts";
import { produceRoutes } from "./routes/produce.ts";
import { producerRoutes, producerStateRoutes } from "./routes/producers.ts";
import { topicRoutes } from "./routes/topics.ts";

export const app = new Hono<AppEnv>();

app.get("/healthz", (c) => c.json({ status: "ok" }));
app.get("/openapi.json", (c) => c.json(openApiDocument()));

app.use("/v1/*", bearerAuth);
app.use("/v1/*", ensureDeclaredTopics);
app.route("/v1/topics", topicRoutes);
app.route("/v1/topics", produceRoutes);
app.route("/v1/topics", fetchRoutes);
app.route("/v1/topics", producerStateRoutes);
app.route("/v1/producers", producerRoutes);
app.route("/v1/groups", groupRoutes);
app.route("/v1/admin", adminRoutes);

app.notFound((c) => {
  const err = kafkaError("INVALID_REQUEST", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  return c.json({ error_code: err.errorCode, error: err.error, message: err.message, retriable: false }, 404);
});

app.onError((e, c) => {
  const err = toKafkaError(e);
  if (err.error === "UNKNOWN_SERVER_ERROR") console.error("unhandled error", e);
  return errorResponse(c, err);
});
