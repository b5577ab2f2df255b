/**
 * Issue 19: librdkafka itself (Debian's kcat 1.7.1, librdkafka 2.0.2) speaks to the Kafka codec
 * through a test-only in-memory broker (test/support/kafka-mini-broker.ts) built on
 * src/codec/kafka alone: its ApiVersions v3 is answered with Kafka's v0 UNSUPPORTED_VERSION and
 * it falls back; its Metadata lists our topic; its idempotent produce with each codec it writes
 * (none, gzip, snappy, lz4, zstd) decodes to the exact lines with its producer id; and what it
 * consumes back through our Fetch answer (librdkafka checks the CRC) is the same lines; as a
 * balanced-group consumer it joins, syncs its own assignment (the consumer protocol), fetches,
 * and commits the offset after the last line.
 * Skipped, by name, where kcat is not installed.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { CompressionCodec } from "../../src/codec/kafka/index.ts";
import { startMiniBroker, type MiniBroker } from "../support/kafka-mini-broker.ts";

const KCAT = "/usr/bin/kcat";
const hasKcat = existsSync(KCAT);

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(KCAT, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

let broker: MiniBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

// A kcat run takes well under a second alone; the bound is for a loaded machine.
describe.skipIf(!hasKcat)("librdkafka (kcat) against the Kafka codec", { timeout: 30_000 }, () => {
  it("negotiates: ApiVersions v3 refused with 35, retried lower, then Metadata lists the topic", async () => {
    broker = await startMiniBroker({ orders: 2 });
    const out = await kcat(["-L", "-b", `127.0.0.1:${broker.port}`, "-m", "10"]);
    expect(broker.requests[0]).toBe("18 v3 unsupported_version");
    expect(broker.requests[1]).toMatch(/^18 v[0-2]$/);
    expect(broker.requests.some((r) => /^3 v\d$/.test(r))).toBe(true);
    expect(out).toContain('topic "orders" with 2 partitions');
  });

  const codecs = [["none", CompressionCodec.None], ["gzip", CompressionCodec.Gzip], ["snappy", CompressionCodec.Snappy], ["lz4", CompressionCodec.Lz4], ["zstd", CompressionCodec.Zstd]] as const;
  it.each(codecs)("an idempotent %s produce decodes to its lines, and kcat consumes them back", async (name, codec) => {
    broker = await startMiniBroker({ orders: 1 });
    const lines = Array.from({ length: 50 }, (_, i) => `key-${i}:value ${i} ${"x".repeat(i)}`);
    const bootstrap = `127.0.0.1:${broker.port}`;
    await kcat(["-P", "-b", bootstrap, "-t", "orders", "-p", "0", "-K", ":", "-z", name, "-X", "enable.idempotence=true", "-X", "linger.ms=5"], lines.join("\n") + "\n");
    expect(broker.produced.length).toBeGreaterThan(0);
    for (const batch of broker.produced) expect(batch).toMatchObject({ compression: codec, producerId: 1000, producerEpoch: 0 });
    const stored = broker.logs.get("orders/0")!.map((r) => `${new TextDecoder().decode(r.key!)}:${new TextDecoder().decode(r.value!)}`);
    expect(stored).toEqual(lines);
    const consumed = await kcat(["-C", "-b", bootstrap, "-t", "orders", "-p", "0", "-o", "beginning", "-e", "-f", "%o %k:%s\n"]);
    expect(consumed.trim().split("\n")).toEqual(lines.map((l, i) => `${i} ${l}`));
  });

  it("a group consumer joins, gets its own assignment, reads every line and commits past the last", async () => {
    broker = await startMiniBroker({ orders: 2 });
    const bootstrap = `127.0.0.1:${broker.port}`;
    const lines = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`);
    await kcat(["-P", "-b", bootstrap, "-t", "orders", "-p", "1", "-K", ":"], lines.join("\n") + "\n");
    const out = await kcat(["-b", bootstrap, "-G", "g1", "orders", "-e", "-f", "%p %o %k:%s\n", "-X", "auto.offset.reset=earliest", "-X", "enable.auto.commit=true", "-X", "auto.commit.interval.ms=100"]);
    expect(out.trim().split("\n")).toEqual(lines.map((l, i) => `1 ${i} ${l}`));
    for (const api of ["10", "11", "14", "9", "1"]) expect(broker.requests.some((r) => r.startsWith(`${api} v`))).toBe(true);
    expect(broker.committed.get("g1/orders/1")).toBe(20);
  });

  it("SASL PLAIN: the right key lists metadata, a wrong one is refused with the broker's message", async () => {
    broker = await startMiniBroker({ orders: 1 }, "fl_secret");
    const sasl = (password: string) => ["-L", "-b", `127.0.0.1:${broker!.port}`, "-m", "2", "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=tenant", "-X", `sasl.password=${password}`];
    expect(await kcat(sasl("fl_secret"))).toContain('topic "orders" with 1 partitions');
    expect(broker.requests).toContain("17 v1");
    // librdkafka 2.0.2 sends SaslAuthenticate v0 (it has no use for v1's session lifetime).
    expect(broker.requests.filter((r) => r.startsWith("36 v"))).toEqual(["36 v0"]);
    // librdkafka logs the broker's message and gives up when its metadata wait (2 s) ends.
    await expect(kcat(sasl("wrong"))).rejects.toThrow(/Authentication failed: invalid credentials/);
  });
});
