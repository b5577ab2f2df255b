/**
 * The Durable Streams conformance suite (`@durable-streams/server-conformance-tests`, its own
 * `runConformanceTests`) against the protocol's Node reference server
 * (`@durable-streams/server`'s DurableStreamTestServer, in memory) on this machine: the count
 * Flarelog's door (test/e2e/ds-conformance.test.ts) is compared with. Not part of `npm test`
 * (outside the projects' include globs); run it with `npm run ds:reference`.
 */
import { DurableStreamTestServer } from "@durable-streams/server";
import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { afterAll, beforeAll } from "vitest";

// A long-poll shorter than the suite's own 20 s test timeout (the default 30 s fails two long-poll tests).
const server = new DurableStreamTestServer({ port: 0, host: "127.0.0.1", longPollTimeout: 5_000 });
const options = { baseUrl: "" };

beforeAll(async () => {
  options.baseUrl = await server.start();
});

afterAll(async () => {
  await server.stop();
});

runConformanceTests(options);
