/**
 * The per-tenant deploy recipe works: `npm run tenant:deploy-config acme` (scripts/
 * tenant-deploy-config.ts) yields an `[env.acme]` for which `wrangler deploy --dry-run --env acme`
 * lists every Durable Object binding of the top level; a hand-written `[env.acme]` with only a
 * name (the old recipe) lists none, so the check can fail. Re-running replaces the section.
 * S14 (issue 14): the bundle wrangler would deploy carries no test-only code or route.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withTenantSection } from "../../scripts/tenant-deploy-config.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const BASE = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
const BINDINGS = [...BASE.matchAll(/^\[\[durable_objects\.bindings\]\]\nname = "([A-Z_]+)"/gm)].map((m) => m[1]!);

/** wrangler's dry-run listing for `--env acme` with `toml` as the config (placed at the repo root so `main` resolves). */
function dryRun(toml: string, inspect?: (outdir: string) => void): string {
  const config = join(ROOT, `.wrangler-tenant-test-${process.pid}.toml`);
  const out = mkdtempSync(join(tmpdir(), "flarelog-dry-"));
  writeFileSync(config, toml);
  try {
    const listing = execFileSync(join(ROOT, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--env", "acme", "--config", config, "--outdir", out], {
      cwd: ROOT, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" }, timeout: 120_000, stdio: ["ignore", "pipe", "pipe"],
    });
    inspect?.(out);
    return listing;
  } finally {
    rmSync(config, { force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

describe("per-tenant deploy config", () => {
  it("the generated [env.acme] lists every Durable Object binding in wrangler's dry run, and (S14) its bundle has no test code", () => {
    expect(BINDINGS.length).toBeGreaterThanOrEqual(4);
    let bundle = "";
    const listing = dryRun(withTenantSection(BASE, "acme"), (out) => {
      bundle = readdirSync(out).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(out, f), "utf8")).join("\n");
    });
    expect(bundle.length).toBeGreaterThan(100_000);
    for (const marker of ["vitest", "test/support", "runInDurableObject", "/__test", "fake-clock"]) expect(bundle, marker).not.toContain(marker);
    expect(bundle).toContain("/v1/admin/tenants");
    for (const b of BINDINGS) expect(listing, b).toContain(`env.${b} (`);
  }, 130_000);

  it("a bare [env.acme] (the old recipe) lists none, so the check above can fail", () => {
    const listing = dryRun(`${BASE}\n[env.acme]\nname = "flarelog-acme"\n`);
    for (const b of BINDINGS) expect(listing).not.toContain(`env.${b} (`);
  }, 130_000);

  it("re-running replaces the tenant's section instead of adding a second one", () => {
    const twice = withTenantSection(withTenantSection(BASE, "acme"), "acme");
    expect(twice.match(/\[env\.acme\]/g)).toHaveLength(1);
    expect(withTenantSection(twice, "beta").match(/^\[env\./gm)).toHaveLength(2);
  });
});
