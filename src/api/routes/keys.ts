/**
 * API key routes: create (the secret is in this answer only), list (never a secret), revoke
 * (src/services/tenants.ts). The root token names the key's tenant and sees every tenant's
 * keys; a tenant key (with Alter/Describe on the cluster, by the route → ACL table) acts on its
 * own tenant only, and another tenant's key is "not found" to it.
 */
import type { Hono } from "hono";
import { createKeyRoute, listKeysRoute, revokeKeyRoute } from "../../contract/routes.ts";
import { CreateKeySchema } from "../../contract/schemas.ts";
import { createKey, listKeys, revokeKey } from "../../services/tenants.ts";
import type { AppEnv } from "../env.ts";
import { raise, unwrap } from "../errors.ts";
import { mount } from "../mount.ts";
import { readJson, validate } from "../request.ts";

export function keyRoutes(app: Hono<AppEnv>): void {
  mount(app, createKeyRoute, async (c) => {
    const body = validate(CreateKeySchema, await readJson(c));
    const p = c.get("principal");
    if (p.isRoot && body.tenant === undefined) raise("INVALID_REQUEST", "tenant is required with the root token");
    if (!p.isRoot && body.tenant !== undefined && body.tenant !== p.tenant)
      raise("CLUSTER_AUTHORIZATION_FAILED", "a key can create keys of its own tenant only");
    const k = unwrap(await createKey(c.env, { ...body, tenant: p.isRoot ? body.tenant! : p.tenant }));
    return c.json({ key_id: k.key_id, key: k.key, name: k.name, tenant: k.tenant, acls: k.acls }, 201);
  });
  mount(app, listKeysRoute, async (c) => {
    const p = c.get("principal");
    return c.json({ keys: unwrap(await listKeys(c.env, p.isRoot ? null : p.tenant)) });
  });
  mount(app, revokeKeyRoute, async (c) => {
    const p = c.get("principal");
    unwrap(await revokeKey(c.env, c.req.param("key_id") ?? "", p.isRoot ? null : p.tenant));
    return c.body(null, 204);
  });
}
