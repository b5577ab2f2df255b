/**
 * Bearer-token authentication for every /v1 route: reads `Authorization: Bearer <token>` and
 * asks the auth service who that is (src/services/auth.ts). Sets `tenant` and `isRoot`.
 */
import type { MiddlewareHandler } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import { authenticate } from "../services/auth.ts";
import type { AppEnv } from "./env.ts";
import { unwrap } from "./errors.ts";

export const bearerAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  const principal = unwrap(await authenticate(brokerConfig(c.env).adminToken, m ? m[1]! : null));
  c.set("tenant", principal.tenant);
  c.set("isRoot", principal.isRoot);
  await next();
};
