/**
 * `npm run ds:reference`: the Durable Streams conformance suite against the protocol's Node
 * reference server (test/reference/ds-reference.test.ts). Kept out of `npm test`.
 * The suite's package ships its own vitest 4 (nested); it is inlined and `vitest` deduped so its
 * `describe`/`test` register with this run's vitest (as in vitest.config.ts's node project).
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { dedupe: ["vitest"] },
  test: {
    name: "ds-reference",
    include: ["test/reference/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    server: { deps: { inline: ["@durable-streams/server-conformance-tests"] } },
  },
});
