import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Pure code (src/log, src/protocol) and process-level tests, in plain Node 24.
        // The Durable Streams conformance package ships its own vitest (nested): it is inlined and
        // `vitest` deduped so its tests register with this run (test/e2e/ds-conformance.test.ts).
        resolve: { dedupe: ["vitest"] },
        test: {
          name: "node",
          include: ["test/unit/**/*.test.ts", "test/e2e/**/*.test.ts", "test/sim/**/*.test.ts"],
          environment: "node",
          server: { deps: { inline: ["@durable-streams/server-conformance-tests"] } },
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // A short replica.lag.time.max.ms so ISR shrink happens within a test's time, and
              // short group sessions so a crashed consumer's partitions move within one.
              bindings: { ADMIN_TOKEN: "test-admin-token", REPLICA_LAG_TIME_MAX_MS: "2000", GROUP_MIN_SESSION_TIMEOUT_MS: "100" },
            },
          }),
        ],
        test: { name: "workers", include: ["test/workers/**/*.test.ts"] },
      },
    ],
  },
});
