import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster } from "../../scripts/local-cluster.ts";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";
import { mergeLoads, runLoad, throughput, type LoadResult, type OpOutcome } from "../harness.ts";
import { binaryBodies, binaryProduceOp } from "../bulk.ts";
import { startFloor, writeOp } from "../floor.ts";
import { createTopic, produceBodies } from "../http.ts";

function kids(): Set<number> {
  const out = new Set<number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, "utf8");
      const comm = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")"));
      const ppid = Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) out.add(Number(e));
    } catch {}
  }
  return out;
}
const cpu = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) / 100) * 1000;
};
const selfCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const rounds = Number(process.env.ROUNDS ?? 6), per = Number(process.env.PER ?? 60);
const dir = await mkdtemp(join(tmpdir(), "fc-"));
const k0 = kids();
const floor = await startFloor(join(dir, "floor"));
const floorPid = [...kids()].find((p) => !k0.has(p))!;
const k1 = kids();
const token = randomBytes(8).toString("hex");
const cl = await startLocalCluster({ port: 0, persistDir: join(dir, "fl"), adminToken: token, exitOnSignal: false });
const flPid = [...kids()].find((p) => !k1.has(p))!;
const client = new FlarelogClient({ baseUrl: cl.url, token });
await createTopic(client, "t1", {});
const bodies = binaryBodies(produceBodies(1000, 31, 4));
const variants = (process.env.VARIANTS ?? "base").split(",");
const op = (ab: string) => async (i: number): Promise<OpOutcome> => {
  const body = bodies[i % bodies.length]!;
  const res = await fetch(`${cl.url}/v1/topics/t1/partitions/0/records?acks=1`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.flarelog.record-batch", "x-ablate": ab }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(text);
  return { records: 1000, payloadBytes: 100000, wireBytes: body.length };
};
const sides: [string, number, (i: number) => Promise<OpOutcome>][] = [
  ...variants.map((v): [string, number, (i: number) => Promise<OpOutcome>] => [v, flPid, op(v)]),
  ["floor", floorPid, writeOp(floor.url, "b", bodies, 1000)],
];
for (const [, , op] of sides) await runLoad({ requests: 30, concurrency: 1, timeCapMs: 60000, op });
const acc = new Map<string, { loads: LoadResult[]; cpu: number; gen: number }>();
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...sides].reverse() : sides;
  for (const [name, pid, op] of order) {
    const c0 = cpu(pid), g0 = selfCpu();
    const l = await runLoad({ requests: per, concurrency: 1, timeCapMs: 60000, op });
    const e = acc.get(name) ?? { loads: [], cpu: 0, gen: 0 };
    e.loads.push(l); e.cpu += cpu(pid) - c0; e.gen += selfCpu() - g0; acc.set(name, e);
  }
}
const res: Record<string, { rps: number; p50: number; mean: number; cpuPerReqMs: number; genPerReqMs: number }> = {};
for (const [name, e] of acc) {
  const t = throughput(mergeLoads(e.loads));
  const n = t.records / 1000;
  res[name] = { rps: t.records_per_s, p50: t.latency.p50_ms, mean: Number((1000 / (t.records_per_s / 1000)).toFixed(2)), cpuPerReqMs: Number((e.cpu / n).toFixed(2)), genPerReqMs: Number((e.gen / n).toFixed(2)) };
}
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(24), JSON.stringify(v), "ratio", (v.rps / res.floor!.rps).toFixed(3), "cpu-floor", (v.cpuPerReqMs - res.floor!.cpuPerReqMs).toFixed(2));
await cl.stop(); await floor.stop();
process.exit(0);
