/**
 * librdkafka-based clients through `flarelog bridge` (src/client/cli/bridge.ts): Debian's kcat
 * 1.7.1 and python3-confluent-kafka (librdkafka 2.0.2), unmodified, speak Kafka over TCP to the
 * bridge, which forwards each connection to the Kafka door's WebSocket of the real server
 * (test/support/server-process.ts); Metadata advertises the bridge, so every connection of the
 * client goes through it.
 *
 * Proven: kcat produces with enable.idempotence=true and the records read over HTTP are the
 * ones sent (keys, values, partitions); records produced over HTTP are read by kcat in a
 * consumer group with keys, values and headers identical, and the group's committed offsets
 * are the server's; confluent-kafka-python does the same round trip. A binary that is absent
 * skips its test with a message naming the package (apt-get install -y kcat
 * python3-confluent-kafka); .ci/run installs both.
 *
 * Waits are bounded (process timeouts); nothing sleeps.
 */
import { execFile, spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { on } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "librdkafka-bridge-admin-token";
const KCAT = spawnSync("kcat", ["-V"]).status === 0;
const PYTHON = "/usr/bin/python3";
const CONFLUENT = spawnSync(PYTHON, ["-c", "import confluent_kafka"]).status === 0;
if (!KCAT) console.warn("librdkafka-bridge: kcat is not installed (apt-get install -y kcat): its tests are skipped");
if (!CONFLUENT) console.warn("librdkafka-bridge: python3-confluent-kafka is not installed (apt-get install -y python3-confluent-kafka): its test is skipped");

let server: Running;
let stateDir: string;
let bridge: ChildProcessByStdio<null, Readable, Readable>;
let bridgeAddress = "";
const run = promisify(execFile);

async function native(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

const sasl = () => ["-b", bridgeAddress, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=default", "-X", `sasl.password=${ADMIN_TOKEN}`];

/** Runs kcat with `input` on stdin; bounded by a timeout. */
function kcat(args: string[], input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", [...sasl(), ...args], { stdio: ["pipe", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-librdkafka-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
  bridge = spawn(process.execPath, [join(ROOT, "src/client/cli/main.ts"), "bridge", "--listen", "127.0.0.1:0", "--url", server.url], { stdio: ["ignore", "pipe", "pipe"] });
  for await (const [chunk] of on(bridge.stdout, "data", { signal: AbortSignal.timeout(20_000) })) {
    const m = /listening on (127\.0\.0\.1:\d+)/.exec(String(chunk));
    if (m) {
      bridgeAddress = m[1]!;
      break;
    }
  }
}, 60_000);

afterAll(async () => {
  bridge?.kill("SIGINT");
  if (server) await stopServer(server).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
});

describe.skipIf(!KCAT)("kcat (librdkafka) through the bridge", () => {
  it("produces with enable.idempotence=true: the records read over HTTP are exactly those sent", async () => {
    expect((await native("POST", "/v1/topics", { name: "kc-in", partitions: 2, replication_factor: 1 })).status).toBe(201);
    const lines = Array.from({ length: 20 }, (_, i) => `key${i}:value${i}`);
    const r = await kcat(["-P", "-t", "kc-in", "-K:", "-X", "enable.idempotence=true"], lines.join("\n") + "\n");
    expect(r.code, r.stderr).toBe(0);
    const read = [];
    for (const p of [0, 1]) read.push(...(await native("GET", `/v1/topics/kc-in/partitions/${p}/records?offset=0`)).json.records);
    expect(read.map((x: { key: string; value: string }) => `${x.key}:${x.value}`).sort()).toEqual([...lines].sort());
    // Idempotent: every partition's leader knows one producer id.
    const producers = await native("GET", "/v1/topics/kc-in/partitions/0/producers");
    const more = await native("GET", "/v1/topics/kc-in/partitions/1/producers");
    expect(new Set([...producers.json.producers, ...more.json.producers].map((p: { producer_id: number }) => p.producer_id)).size).toBe(1);
  }, 90_000);

  it("consumes in a group what HTTP produced, keys, values and headers identical, and commits to the server", async () => {
    expect((await native("POST", "/v1/topics", { name: "kc-out", partitions: 2, replication_factor: 1 })).status).toBe(201);
    const records = Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { h: `x${i}` }, partition: i % 2 }));
    expect((await native("POST", "/v1/topics/kc-out/records", { records })).status).toBe(200);
    const r = await kcat(["-G", "kc-group", "-X", "auto.offset.reset=earliest", "-c", "6", "-f", "%k|%s|%h\\n", "kc-out"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").sort()).toEqual(records.map((x) => `${x.key}|${x.value}|h=${x.headers.h}`).sort());
    const committed = await native("GET", "/v1/groups/kc-group/offsets");
    expect(committed.status).toBe(200);
    expect(committed.json.offsets.map((o: { partition: number; offset: number }) => [o.partition, o.offset]).sort()).toEqual([
      [0, 3],
      [1, 3],
    ]);
  }, 90_000);
});

const PY_ROUND_TRIP = `
import sys
from confluent_kafka import Producer, Consumer
conf = {"bootstrap.servers": sys.argv[1], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
        "sasl.username": "default", "sasl.password": sys.argv[2]}
p = Producer(dict(conf, **{"enable.idempotence": True}))
for i in range(5):
    p.produce("py-topic", key=b"k%d" % i, value=b"v%d" % i, headers=[("h", b"x%d" % i)])
assert p.flush(30) == 0
c = Consumer(dict(conf, **{"group.id": "py-group", "auto.offset.reset": "earliest"}))
c.subscribe(["py-topic"])
got = []
while len(got) < 5:
    m = c.poll(30)
    assert m is not None, "no record within 30 s"
    assert m.error() is None, str(m.error())
    got.append("%s|%s|%s" % (m.key().decode(), m.value().decode(), m.headers()[0][1].decode()))
c.close()
print("\\n".join(sorted(got)))
`;

describe.skipIf(!CONFLUENT)("confluent-kafka-python (librdkafka) through the bridge", () => {
  it("produces idempotently and consumes in a group, records identical", async () => {
    expect((await native("POST", "/v1/topics", { name: "py-topic", partitions: 2, replication_factor: 1 })).status).toBe(201);
    const { stdout } = await run(PYTHON, ["-c", PY_ROUND_TRIP, bridgeAddress, ADMIN_TOKEN], { timeout: 90_000 });
    expect(stdout.trim().split("\n")).toEqual([0, 1, 2, 3, 4].map((i) => `k${i}|v${i}|x${i}`));
  }, 120_000);
});
