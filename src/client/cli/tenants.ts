/**
 * `flarelog tenants list|create|describe|delete|quotas`: the root token's tenant administration
 * (a key is refused, 31). `quotas <name>` shows the tenant's quotas ("default" where the
 * operator's applies); with `--set quota=value ...` it changes those and keeps the others, as
 * kafka-configs --alter --add-config does (`quota=default` removes one). `delete` is refused
 * while the tenant has topics unless `--force` (then its topics and keys are deleted).
 */
import type { Quotas, Tenant } from "../flarelog-client.ts";
import { has, needOne, type FlagTable } from "./args.ts";
import { applyQuotaEdits, QUOTAS, quotaEdits, when } from "./access.ts";
import type { CommandContext } from "./context.ts";
import { check, json, table } from "./output.ts";

export const TENANTS_FLAGS: Record<string, FlagTable> = {
  list: {},
  create: {},
  describe: {},
  delete: { force: {} },
  quotas: { set: { value: true, repeat: true } },
};

const tenantTable = (tenants: Tenant[]) => table(["TENANT", "CREATED"], tenants.map((t) => [t.name, when(t.created_at)]));
const quotaTable = (q: Quotas) => table(["QUOTA", "VALUE"], QUOTAS.map((name) => [name, q[name] ?? "default"]));

export async function tenantsCommand(sub: string, c: CommandContext): Promise<void> {
  const { client, out, args } = c;
  const print = (body: unknown, text: string) => out.stdout(c.json ? json(body) : text);
  switch (sub) {
    case "list": {
      const body = check(await client.listTenants());
      return print(body, tenantTable(body.tenants));
    }
    case "create": {
      const t = check(await client.createTenant(needOne(args, "tenant name", "tenants create")));
      return print(t, tenantTable([t]));
    }
    case "describe": {
      const t = check(await client.describeTenant(needOne(args, "tenant name", "tenants describe")));
      return print(t, tenantTable([t]));
    }
    case "delete": {
      const name = needOne(args, "tenant name", "tenants delete");
      check(await client.deleteTenant(name, { force: has(args, "force") }));
      return print({ deleted: name }, `Deleted tenant ${name}\n`);
    }
    case "quotas": {
      const name = needOne(args, "tenant name", "tenants quotas");
      const edits = quotaEdits(args, "set");
      const current = check(await client.getTenantQuotas(name));
      const q = edits === undefined ? current : check(await client.setTenantQuotas(name, applyQuotaEdits(current, edits)));
      return print(q, quotaTable(q));
    }
  }
}
