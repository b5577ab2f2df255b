/**
 * The chaos build's replication fault layer (src/partition/push-faults.ts, issue 16): delays are
 * what the table says and nothing when it is empty, a pause holds pushes until released and drops
 * none, and the layer is absent from the production bundle — wrangler's own bundle of
 * wrangler.toml (what a deploy uploads) has none of it, while the chaos build's bundle does
 * (the same search finds it there, so the absence is not a search that cannot match).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { faultyTransport, parsePushFaultState, PushFaultTable } from "../../src/partition/push-faults.ts";
import type { ReplicaTransport } from "../../src/partition/replica-transport.ts";
import type { ReplicateRequest } from "../../src/protocol/types.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const link = { partition: 0, from: 0, to: 1 };

describe("PushFaultTable", () => {
  it("an empty table with base 0 adds no delay on either leg", () => {
    const t = new PushFaultTable(() => 0.999);
    expect([t.delayMs(link, "request"), t.delayMs(link, "answer")]).toEqual([0, 0]);
  });

  it("the base jitter (REPLICA_PUSH_DELAY_MS) is 0..base on the request leg; rules add only where they match", () => {
    const t = new PushFaultTable(() => 0.999);
    t.set({ baseMaxMs: 20, rules: [{ leg: "request", to: 2, minMs: 100, maxMs: 200 }, { leg: "answer", partition: 0, minMs: 50, maxMs: 50 }], paused: [] });
    expect(t.delayMs(link, "request")).toBe(20);
    expect(t.delayMs({ ...link, to: 2 }, "request")).toBe(20 + 200);
    expect(t.delayMs(link, "answer")).toBe(50);
    expect(t.delayMs({ ...link, partition: 1 }, "answer")).toBe(0);
  });

  it("a clock skew applies to the replica id it names only", () => {
    const t = new PushFaultTable();
    t.set({ baseMaxMs: 0, rules: [], paused: [], skews: [{ replica: 1, ms: 45_000 }] });
    expect([t.skewMs(0), t.skewMs(1), t.skewMs(2)]).toEqual([0, 45_000, 0]);
  });

  it("a paused replica's pushes wait until the pause is lifted, then all go through in order; other replicas' do not wait", async () => {
    const t = new PushFaultTable(() => 0);
    t.set({ baseMaxMs: 0, rules: [], paused: [{ partition: 0, replica: 1 }] });
    const sent: number[] = [];
    const inner: ReplicaTransport = {
      replicate: async (followerId, req) => {
        sent.push(req.prevOffset * 10 + followerId);
        return { ok: true, value: { status: "ok", logEndOffset: req.prevOffset } };
      },
      alterPartition: async () => ({ ok: false, err: { error: "UNKNOWN_SERVER_ERROR", code: -1, retriable: false, message: "unused" } }) as never,
      partitionState: async () => ({ ok: false, err: { error: "UNKNOWN_SERVER_ERROR", code: -1, retriable: false, message: "unused" } }) as never,
    };
    const tr = faultyTransport(inner, t, 0, 0);
    const req = (prevOffset: number) => ({ prevOffset }) as ReplicateRequest;
    const held = [tr.replicate(1, req(1)), tr.replicate(1, req(2))];
    await tr.replicate(2, req(3));
    expect(sent).toEqual([32]);
    t.set({ baseMaxMs: 0, rules: [], paused: [] });
    const answers = await Promise.all(held);
    expect(sent).toEqual([32, 11, 21]);
    expect(answers.every((a) => a.ok)).toBe(true);
  });

  it("the control route's body is checked: a bad rule is refused, the base is the server's", () => {
    expect(parsePushFaultState({ rules: [{ leg: "request", minMs: 5, maxMs: 10 }], paused: [{ replica: 1 }] }, 7)).toEqual({
      baseMaxMs: 7,
      rules: [{ leg: "request", minMs: 5, maxMs: 10 }],
      paused: [{ replica: 1 }],
      skews: [],
    });
    expect(parsePushFaultState({ skews: [{ replica: 2, ms: -30_000 }] }, 0)?.skews).toEqual([{ replica: 2, ms: -30_000 }]);
    expect(parsePushFaultState({ skews: [{ replica: 2, ms: 10 ** 9 }] }, 0)).toBeNull();
    expect(parsePushFaultState({ rules: [{ leg: "sideways", minMs: 5, maxMs: 10 }] }, 0)).toBeNull();
    expect(parsePushFaultState({ rules: [{ leg: "request", minMs: 10, maxMs: 5 }] }, 0)).toBeNull();
    expect(parsePushFaultState("x", 0)).toBeNull();
  });
});

/** wrangler's bundle of `config` (deploy --dry-run), as text. */
function bundle(config: string): string {
  const out = mkdtempSync(join(tmpdir(), "flarelog-bundle-test-"));
  try {
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out, "--config", config], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", FORCE_COLOR: "0" },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`wrangler failed: ${r.stdout}${r.stderr}`);
    const entry = readFileSync(join(out, config.endsWith(join("chaos", "wrangler.toml")) ? "worker.js" : "broker.js"), "utf8");
    return entry;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe("the production bundle", () => {
  it("has no replication fault layer and no control route; the chaos build's bundle has both", () => {
    const markers = ["PushFaultTable", "faultyTransport", "/__chaos/push-faults"];
    const production = bundle(join(ROOT, "wrangler.toml"));
    const chaos = bundle(join(ROOT, "chaos", "wrangler.toml"));
    for (const m of markers) {
      expect(production.includes(m), `production bundle contains ${m}`).toBe(false);
      expect(chaos.includes(m), `chaos bundle contains ${m}`).toBe(true);
    }
  }, 120_000);

  it("the chaos build's wrangler config has the production one's bindings, rules and migrations", () => {
    const active = (path: string) =>
      readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#") && !/^(main|name)\s*=/.test(l));
    expect(active(join(ROOT, "chaos", "wrangler.toml"))).toEqual(active(join(ROOT, "wrangler.toml")));
  });
});
