/**
 * kafkajs 2.2.4's own protocol encoders and decoders, loaded from its sources, as the oracle of
 * the Kafka codec tests: `kafkajsRequest` gives the frame payload kafkajs would send for one
 * API version, `kafkajsResponse` decodes and parses a response payload as kafkajs does.
 * Test-only; CommonJS loaded through createRequire.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const root = "kafkajs/src/protocol";

type Req = { apiKey: number; apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
type RequestFactory = (args: Record<string, unknown>) => Req;
type ResponseModule = {
  decode: (raw: Buffer) => Promise<unknown>;
  parse: (decoded: unknown) => Promise<unknown>;
};

export function kafkajsRequestFactory(api: string, version: number): RequestFactory {
  return require(`${root}/requests/${api}/v${version}/request`) as RequestFactory;
}

/** The payload (no size prefix) kafkajs sends for `api` v`version` with `args`. */
export async function kafkajsRequest(
  api: string,
  version: number,
  args: Record<string, unknown>,
  correlationId = 7,
  clientId = "oracle",
): Promise<Uint8Array> {
  const request = kafkajsRequestFactory(api, version)(args);
  const createRequest = require(`${root}/request`) as (a: unknown) => Promise<{ buffer: Buffer }>;
  const framed = (await createRequest({ correlationId, clientId, request })).buffer;
  return new Uint8Array(framed.subarray(4));
}

/** What kafkajs makes of a response payload (correlation id first, as encodeResponse gives). */
export async function kafkajsResponse(api: string, version: number, payload: Uint8Array): Promise<unknown> {
  const mod = require(`${root}/requests/${api}/v${version}/response`) as ResponseModule;
  const body = Buffer.from(payload.subarray(4));
  return mod.parse(await mod.decode(body));
}

/** kafkajs's decode alone (no parse, so an error code is returned rather than thrown). */
export async function kafkajsDecodeResponse(api: string, version: number, payload: Uint8Array): Promise<unknown> {
  const mod = require(`${root}/requests/${api}/v${version}/response`) as ResponseModule;
  return mod.decode(Buffer.from(payload.subarray(4)));
}

export function kafkajsModule<T>(path: string): T {
  return require(`${root}/${path}`) as T;
}
