/**
 * Issue 15, the `flarelog` CLI end to end: the CLI as a process (`node src/client/cli/main.ts`,
 * the package's bin before building) against the real server started as `npm start` does
 * (test/support/server-process.ts). Topics, produce (lines, -K, JSON records, headers, partition,
 * acks, idempotent), consume (beginning/end/offset/-n/timestamp, -c, -e, -f format, follow, -g),
 * groups (list, describe, reset-offsets dry run and --execute), tenants and API keys (create with
 * a role or ACL entries, list without secrets, rotate, revoke; quotas; the key's ACLs enforced on
 * what the CLI does with it), `--json` on every command, the
 * profile file and env vars, the progress line on a TTY only (a pty from util-linux `script`),
 * Ctrl-C, and the acceptance: 100,000 lines through produce then consume come back
 * identical and in order; bad input is one line on stderr and a documented non-zero exit.
 * Every wait is bounded (process timeouts, AbortSignal.timeout); nothing sleeps.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, stopServer, type Running } from "../support/server-process.ts";

const TOKEN = "cli-test-token";
const MAIN = join(ROOT, "src", "client", "cli", "main.ts");
const RUN_TIMEOUT_MS = 60_000;

let server: Running;
let stateDir: string;
let scratch: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `input` on stdin (closed after it), env FLARELOG_URL/TOKEN unless `env` replaces them. */
async function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  const env = opts.env ?? { FLARELOG_URL: server.url, FLARELOG_TOKEN: TOKEN };
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: scratch, ...env },
    stdio: ["pipe", "pipe", "pipe"],
    timeout: RUN_TIMEOUT_MS,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  child.stdin.end(opts.input ?? "");
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

const ok = (r: Ran) => {
  expect(r.stderr.split("\n").filter((l) => l.startsWith("flarelog:")), r.stderr).toEqual([]);
  expect(r.code, r.stderr).toBe(0);
  return r;
};

/** stderr is exactly one line `flarelog: …` matching `pattern`, and the exit code is `code`. */
function failsWith(r: Ran, code: number, pattern: RegExp): void {
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toEqual([expect.stringMatching(pattern)]);
  expect(r.stderr).toMatch(/^flarelog: /);
  expect(r.code).toBe(code);
  expect(r.stdout).toBe("");
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "flarelog-cli-state-"));
  scratch = mkdtempSync(join(tmpdir(), "flarelog-cli-"));
  server = await startServer(stateDir, TOKEN);
}, 60_000);

afterAll(async () => {
  if (server) await stopServer(server);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe("flarelog topics", () => {
  it("create, list, describe, alter and delete answer the API's JSON with --json and tables otherwise", async () => {
    const created = JSON.parse(ok(await cli(["topics", "create", "admin-t", "-p", "2", "-c", "retention.ms=60000", "--json"])).stdout);
    expect(created).toMatchObject({ name: "admin-t", replication_factor: 1, configs: { "retention.ms": "60000" } });
    expect(created.partitions).toHaveLength(2);
    const table = ok(await cli(["topics", "list"])).stdout;
    expect(table.split("\n")[0]).toMatch(/^TOPIC\s+PARTITIONS\s+RF$/);
    expect(table).toMatch(/^admin-t\s+2\s+1$/m);
    expect(JSON.parse(ok(await cli(["topics", "list", "--json"])).stdout).topics.map((t: { name: string }) => t.name)).toContain("admin-t");
    expect(ok(await cli(["topics", "describe", "admin-t"])).stdout).toMatch(/^Topic: admin-t .*PartitionCount: 2 .*retention\.ms=60000/);
    const altered = JSON.parse(ok(await cli(["topics", "alter", "admin-t", "-p", "3", "--json"])).stdout);
    expect(altered.partitions).toHaveLength(3);
    expect(JSON.parse(ok(await cli(["topics", "delete", "admin-t", "--json"])).stdout)).toEqual({ deleted: "admin-t" });
    failsWith(await cli(["topics", "describe", "admin-t"]), 1, /^flarelog: error UNKNOWN_TOPIC_OR_PARTITION \(3\): /);
  }, RUN_TIMEOUT_MS);
});

describe("flarelog produce | consume", () => {
  it("100,000 piped lines come back identical and in order, produced idempotently", async () => {
    ok(await cli(["topics", "create", "lines", "-p", "1"]));
    const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    const input = `${lines.join("\n")}\n`;
    const produced = JSON.parse(ok(await cli(["produce", "lines", "--json"], { input })).stdout);
    expect(produced).toMatchObject({ topic: "lines", records: 100_000, idempotent: true, interrupted: false, partitions: { "0": { first_offset: 0, last_offset: 99_999 } } });
    const consumed = ok(await cli(["consume", "lines", "-e"]));
    expect(consumed.stdout).toBe(input);
  }, RUN_TIMEOUT_MS * 2);

  it("-K splits keys, -H adds headers, -p picks the partition, JSON records carry their own fields, and -f formats as kcat", async () => {
    ok(await cli(["topics", "create", "shaped", "-p", "3"]));
    ok(await cli(["produce", "shaped", "-K", ":", "-H", "src=cli", "-p", "1", "-a", "1"], { input: "k1:v1\nk2:v:2\n" }));
    const json = '{"key":"j","value":{"n":1},"headers":{"h":"x"},"partition":2,"timestamp":1000}\n{"value":"no key","partition":2}\n';
    ok(await cli(["produce", "shaped", "-J"], { input: json }));
    const out = ok(await cli(["consume", "shaped", "-e", "-f", "%t %p %o %k %s %h|%T\\n"])).stdout.split("\n");
    expect(out.slice(0, 2)).toEqual(["shaped 1 0 k1 v1 src=cli|" + out[0]!.split("|")[1], "shaped 1 1 k2 v:2 src=cli|" + out[1]!.split("|")[1]]);
    expect(out.slice(2)).toEqual(['shaped 2 0 j {"n":1} h=x|1000', expect.stringMatching(/^shaped 2 1  no key \|\d+$/), ""]);
    const records = ok(await cli(["consume", "shaped", "-e", "-p", "2", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(records[0]).toEqual({ topic: "shaped", partition: 2, offset: 0, timestamp: 1000, key: "j", value: '{"n":1}', headers: { h: "x" } });
    expect(ok(await cli(["consume", "shaped", "-e", "-p", "1", "-K", "="])).stdout).toBe("k1=v1\nk2=v:2\n");
  }, RUN_TIMEOUT_MS);

  it("consume starts at beginning, end, an offset, n before the end or a time, and -c stops after n records", async () => {
    ok(await cli(["topics", "create", "starts", "-p", "1"]));
    ok(await cli(["produce", "starts", "-J"], { input: [0, 1, 2, 3, 4].map((i) => JSON.stringify({ value: `r${i}`, timestamp: 1000 * (i + 1) })).join("\n") }));
    const read = async (...args: string[]) => ok(await cli(["consume", "starts", "-e", ...args])).stdout;
    expect(await read()).toBe("r0\nr1\nr2\nr3\nr4\n");
    expect(await read("-o", "beginning", "-c", "2")).toBe("r0\nr1\n");
    expect(await read("-o", "3")).toBe("r3\nr4\n");
    expect(await read("-o", "-2")).toBe("r3\nr4\n");
    expect(await read("-o", "s@2500")).toBe("r2\nr3\nr4\n");
    expect(await read("-o", "end")).toBe("");
  }, RUN_TIMEOUT_MS);

  it("-g reads as a group member and commits what it printed; groups list, describe and reset-offsets (dry run unless --execute)", async () => {
    ok(await cli(["topics", "create", "grouped", "-p", "2"]));
    ok(await cli(["produce", "grouped", "-K", ":"], { input: "a:1\nb:2\nc:3\nd:4\n" }));
    const first = ok(await cli(["consume", "grouped", "-g", "cli-g", "-e", "-f", "%k=%s\\n"])).stdout.trim().split("\n").sort();
    expect(first).toEqual(["a=1", "b=2", "c=3", "d=4"]);
    expect(ok(await cli(["consume", "grouped", "-g", "cli-g", "-e"])).stdout).toBe("");
    expect(ok(await cli(["groups", "list"])).stdout).toMatch(/^cli-g\s+Empty\s+0$/m);
    const described = JSON.parse(ok(await cli(["groups", "describe", "cli-g", "--json"])).stdout);
    expect(described.offsets.reduce((s: number, o: { offset: number; lag: number }) => s + o.offset + o.lag, 0)).toBe(4);
    expect(described.offsets.every((o: { lag: number }) => o.lag === 0)).toBe(true);
    expect(ok(await cli(["groups", "describe", "cli-g"])).stdout).toMatch(/^TOPIC\s+PARTITION\s+COMMITTED-OFFSET\s+LAG\s+MEMBER$/m);
    const plan = ok(await cli(["groups", "reset-offsets", "cli-g", "-t", "grouped", "--to-earliest"])).stdout;
    expect(plan).toMatch(/dry run: nothing changed/);
    expect(ok(await cli(["consume", "grouped", "-g", "cli-g", "-e"])).stdout).toBe("");
    const done = JSON.parse(ok(await cli(["groups", "reset-offsets", "cli-g", "-t", "grouped", "--to-earliest", "--execute", "--json"])).stdout);
    expect(done).toMatchObject({ dry_run: false });
    expect(done.offsets.every((o: { offset: number }) => o.offset === 0)).toBe(true);
    expect(ok(await cli(["consume", "grouped", "-g", "cli-g", "-e"])).stdout.trim().split("\n").sort()).toEqual(["1", "2", "3", "4"]);
  }, RUN_TIMEOUT_MS);
});

/** Spawns the CLI; `waitFor` resolves when its stdout (or stderr) matches, bounded by the run timeout. */
function spawnCli(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: scratch, FLARELOG_URL: server.url, FLARELOG_TOKEN: TOKEN },
    stdio: ["pipe", "pipe", "pipe"],
    timeout: RUN_TIMEOUT_MS,
  });
  const text = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (s: string) => (text.stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (text.stderr += s));
  const waitFor = (stream: "stdout" | "stderr", pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => pattern.test(text[stream]) && resolve();
      check();
      child[stream].on("data", check);
      child.once("exit", () => reject(new Error(`exited before ${pattern}: ${text.stderr}`)));
      AbortSignal.timeout(RUN_TIMEOUT_MS).addEventListener("abort", () => reject(new Error(`no ${pattern} in time: ${text[stream]}`)));
    });
  return { child, text, waitFor };
}

describe("following and Ctrl-C", () => {
  it("consume without -e follows: a record produced after it reached the end is printed; Ctrl-C exits 130", async () => {
    ok(await cli(["topics", "create", "followed", "-p", "1"]));
    ok(await cli(["produce", "followed"], { input: "first\n" }));
    const follower = spawnCli(["consume", "followed"]);
    // Once it printed "first" it has read to the end, so "later" can only reach it by following.
    await follower.waitFor("stdout", /^first\n$/);
    ok(await cli(["produce", "followed"], { input: "later\n" }));
    await follower.waitFor("stdout", /^first\nlater\n$/);
    const exited = once(follower.child, "exit");
    follower.child.kill("SIGINT");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(130);
    expect(follower.text.stdout).toBe("first\nlater\n");
  }, RUN_TIMEOUT_MS);

  it("Ctrl-C during produce stops after the in-flight sends: what the summary acknowledged is exactly the log, a prefix of the input in order", async () => {
    ok(await cli(["topics", "create", "stopped", "-p", "1"]));
    const producer = spawnCli(["produce", "stopped", "--json"]);
    const lines = Array.from({ length: 5_000 }, (_, i) => `s${i}`);
    producer.child.stdin.write(`${lines.join("\n")}\n`);
    // Wait until the log holds records (so sends were in flight), then interrupt with stdin still open.
    for (;;) {
      const r = JSON.parse(ok(await cli(["topics", "describe", "stopped", "--json"])).stdout);
      if (r.partitions[0].high_watermark > 0) break;
    }
    const exited = once(producer.child, "exit");
    producer.child.kill("SIGINT");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(130);
    const summary = JSON.parse(producer.text.stdout);
    expect(summary.interrupted).toBe(true);
    const log = ok(await cli(["consume", "stopped", "-e"])).stdout;
    expect(log).toBe(lines.slice(0, summary.records).map((l) => `${l}\n`).join(""));
  }, RUN_TIMEOUT_MS);
});

describe("progress, profiles and bad input", () => {
  it("the progress line (records, MB/s, ETA for a file) is drawn on a TTY only", async () => {
    ok(await cli(["topics", "create", "progress", "-p", "1"]));
    const file = join(scratch, "lines.txt");
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => `p${i}`).join("\n"));
    const piped = ok(await cli(["produce", "progress", file]));
    expect(piped.stderr).not.toMatch(/MB\/s/);
    const command = [process.execPath, MAIN, "produce", "progress", file].map((a) => `'${a}'`).join(" ");
    const tty = spawnSync("script", ["-qec", command, "/dev/null"], {
      env: { PATH: process.env.PATH ?? "", HOME: scratch, FLARELOG_URL: server.url, FLARELOG_TOKEN: TOKEN },
      encoding: "utf8",
      timeout: RUN_TIMEOUT_MS,
    });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/\r20,000 records {2}[\d.]+ MB\/s {2}100% {2}ETA 0 s/);
  }, RUN_TIMEOUT_MS);

  it("the profile file gives the url and token; env vars override it; flags override both; a missing profile is a usage error", async () => {
    const config = join(scratch, "config.json");
    writeFileSync(config, JSON.stringify({ profiles: { default: { url: server.url, token: TOKEN }, broken: { url: "http://127.0.0.1:1", token: "x" } } }));
    const base = { PATH: process.env.PATH ?? "", FLARELOG_CONFIG: config };
    expect(ok(await cli(["topics", "list", "--json"], { env: base })).stdout).toMatch(/^\{"topics":/);
    failsWith(await cli(["topics", "list", "--profile", "broken"], { env: base }), 3, /^flarelog: cannot reach http:\/\/127\.0\.0\.1:1: /);
    ok(await cli(["topics", "list", "--profile", "broken", "--url", server.url, "--token", TOKEN], { env: base }));
    failsWith(await cli(["topics", "list"], { env: { ...base, FLARELOG_TOKEN: "wrong" } }), 1, /^flarelog: error .*\(\d+\): /);
    failsWith(await cli(["topics", "list", "--profile", "nope"], { env: base }), 2, /^flarelog: no profile "nope" in /);
  }, RUN_TIMEOUT_MS);

  it("unknown topic, bad key, bad flag and bad values print one line and exit 1, 4 or 2; a bad line stops the run with the lines before it produced", async () => {
    failsWith(await cli(["produce", "no-such-topic"], { input: "x\n" }), 1, /^flarelog: error UNKNOWN_TOPIC_OR_PARTITION \(3\): /);
    failsWith(await cli(["consume", "no-such-topic", "-e"]), 1, /^flarelog: error UNKNOWN_TOPIC_OR_PARTITION \(3\): /);
    ok(await cli(["topics", "create", "strict", "-p", "1"]));
    failsWith(await cli(["produce", "strict", "-J"], { input: '{"key":5,"value":"v"}\n' }), 4, /^flarelog: line 1: key must be a string or null, got 5; /);
    failsWith(await cli(["produce", "strict", "-J"], { input: "not json\n" }), 4, /^flarelog: line 1: not a JSON record: /);
    failsWith(await cli(["consume", "strict", "--bogus"]), 2, /^flarelog: unknown flag --bogus for 'consume'/);
    failsWith(await cli(["consume", "strict", "-o", "yesterday"]), 2, /^flarelog: -o takes beginning, end/);
    failsWith(await cli(["produce", "strict", "-a", "2"]), 2, /^flarelog: --acks must be 0, 1 or all, got "2"/);
    failsWith(await cli(["produce", "strict", "-p", "7"]), 1, /^flarelog: error UNKNOWN_TOPIC_OR_PARTITION \(3\): topic strict has partitions 0 to 0, not 7/);
    failsWith(await cli(["consume", "strict", "-e", "-f", "%q"]), 2, /^flarelog: unknown format token %q/);
    failsWith(await cli(["produce", "strict", join(scratch, "no-such-file")]), 2, /^flarelog: cannot read .*no-such-file: ENOENT/);
    failsWith(await cli(["frobnicate"]), 2, /^flarelog: unknown command "frobnicate"/);
    failsWith(await cli(["keys", "frob"]), 2, /^flarelog: 'keys' needs one of: list, create, revoke, rotate \(got "frob"\)$/);
    const bad = await cli(["produce", "strict", "-K", ":"], { input: "a:1\nb:2\nno separator\nc:3\n" });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/^flarelog: line 3: no key separator ":" in "no separator"; the 2 records before it were produced, nothing from it on\n$/);
    expect(ok(await cli(["consume", "strict", "-e", "-f", "%k %s\\n"])).stdout).toBe("a 1\nb 2\n");
  }, RUN_TIMEOUT_MS);
});

describe("flarelog tenants and keys", () => {
  /** The CLI's environment acting as `key`. */
  const as = (key: string) => ({ FLARELOG_URL: server.url, FLARELOG_TOKEN: key });
  const created = (r: Ran) => ({ id: /\(id ([0-9a-f]{16})\)/.exec(r.stdout)![1]!, key: /^flk_\S+$/m.exec(r.stdout)![0] });

  it("a producer key for orders. made by root produces to orders.x and is refused audit (exit 1); list shows no secret; rotate gives a second valid key; revoke ends the old one", async () => {
    expect(JSON.parse(ok(await cli(["tenants", "create", "acme", "--json"])).stdout)).toMatchObject({ name: "acme" });
    expect(ok(await cli(["tenants", "list"])).stdout).toMatch(/^acme\s+\d{4}-\d\d-\d\dT/m);
    // The root token acts on tenant default: acme's topics are made by a key of acme.
    const admin = JSON.parse(ok(await cli(["keys", "create", "--name", "acme-admin", "--tenant", "acme", "--role", "admin", "--json"])).stdout);
    ok(await cli(["topics", "create", "orders.x", "-p", "1"], { env: as(admin.key) }));
    ok(await cli(["topics", "create", "audit", "-p", "1"], { env: as(admin.key) }));

    const made = ok(await cli(["keys", "create", "--name", "orders-writer", "--tenant", "acme", "--role", "producer", "--prefix", "orders."]));
    expect(made.stdout).toMatch(/^ {2}topic:prefixed:orders\.:write:allow$/m);
    const old = created(made);
    const listed = ok(await cli(["keys", "list"])).stdout;
    expect(listed.split("\n")[0]).toMatch(/^KEY-ID\s+NAME\s+TENANT\s+LAST-USED\s+ACLS$/);
    expect(listed).toMatch(new RegExp(`^${old.id}\\s+orders-writer\\s+acme\\s+-\\s+topic:prefixed:orders\\.:write:allow,`, "m"));
    const secret = old.key.split("_").at(-1)!;
    expect(listed).not.toContain(secret);
    expect(ok(await cli(["keys", "list", "--json"])).stdout).not.toContain(secret);

    ok(await cli(["produce", "orders.x"], { input: "o1\n", env: as(old.key) }));
    failsWith(await cli(["produce", "audit"], { input: "a1\n", env: as(old.key) }), 1, /^flarelog: error TOPIC_AUTHORIZATION_FAILED \(29\): /);

    const rotated = JSON.parse(ok(await cli(["keys", "rotate", old.id, "--json"])).stdout);
    expect(rotated).toMatchObject({ name: "orders-writer", tenant: "acme", replaces: old.id, old_key_revoked: false });
    expect(rotated.key_id).not.toBe(old.id);
    const oldAcls = JSON.parse(ok(await cli(["keys", "list", "--json"])).stdout).keys.find((k: { key_id: string }) => k.key_id === old.id).acls;
    expect(rotated.acls).toEqual(oldAcls);
    ok(await cli(["produce", "orders.x"], { input: "o2\n", env: as(old.key) }));
    ok(await cli(["produce", "orders.x"], { input: "o3\n", env: as(rotated.key) }));
    failsWith(await cli(["produce", "audit"], { input: "a2\n", env: as(rotated.key) }), 1, /^flarelog: error TOPIC_AUTHORIZATION_FAILED \(29\): /);

    expect(ok(await cli(["keys", "revoke", old.id])).stdout).toBe(`Revoked key ${old.id}\n`);
    failsWith(await cli(["produce", "orders.x"], { input: "o4\n", env: as(old.key) }), 1, /^flarelog: error SASL_AUTHENTICATION_FAILED \(58\): /);
    ok(await cli(["produce", "orders.x"], { input: "o5\n", env: as(rotated.key) }));

    const again = ok(await cli(["keys", "rotate", rotated.key_id, "--revoke-old"]));
    expect(again.stdout).toMatch(new RegExp(`^Revoked the old key ${rotated.key_id}\\.$`, "m"));
    failsWith(await cli(["produce", "orders.x"], { input: "o6\n", env: as(rotated.key) }), 1, /^flarelog: error SASL_AUTHENTICATION_FAILED \(58\): /);
    ok(await cli(["produce", "orders.x"], { input: "o7\n", env: as(created(again).key) }));
    expect(ok(await cli(["consume", "orders.x", "-e"], { env: as(admin.key) })).stdout).toBe("o1\no2\no3\no5\no7\n");
    failsWith(await cli(["keys", "revoke", old.id]), 1, /^flarelog: error RESOURCE_NOT_FOUND \(91\): /);
  }, RUN_TIMEOUT_MS);

  it("tenants quotas set and get; ACL entries round-trip; delete is refused while topics exist unless --force; a key is refused tenant admin; bad input is one line and exit 2", async () => {
    ok(await cli(["tenants", "create", "beta"]));
    expect(ok(await cli(["tenants", "quotas", "beta"])).stdout).toMatch(/^topics\s+default$/m);
    const set = JSON.parse(ok(await cli(["tenants", "quotas", "beta", "--set", "topics=3", "--set", "produce_bytes_per_s=1048576", "--json"])).stdout);
    expect(set).toEqual({ topics: 3, produce_bytes_per_s: 1048576 });
    const table = ok(await cli(["tenants", "quotas", "beta", "--set", "produce_bytes_per_s=default"])).stdout;
    expect(table).toMatch(/^produce_bytes_per_s\s+default$/m);
    expect(table).toMatch(/^topics\s+3$/m);
    expect(JSON.parse(ok(await cli(["tenants", "quotas", "beta", "--json"])).stdout)).toEqual({ topics: 3 });

    const acls = ["topic:literal:audit:read:allow", "group:prefixed::read:allow", "topic:literal:audit:write:deny"];
    const reader = JSON.parse(ok(await cli(["keys", "create", "--name", "reader", "--tenant", "beta", ...acls.flatMap((a) => ["--acl", a]), "--quota", "requests_per_s=50", "--json"])).stdout);
    expect(reader.acls).toEqual([
      { resource_type: "topic", pattern_type: "literal", name: "audit", operation: "read", permission: "allow" },
      { resource_type: "group", pattern_type: "prefixed", name: "", operation: "read", permission: "allow" },
      { resource_type: "topic", pattern_type: "literal", name: "audit", operation: "write", permission: "deny" },
    ]);
    const listed = JSON.parse(ok(await cli(["keys", "list", "--json"])).stdout).keys.find((k: { key_id: string }) => k.key_id === reader.key_id);
    expect(listed).toMatchObject({ name: "reader", tenant: "beta", quotas: { requests_per_s: 50 } });
    failsWith(await cli(["tenants", "list"], { env: as(reader.key) }), 1, /^flarelog: error CLUSTER_AUTHORIZATION_FAILED \(31\): /);

    const admin = JSON.parse(ok(await cli(["keys", "create", "--name", "beta-admin", "--tenant", "beta", "--role", "admin", "--json"])).stdout);
    ok(await cli(["topics", "create", "kept"], { env: as(admin.key) }));
    failsWith(await cli(["tenants", "delete", "beta"]), 1, /^flarelog: error POLICY_VIOLATION \(44\): /);
    expect(ok(await cli(["tenants", "describe", "beta"])).stdout).toMatch(/^beta\s+\d{4}-/m);
    expect(JSON.parse(ok(await cli(["tenants", "delete", "beta", "--force", "--json"])).stdout)).toEqual({ deleted: "beta" });
    failsWith(await cli(["tenants", "describe", "beta"]), 1, /^flarelog: error RESOURCE_NOT_FOUND \(91\): /);
    failsWith(await cli(["topics", "list"], { env: as(admin.key) }), 1, /^flarelog: error SASL_AUTHENTICATION_FAILED \(58\): /);

    const bad = (args: string[], pattern: RegExp) => cli(["keys", "create", "--name", "k", "--tenant", "acme", ...args]).then((r) => failsWith(r, 2, pattern));
    await bad(["--role", "owner"], /^flarelog: --role must be one of admin, producer, consumer, got "owner"$/);
    await bad(["--acl", "topic:orders:write"], /^flarelog: --acl takes resource:pattern:name:operation:permission .*got "topic:orders:write"$/);
    await bad(["--acl", "topic:literal:x:scribble:allow"], /^flarelog: --acl "topic:literal:x:scribble:allow": operation must be one of read, /);
    await bad(["--role", "producer", "--acl", "topic:literal:x:read:allow"], /^flarelog: 'keys create' needs exactly one of --role and --acl$/);
    await bad([], /^flarelog: 'keys create' needs exactly one of --role and --acl$/);
    await bad(["--acl", "topic:literal:x:read:allow", "--prefix", "x"], /^flarelog: --prefix goes with --role$/);
    failsWith(await cli(["tenants", "quotas", "acme", "--set", "bytes=1"]), 2, /^flarelog: --set takes quota=value with quota one of /);
    failsWith(await cli(["tenants", "quotas", "acme", "--set", "topics=-1"]), 2, /^flarelog: --set topics must be an integer ≥ 0 or "default", got "-1"$/);
    failsWith(await cli(["keys", "rotate"]), 2, /^flarelog: 'keys rotate' needs a key id$/);
    failsWith(await cli(["keys", "rotate", "0123456789abcdef"]), 1, /^flarelog: no key "0123456789abcdef" among the keys this token can see/);
  }, RUN_TIMEOUT_MS);
});
