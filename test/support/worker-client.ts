/**
 * A Flarelog client wired to the Worker under test in-process (`exports.default.fetch`), and a
 * unique-name helper so tests never share a topic.
 */
import { exports } from "cloudflare:workers";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";

export const ADMIN_TOKEN = "test-admin-token";

export function workerClient(token = ADMIN_TOKEN): FlarelogClient {
  return new FlarelogClient({
    baseUrl: "http://flarelog.test",
    token,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  });
}

let n = 0;
export function uniqueTopic(prefix = "t"): string {
  n += 1;
  return `${prefix}-${n}-${crypto.randomUUID().slice(0, 8)}`;
}
