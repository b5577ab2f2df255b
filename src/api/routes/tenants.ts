/**
 * Tenant routes (root token only, by the route → ACL table): create, list, describe, delete a
 * tenant, read or set its quotas (src/services/tenants.ts) and its CORS origins
 * (src/services/tenant-cors.ts). A delete of a tenant that has
 * topics answers 409 with POLICY_VIOLATION (44) unless `?force=true`.
 */
import type { Hono } from "hono";
import {
  createTenantRoute,
  deleteTenantRoute,
  describeTenantRoute,
  getTenantCorsRoute,
  getTenantQuotasRoute,
  listTenantsRoute,
  setTenantCorsRoute,
  getStreamAccessRoute,
  setStreamAccessRoute,
  setTenantQuotasRoute,
} from "../../contract/routes.ts";
import { CreateTenantSchema, QuotasSchema, StreamAccessSchema, TenantCorsSchema } from "../../contract/schemas.ts";
import { setStreamAccess, streamAccess } from "../../services/stream-access.ts";
import { setTenantCors, tenantCors } from "../../services/tenant-cors.ts";
import {
  createTenant,
  deleteTenant,
  describeTenant,
  listTenants,
  setTenantQuotas,
  tenantQuotas,
} from "../../services/tenants.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse, raise, unwrap } from "../errors.ts";
import { mount, serviceContext as svc } from "../mount.ts";
import { readJson, validate } from "../request.ts";

export function tenantRoutes(app: Hono<AppEnv>): void {
  mount(app, createTenantRoute, async (c) => {
    const body = validate(CreateTenantSchema, await readJson(c));
    return c.json(unwrap(await createTenant(c.env, body.name)), 201);
  });
  mount(app, listTenantsRoute, async (c) => c.json({ tenants: unwrap(await listTenants(c.env)) }));
  mount(app, describeTenantRoute, async (c) => c.json(unwrap(await describeTenant(c.env, c.req.param("name") ?? ""))));
  mount(app, deleteTenantRoute, async (c) => {
    const force = c.req.query("force");
    if (force !== undefined && force !== "true" && force !== "false") raise("INVALID_REQUEST", "force is true or false");
    const r = await deleteTenant(svc(c), c.req.param("name") ?? "", force === "true");
    if (!r.ok && r.err.error === "POLICY_VIOLATION" && r.err.message.includes("force")) return errorResponse(c, r.err, 409);
    unwrap(r);
    return c.body(null, 204);
  });
  mount(app, getTenantQuotasRoute, async (c) => c.json(unwrap(await tenantQuotas(c.env, c.req.param("name") ?? ""))));
  mount(app, setTenantQuotasRoute, async (c) => {
    const body = validate(QuotasSchema, await readJson(c));
    return c.json(unwrap(await setTenantQuotas(c.env, c.req.param("name") ?? "", body)));
  });
  mount(app, getTenantCorsRoute, async (c) => c.json(unwrap(await tenantCors(c.env, c.req.param("name") ?? ""))));
  mount(app, setTenantCorsRoute, async (c) => {
    const body = validate(TenantCorsSchema, await readJson(c));
    return c.json(unwrap(await setTenantCors(c.env, c.req.param("name") ?? "", body.allowed_origins)));
  });
  mount(app, getStreamAccessRoute, async (c) => c.json(unwrap(await streamAccess(c.env, c.req.param("name") ?? ""))));
  mount(app, setStreamAccessRoute, async (c) => {
    const body = validate(StreamAccessSchema, await readJson(c));
    return c.json(unwrap(await setStreamAccess(c.env, c.req.param("name") ?? "", body.anonymous_prefix)));
  });
}
