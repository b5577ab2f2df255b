/**
 * `/openapi.json`: the HTTP contract as OpenAPI 3.1, generated from the route definitions of
 * src/contract/routes.ts (the same objects that mount and validate the routes), so the document
 * cannot drift from the code. Linted by `@redocly/cli lint` in the tests.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { ROUTES } from "../contract/routes.ts";

const TAGS = [
  { name: "topics", description: "Create, list, describe, alter and delete topics" },
  { name: "produce", description: "Produce records (JSON, NDJSON, binary batches) and idempotent producers" },
  { name: "fetch", description: "Fetch records below the high watermark and look up offsets" },
  { name: "groups", description: "Consumer groups with server-side assignment and committed offsets" },
  { name: "operations", description: "Health, this document, and replica maintenance (root token)" },
];

let cached: ReturnType<OpenAPIHono["getOpenAPI31Document"]> | undefined;

export function openApiDocument() {
  if (cached) return cached;
  // Used only for its registry and generator; the routes are mounted on the app (src/api/app.ts).
  const doc = new OpenAPIHono();
  doc.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN (root), or an API key `flk_<key_id>_<secret>` of one tenant.",
  });
  for (const r of ROUTES) doc.openAPIRegistry.registerPath(r);
  cached = doc.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Flarelog",
      version: "1",
      description:
        "A Kafka-style replicated commit log on Cloudflare Workers: topics, produce with acks 0/1/all, " +
        "fetch below the high watermark, idempotent producers and consumer groups. Errors carry Kafka's " +
        "numeric codes: {error_code, error, message, retriable}.",
      license: { name: "Proprietary (not yet published under an open licence)" },
    },
    servers: [{ url: "http://127.0.0.1:8787", description: "Local cluster (npm start)" }],
    tags: TAGS,
  });
  return cached;
}
