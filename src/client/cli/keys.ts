/**
 * `flarelog keys list|create|revoke|rotate`: API keys of the caller's tenant (every tenant's with
 * the root token, which must name `--tenant` on create). A key is made from a role
 * (`--role admin|producer|consumer [--prefix P]`, expanded by the broker) or from ACL entries
 * (`--acl resource:pattern:name:operation:permission ...`, access.ts), never both. The secret is
 * printed once, by create or rotate; list never shows one.
 * `rotate <key_id>` creates a new key with the old one's name, tenant, ACL entries and quota
 * overrides and prints it; the old key stays valid (both work during the overlap, so clients can
 * move) until `keys revoke`, or at once with `--revoke-old`. Every check of the command line
 * happens before anything is sent.
 */
import type { ApiKey, CreatedKey, CreateKeyBody } from "../flarelog-client.ts";
import { CliError, EXIT, flag, has, needOne, usage, type FlagTable, type Parsed } from "./args.ts";
import { aclText, applyQuotaEdits, parseAcl, parseRole, quotaEdits, when } from "./access.ts";
import type { CommandContext } from "./context.ts";
import { check, json, table } from "./output.ts";

export const KEYS_FLAGS: Record<string, FlagTable> = {
  list: {},
  create: {
    name: { value: true },
    tenant: { value: true },
    role: { value: true },
    prefix: { value: true },
    acl: { value: true, repeat: true },
    quota: { value: true, repeat: true },
  },
  revoke: {},
  rotate: { "revoke-old": {} },
};

/** The body of `keys create`, or a usage error saying what is missing or conflicting. */
function createBody(args: Parsed): CreateKeyBody {
  if (args.positional.length > 0) throw usage(`'keys create' takes no arguments (got "${args.positional[0]}"); the name goes in --name`);
  const name = flag(args, "name");
  if (name === undefined) throw usage("'keys create' needs --name");
  const role = flag(args, "role");
  const acls = args.flags.get("acl");
  if ((role === undefined) === (acls === undefined)) throw usage("'keys create' needs exactly one of --role and --acl");
  const prefix = flag(args, "prefix");
  if (prefix !== undefined && role === undefined) throw usage("--prefix goes with --role");
  const edits = quotaEdits(args, "quota");
  const tenant = flag(args, "tenant");
  return {
    name,
    ...(tenant !== undefined ? { tenant } : {}),
    ...(role !== undefined ? { role: parseRole(role), ...(prefix !== undefined ? { prefix } : {}) } : { acls: acls!.map(parseAcl) }),
    ...(edits !== undefined ? { quotas: applyQuotaEdits({}, edits) } : {}),
  };
}

const createdText = (k: CreatedKey): string =>
  `Created key ${k.name} (id ${k.key_id}) in tenant ${k.tenant} with ACL entries:\n` +
  k.acls.map((a) => `  ${aclText(a)}\n`).join("") +
  `The key, shown only this once (only its hash is kept):\n${k.key}\n`;

/** New key like `old`; the old one revoked only when asked. The new key is printed even if that revoke fails. */
async function rotate(c: CommandContext, keyId: string): Promise<void> {
  const { keys } = check(await c.client.listKeys());
  const old = keys.find((k: ApiKey) => k.key_id === keyId);
  if (old === undefined) throw new CliError(EXIT.broker, `no key "${keyId}" among the keys this token can see (flarelog keys list)`);
  const body: CreateKeyBody = { name: old.name, tenant: old.tenant, acls: old.acls, ...(old.quotas !== undefined ? { quotas: old.quotas } : {}) };
  const created = check(await c.client.createKey(body));
  const revoked = has(c.args, "revoke-old") ? await c.client.revokeKey(keyId) : undefined;
  const note =
    revoked === undefined
      ? `The old key ${keyId} stays valid, so both work while clients move; revoke it then: flarelog keys revoke ${keyId}\n`
      : revoked.ok
        ? `Revoked the old key ${keyId}.\n`
        : "";
  c.out.stdout(c.json ? json({ ...created, replaces: keyId, old_key_revoked: revoked?.ok === true }) : createdText(created) + note);
  if (revoked !== undefined) check(revoked);
}

export async function keysCommand(sub: string, c: CommandContext): Promise<void> {
  const { client, out, args } = c;
  switch (sub) {
    case "list": {
      const body = check(await client.listKeys());
      if (c.json) return out.stdout(json(body));
      const rows = body.keys.map((k) => [k.key_id, k.name, k.tenant, when(k.last_used_at), k.acls.map(aclText).join(",")]);
      return out.stdout(table(["KEY-ID", "NAME", "TENANT", "LAST-USED", "ACLS"], rows));
    }
    case "create": {
      const created = check(await client.createKey(createBody(args)));
      return out.stdout(c.json ? json(created) : createdText(created));
    }
    case "revoke": {
      const keyId = needOne(args, "key id", "keys revoke");
      check(await client.revokeKey(keyId));
      return out.stdout(c.json ? json({ revoked: keyId }) : `Revoked key ${keyId}\n`);
    }
    case "rotate":
      return rotate(c, needOne(args, "key id", "keys rotate"));
  }
}
