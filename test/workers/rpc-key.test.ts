/**
 * The RPC entrypoint acts as the API key its binding's props carry: a FlarelogRpc whose props
 * hold a producer key of prefix `orders` produces to `orders`, is refused `audit` (29) and a
 * group (30), sees only `orders` in listings; a revoked key and a malformed one are refused
 * (58); without props it acts as the root on tenant `default`. (The loopback binding
 * `exports.FlarelogRpc({ props })` is how workerd gives an entrypoint the props a service
 * binding's `[services.props]` would.)
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

interface RpcResult { ok: boolean; err?: { error: string }; value?: unknown }
type Rpc = {
  produce(topic: string, records: unknown[], opts?: unknown): Promise<RpcResult>;
  joinGroup(group: string, req: unknown): Promise<RpcResult>;
  listTopics(): Promise<RpcResult & { value?: { meta: { name: string } }[] }>;
};

const rpcAs = (props: Record<string, unknown> | undefined): Rpc =>
  (props === undefined ? exports.FlarelogRpc : (exports.FlarelogRpc as unknown as (o: unknown) => unknown)({ props })) as unknown as Rpc;

async function root(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return exports.default.fetch(new Request(`http://flarelog.test${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
}

describe("the RPC binding's principal", () => {
  it("a binding with a producer key in its props is held to that key's ACLs, and a revoked key is refused", async () => {
    const allowed = uniqueTopic("orders");
    const denied = uniqueTopic("audit");
    for (const name of [allowed, denied]) expect((await root("POST", "/v1/topics", { name })).status).toBe(201);
    const created = (await (await root("POST", "/v1/keys", { name: "rpc", tenant: "default", role: "producer", prefix: "orders" })).json()) as { key: string; key_id: string };
    const rpc = rpcAs({ key: created.key });
    expect((await rpc.produce(allowed, [{ value: "x" }])).ok).toBe(true);
    expect(await rpc.produce(denied, [{ value: "x" }])).toMatchObject({ ok: false, err: { error: "TOPIC_AUTHORIZATION_FAILED" } });
    expect(await rpc.joinGroup("billing", { topics: [allowed] })).toMatchObject({ ok: false, err: { error: "GROUP_AUTHORIZATION_FAILED" } });
    const listed = await rpc.listTopics();
    expect(listed.value!.map((t) => t.meta.name)).not.toContain(denied);
    expect((await root("DELETE", `/v1/keys/${created.key_id}`)).status).toBe(204);
    expect(await rpc.produce(allowed, [{ value: "x" }])).toMatchObject({ ok: false, err: { error: "SASL_AUTHENTICATION_FAILED" } });
    expect(await rpcAs({ key: 42 }).produce(allowed, [{ value: "x" }])).toMatchObject({ ok: false, err: { error: "SASL_AUTHENTICATION_FAILED" } });
  });

  it("a binding without props acts as the root on tenant default", async () => {
    const topic = uniqueTopic("root");
    expect((await root("POST", "/v1/topics", { name: topic })).status).toBe(201);
    expect((await rpcAs(undefined).produce(topic, [{ value: "x" }])).ok).toBe(true);
  });
});
