/**
 * `npm run chaos -- --tenants 2` (issue 14): a second tenant writing at once. The root token
 * creates tenant `chaos-b`, an admin API key for it, and the same topic name in it; tenant B's
 * producers (processes `producer-100`…, so their values differ from tenant A's) and consumers run
 * through the same proxy, under the same faults, with the key. After the heal both tenants are
 * drained and checked by the same checker, each its own history; then isolation: no value any
 * client of one tenant read may come from a producer of the other.
 *
 * Bounded like the rest of the run; all traffic on 127.0.0.1. Node 24 type stripping.
 */
import { check, type CheckResult } from "./checker.ts";
import type { History, Op } from "./history.ts";
import { runProducer } from "./producer.ts";
import { call, drain, runConsumer, type Stopper, type WorkloadConfig } from "./workload.ts";

export const SECOND_TENANT = "chaos-b";
/** Tenant B's producers are `producer-100`, `producer-101`, … */
export const TENANT_B_PRODUCER_OFFSET = 100;

export interface SecondTenant {
  cfg: WorkloadConfig;
  ops: Op[];
}

/** Creates tenant B, its admin key and its topic (same name and shape as tenant A's). */
export async function setUpSecondTenant(
  serverUrl: string,
  adminToken: string,
  cfgA: WorkloadConfig,
  topicBody: Record<string, unknown>,
): Promise<SecondTenant> {
  const t = await call(`${serverUrl}/v1/admin/tenants`, adminToken, "POST", 30_000, { name: SECOND_TENANT });
  if (t.status !== 201) throw new Error(`create tenant ${SECOND_TENANT}: HTTP ${t.status} ${JSON.stringify(t.json)}`);
  const k = await call(`${serverUrl}/v1/keys`, adminToken, "POST", 30_000, { name: "chaos", tenant: SECOND_TENANT, role: "admin" });
  const key = (k.json as { key?: string } | null)?.key;
  if (k.status !== 201 || typeof key !== "string") throw new Error(`create key: HTTP ${k.status}`);
  const created = await call(`${serverUrl}/v1/topics`, key, "POST", 30_000, topicBody);
  if (created.status !== 201) throw new Error(`create topic in ${SECOND_TENANT}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  return { cfg: { ...cfgA, token: key, seed: cfgA.seed + 1 }, ops: [] };
}

/** Tenant B's producers and consumers, running until `stop`. */
export function startSecondTenant(b: SecondTenant, stop: Stopper): Promise<unknown>[] {
  const out = (op: Op) => b.ops.push(op);
  return [
    ...Array.from({ length: b.cfg.producers }, (_, i) => runProducer(b.cfg, TENANT_B_PRODUCER_OFFSET + i, stop, out)),
    ...Array.from({ length: b.cfg.consumers }, (_, i) => runConsumer(b.cfg, TENANT_B_PRODUCER_OFFSET + i, i % b.cfg.partitions, stop, out)),
  ];
}

/** Drains tenant B's partitions and checks its history like tenant A's. */
export async function finishSecondTenant(b: SecondTenant, base: Omit<History, "ops" | "seed">): Promise<{ result: CheckResult; drained: boolean[] }> {
  const drained: boolean[] = [];
  for (let p = 0; p < b.cfg.partitions; p++) drained.push(await drain(b.cfg, p, 30_000, (op) => b.ops.push(op)));
  b.ops.sort((x, y) => (x.type === "nemesis" ? x.startMs : x.invokeMs) - (y.type === "nemesis" ? y.startMs : y.invokeMs));
  return { result: check({ ...base, seed: b.cfg.seed, ops: b.ops }), drained };
}

function isTenantB(value: string): boolean {
  const m = /^producer-(\d+)-\d+$/.exec(value);
  return m !== null && Number(m[1]) >= TENANT_B_PRODUCER_OFFSET;
}

/** Values one tenant read that a producer of the other tenant wrote (must be none). */
export function leaks(opsA: readonly Op[], opsB: readonly Op[]): { aSawB: string[]; bSawA: string[] } {
  const read = (ops: readonly Op[]) => ops.flatMap((o) => (o.type === "poll" && o.outcome === "ok" ? (o.records ?? []).map((r) => r.value) : []));
  return { aSawB: read(opsA).filter(isTenantB), bSawA: read(opsB).filter((v) => v !== "" && !isTenantB(v)) };
}
