/**
 * `npm start`: runs the local Flarelog cluster on http://127.0.0.1:${PORT:-8787} until SIGINT or
 * SIGTERM. Thin CLI over `startLocalCluster` (scripts/local-cluster.ts).
 *
 * Usage: npm start -- [--port <n>] [--verbose]   (`--port=<n>` too; the flag wins over PORT)
 *   --verbose            a compact human access log and replication events (LOG_LEVEL=info
 *                        unless LOG_LEVEL is set); LOG_LEVEL alone prints the JSON lines
 *
 * Environment:
 *   PORT                 listen port (default 8787; 0 = any free port)
 *   ADMIN_TOKEN          root bearer token; else read from .dev.vars; if that is missing or has
 *                        none, a random token is written there and printed once
 *   FLARELOG_STATE_DIR   state root (default .wrangler/state; data in <dir>/v3, kept across runs)
 *   FLARELOG_WRANGLER_CONFIG  another wrangler config (default ./wrangler.toml); the chaos run's
 *                        chaos/wrangler.toml bundles its fault-injecting entry instead
 *   TOPICS, REPLICA_LAG_TIME_MAX_MS, PRODUCER_ID_EXPIRATION_MS, TRANSACTIONAL_ID_EXPIRATION_MS,
 *   GROUP_MIN_SESSION_TIMEOUT_MS, REPLICA_LOCATION_HINTS, LOG_LEVEL, REPLICA_PUSH_DELAY_MS (chaos builds only),
 *   SSE_MAX_LIFETIME_MS, SSE_HEARTBEAT_MS
 *                        the broker's vars (src/config/broker-config.ts), over .dev.vars; a bad
 *                        value stops the start with the var's name
 *
 * Prints exactly one `Flarelog listening on <url>` line to stdout once requests are accepted;
 * tests and scripts wait for it. SIGINT/SIGTERM/SIGHUP dispose workerd gracefully, then exit 0. Runs under Node's type stripping: erasable TypeScript only.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BROKER_VAR_NAMES } from "../src/config/broker-config.ts";
import { humanLogLine, type WorkerLogLine } from "./access-log.ts";
import { AddressInUseError, DEFAULT_PERSIST_DIR, PROJECT_ROOT, startLocalCluster, type LocalCluster } from "./local-cluster.ts";

const DEV_VARS = join(PROJECT_ROOT, ".dev.vars");

function fatal(message: string): never {
  process.stderr.write(`flarelog: ${message}\n`);
  process.exit(1);
}

const USAGE = "usage: npm start -- [--port <n>] [--verbose]   (or PORT=<n> npm start; 0 = any free port)";

/** `--port <n>` / `--port=<n>` from the command line, else PORT, else 8787. */
function parsePort(argv: string[], env: string | undefined): number {
  let flag: string | undefined;
  try {
    flag = parseArgs({ args: argv, options: { port: { type: "string" }, verbose: { type: "boolean" } }, strict: true }).values.port;
  } catch (e) {
    fatal(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  const [what, raw] = flag !== undefined ? ["--port", flag] : ["PORT", env];
  if (raw === undefined || raw === "") return 8787;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) fatal(`${what} must be an integer 0..65535, got "${raw}"\n${USAGE}`);
  return port;
}

/** Why start-up failed, with advice that works for `npm start`. */
function startFailure(e: unknown): string {
  if (e instanceof AddressInUseError)
    return (
      `${e.message} (another server, or another npm start?). Choose another port: ` +
      `npm start -- --port <n>, or PORT=<n> npm start (0 = any free port)`
    );
  return `could not start: ${e instanceof Error ? e.message : String(e)}`;
}

/** Reads ADMIN_TOKEN from a dotenv-style .dev.vars (KEY=value, optional quotes, # comments). */
function tokenFromDevVars(text: string): string | undefined {
  let token: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?ADMIN_TOKEN\s*=\s*(.*?)\s*$/.exec(line);
    if (m === null) continue;
    const raw = m[1]!;
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    token = quoted !== null ? quoted[2] : raw.replace(/\s+#.*$/, "");
  }
  return token === "" ? undefined : token;
}

/** The environment's token, else .dev.vars', else a new one saved to .dev.vars and printed once. */
function resolveAdminToken(): string {
  const fromEnv = process.env.ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const existing = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
  const fromFile = tokenFromDevVars(existing);
  if (fromFile !== undefined) return fromFile;
  const token = randomBytes(32).toString("hex");
  const kept = existing
    .split(/\r?\n/)
    .filter((line) => !/^\s*(?:export\s+)?ADMIN_TOKEN\s*=/.test(line))
    .join("\n")
    .trimEnd();
  writeFileSync(DEV_VARS, `${kept === "" ? "" : `${kept}\n`}ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  process.stdout.write(`Created ADMIN_TOKEN in ${DEV_VARS} (shown once): ${token}\n`);
  return token;
}

const port = parsePort(process.argv.slice(2), process.env.PORT);
const adminToken = resolveAdminToken();
const persistDir = resolve(process.env.FLARELOG_STATE_DIR || DEFAULT_PERSIST_DIR);
const vars: Record<string, string> = Object.fromEntries(
  BROKER_VAR_NAMES.filter((name) => name !== "ADMIN_TOKEN" && process.env[name] !== undefined).map((name) => [name, process.env[name]!]),
);

const verbose = process.argv.slice(2).includes("--verbose");
if (verbose) vars.LOG_LEVEL ??= "info";
const workerLog = verbose
  ? (line: WorkerLogLine) => (line.level === "error" || line.level === "warn" ? process.stderr : process.stdout).write(`${humanLogLine(line)}\n`)
  : undefined;

// Handlers go in first: a signal during start-up must still dispose workerd, or it is orphaned.
const configPath = process.env.FLARELOG_WRANGLER_CONFIG || undefined;
const starting: Promise<LocalCluster> = startLocalCluster({
  port, persistDir, adminToken, vars, exitOnSignal: false, ...(workerLog ? { workerLog } : {}), ...(configPath ? { configPath } : {}),
});
let stopping = false;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    process.stderr.write(`flarelog: ${signal} again, exiting without cleanup\n`);
    process.exit(1);
  }
  stopping = true;
  try {
    await (await starting).stop();
  } catch (e) {
    fatal(`error while stopping: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, (s) => void shutdown(s));

try {
  const cluster = await starting;
  if (!stopping) process.stdout.write(`Flarelog listening on ${cluster.url}\n`);
} catch (e) {
  fatal(startFailure(e));
}
