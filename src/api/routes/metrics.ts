/**
 * GET /metrics: the Prometheus scrape of the caller's tenant (the root's: every tenant's
 * counters), behind the same bearer token as /v1 (Prometheus' `authorization` scrape option).
 */
import type { Hono } from "hono";
import { metricsRoute } from "../../contract/routes.ts";
import { scrapeMetrics } from "../../services/metrics.ts";
import { bearerAuth } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { mount, serviceContext } from "../mount.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function metricsRoutes(app: Hono<AppEnv>): void {
  app.use(metricsRoute.path, bearerAuth);
  mount(app, metricsRoute, async (c) => {
    const text = unwrap(await scrapeMetrics(serviceContext(c), { allTenants: c.get("isRoot") }));
    return c.body(text, 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}
