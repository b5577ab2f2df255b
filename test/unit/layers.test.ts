/**
 * The layer check (issue 13): `.dependency-cruiser.cjs` holds the table of docs/architecture.md
 * "Layers" (imports point down only, no cycles between folders). This runs depcruise, as
 * `npm run lint:layers` does, on src/ and workers/ and asserts no violation (printing each one
 * when there are some), and on the fixture tree test/fixtures/layers/, where it must report
 * exactly the deliberate violations listed below and none of the fixture's allowed imports: a
 * check that cannot fail proves nothing.
 *
 * depcruise runs in a child process under the project's Node 24 (node_modules/.bin/node, as the
 * npm script does); the fixture run has the fixture folder as its working directory, so the same
 * path rules (`^src/log/`…) apply to it. About 1 s per run; nothing is written.
 */
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const DEPCRUISE = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruiser.mjs");
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");
const FIXTURE = join(ROOT, "test", "fixtures", "layers");

interface Violation {
  type: string;
  from: string;
  to: string;
  unresolvedTo?: string;
  rule: { name: string; severity: string };
  cycle?: { name: string }[];
}

/** depcruise's JSON report of `src` and `workers` under `cwd`: its violations. */
function cruise(cwd: string): Violation[] {
  const args = [DEPCRUISE, "--config", CONFIG, "--output-type", "json", "src", "workers"];
  const run = spawnSync(NODE, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (run.status !== 0 || run.stdout === "") {
    throw new Error(`depcruise failed (${run.status}):\n${run.stderr}`);
  }
  const report = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

/** `rule: from → to`; a package by its import specifier (where it resolves varies by machine). */
function describeViolation(v: Violation): string {
  const to = /(^|\/)node_modules\//.test(v.to) ? (v.unresolvedTo ?? v.to) : v.to;
  const path = v.cycle?.map((c) => c.name);
  const cycle = path !== undefined ? ` (cycle ${[v.from, ...path].join(" → ")})` : "";
  return `${v.rule.name}: ${v.from} → ${to}${cycle}`;
}

describe("the layer check", () => {
  it("reports every deliberate violation of the fixture tree and nothing else", () => {
    expect(cruise(FIXTURE).map(describeViolation).sort()).toEqual(
      [
        "protocol-imports-nothing: src/protocol/types.ts → zod",
        "log-no-package: src/log/engine.ts → hono",
        "log-no-package: src/log/engine.ts → cloudflare:workers",
        "log-layer: src/log/engine.ts → src/api/errors.ts",
        "api-layer: src/api/routes.ts → src/partition/replica.ts",
        "doors-layer: src/doors/upstash/routes.ts → src/doors/kafka/handler.ts",
        "client-layer: src/client/client.ts → src/log/engine.ts",
        "client-contract-type-only: src/client/client.ts → src/contract/fetch.ts",
        // `import { type Topic }` stays a (side-effect) import under verbatimModuleSyntax.
        "client-contract-type-only: src/client/client.ts → src/contract/topics.ts",
        "client-no-cloudflare: src/client/client.ts → cloudflare:workers",
        "no-hono-below-the-doors: src/client/client.ts → hono",
        "src-folder-in-layer-table: src/widgets/widget.ts → src/protocol/types.ts",
        // A folder cycle without a module cycle: partition/replica → coordinator/stub,
        // coordinator/coordinator → partition/replica.
        "no-folder-cycles: src/partition → src/coordinator (cycle src/partition → src/coordinator → src/partition)",
        "no-folder-cycles: src/coordinator → src/partition (cycle src/coordinator → src/partition → src/coordinator)",
      ].sort(),
    );
  });

  it("finds no violation in src/ and workers/", () => {
    const violations = cruise(ROOT).map(describeViolation);
    const message = `layer violations (npm run lint:layers):\n${violations.join("\n")}`;
    expect(violations, message).toEqual([]);
    // One depcruise run over every module (about 4 s on 2 busy cores): past vitest's 5 s default under load.
  }, 30_000);
});
