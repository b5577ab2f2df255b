/**
 * Starts the whole Flarelog cluster locally on workerd, with no dev proxy in front: the broker
 * Worker is bundled by wrangler itself (`wrangler deploy --dry-run --outdir`, the production
 * bundle: TypeScript, `.sql` Text modules from the [[rules]], nodejs_compat), its bindings come
 * from wrangler.toml through `unstable_getMiniflareWorkerOptions`, and Miniflare serves it
 * directly on the requested port.
 *
 * Invariants: Durable Object state lives under `<persistDir>/v3`, the same layout `wrangler
 * dev` uses for `.wrangler/state`, so it survives restarts and either tool can read it;
 * ADMIN_TOKEN is always the caller's value (it overrides `.dev.vars`). One cluster per persist
 * directory at a time. Used by `scripts/start.ts` (npm start), the benchmarks and e2e tests.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, matchesGlob, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  convertV4MiniflareOptions,
  Log,
  LogLevel,
  Miniflare,
  MiniflareCoreError,
  type Json,
  type V4MiniflareOptions,
  type V4ModuleDefinition,
  type V4ModuleRule,
  type V4WorkerOptions,
} from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { brokerConfig } from "../src/config/broker-config.ts";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_PERSIST_DIR = join(PROJECT_ROOT, ".wrangler", "state");

export interface LocalClusterOptions {
  /** TCP port; 0 picks a free one (read it from `url`). */
  port: number;
  /** State root, e.g. `.wrangler/state`; data goes to `<persistDir>/v3` as with `wrangler dev`. */
  persistDir: string;
  adminToken: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Extra or overriding [vars], e.g. `{ TOPICS: "orders:3" }`. */
  vars?: Record<string, string>;
  /** Default `<project>/wrangler.toml`. */
  configPath?: string;
  /** Sink for Miniflare's warnings and errors; default stderr. The Worker's own console output goes to stdout. */
  log?: (line: string) => void;
  /**
   * Keep Miniflare's own SIGINT/SIGTERM/SIGHUP hook, which kills workerd without waiting and
   * exits the process at once with 130/143/129 (default true). Pass false when the caller
   * handles those signals itself and calls `stop()`, as `npm start` does.
   */
  exitOnSignal?: boolean;
  /** Receives each line the Worker prints (default: stdout, warnings and errors to stderr); `npm start --verbose` formats them. */
  workerLog?: (line: { timestamp: number; level: string; message: string }) => void;
  /** Opens workerd's V8 inspector (Chrome DevTools protocol) on this port of 127.0.0.1, e.g. for `npm run bench -- --only profile`. */
  inspectorPort?: number;
  /**
   * More Workers in the same workerd, after the broker (which keeps the port), e.g. one bound to
   * the broker's RPC entrypoint: `serviceBindings: { FLARELOG: { name: "flarelog", entrypoint: "FlarelogRpc" } }`
   * (test/support/rpc-caller.ts). Reach them with `LocalCluster.worker(name)`.
   */
  workers?: V4WorkerOptions[];
}

export interface LocalCluster {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** The bundled entry module workerd runs (its source map is beside it, `<entry>.map`); removed by stop(). */
  bundle: string;
  /** A Worker of `options.workers` by name, to call its fetch handler from Node. */
  worker(name: string): ReturnType<Miniflare["getWorker"]>;
  /** Disposes workerd and the bundle; idempotent. */
  stop(): Promise<void>;
}

/**
 * The requested address is taken by another server. Miniflare's own message advises `--port`,
 * a wrangler flag; each caller knows its own way to choose a port, so it words the advice.
 */
export class AddressInUseError extends Error {
  override readonly name = "AddressInUseError";
  readonly host: string;
  readonly port: number;

  // Plain fields, no parameter properties: Node's type stripping loads this file.
  constructor(host: string, port: number, cause: unknown) {
    super(`${host}:${port} is already in use`, { cause });
    this.host = host;
    this.port = port;
  }
}

/** Bundles with wrangler's own bundler into `outDir`; resolves with the entry module's path. */
async function bundleWithWrangler(configPath: string, main: string, outDir: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const wranglerBin = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  const args = [wranglerBin, "deploy", "--dry-run", "--outdir", outDir, "--config", configPath];
  const output = await new Promise<string>((done, failed) => {
    const child = spawn(process.execPath, args, {
      cwd: dirname(configPath),
      // The banner's update check would reach npm; metrics are off for every local run.
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (b: Buffer) => (text += b.toString()));
    child.stderr.on("data", (b: Buffer) => (text += b.toString()));
    child.on("error", failed);
    child.on("exit", (code, signal) =>
      code === 0 ? done(text) : failed(new Error(`wrangler bundling failed (${signal ?? `exit ${code}`}):\n${text}`)),
    );
  });
  const entry = join(outDir, basename(main).replace(/\.[cm]?[jt]sx?$/, ".js"));
  if (!existsSync(entry)) throw new Error(`wrangler wrote no ${basename(entry)} in ${outDir}:\n${output}`);
  return entry;
}

/** wrangler's typings leave `bindings` (the [vars] and .dev.vars values) as unknown. */
function plainBindings(value: unknown): Record<string, Json> {
  return typeof value === "object" && value !== null ? (value as Record<string, Json>) : {};
}

/**
 * The bundle as an explicit module list (Miniflare 5 no longer applies module rules itself):
 * the entry first, then every other file wrangler wrote that a [[rules]] glob types, e.g. the
 * `.sql` migrations as Text. Source maps and wrangler's README are not modules.
 */
async function bundleModules(bundleDir: string, entry: string, rules: V4ModuleRule[]): Promise<V4ModuleDefinition[]> {
  const modules: V4ModuleDefinition[] = [{ type: "ESModule", path: entry }];
  const files = await readdir(bundleDir, { recursive: true, withFileTypes: true });
  for (const file of files) {
    if (!file.isFile()) continue;
    const path = join(file.parentPath, file.name);
    const rel = relative(bundleDir, path).split(sep).join("/");
    if (path === entry || rel.endsWith(".map") || rel === "README.md") continue;
    const rule = rules.find((r) => r.include.some((glob) => matchesGlob(rel, glob)));
    if (rule !== undefined) modules.push({ type: rule.type, path });
  }
  return modules;
}

const EXIT_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

type SignalListeners = Map<NodeJS.Signals, Set<(...args: unknown[]) => void>>;

function signalListeners(): SignalListeners {
  return new Map(EXIT_SIGNALS.map((s) => [s, new Set(process.listeners(s) as ((...args: unknown[]) => void)[])]));
}

/** Removes the signal listeners added since `before` (Miniflare's exit hook, registered by its constructor). */
function detachSignalListenersSince(before: SignalListeners): void {
  for (const [signal, existing] of before) {
    for (const listener of process.listeners(signal)) {
      if (!existing.has(listener as (...args: unknown[]) => void)) process.removeListener(signal, listener);
    }
  }
}

/** Bundles the broker, starts workerd on `host:port` and resolves once it accepts requests. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  process.env.WRANGLER_SEND_METRICS = "false";
  const configPath = resolve(options.configPath ?? join(PROJECT_ROOT, "wrangler.toml"));
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  // wrangler's config reader logs at info level ("Using secrets defined in .dev.vars"), which is noise here.
  process.env.WRANGLER_LOG ??= "warn";
  const config: { name?: string } = unstable_readConfig({ config: configPath });
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(configPath);
  if (main === undefined) throw new Error(`${configPath} has no "main" entry point`);
  const bindings = { ...plainBindings(workerOptions.bindings), ...options.vars, ADMIN_TOKEN: options.adminToken };
  // The Worker's own parser, before anything starts: a bad var stops `npm start` with its name.
  brokerConfig(bindings);

  const bundleDir = await mkdtemp(join(tmpdir(), "flarelog-bundle-"));
  // If the process exits without stop() (Miniflare's signal hook, process.exit), still drop the bundle.
  const removeBundleOnExit = () => rmSync(bundleDir, { recursive: true, force: true });
  process.once("exit", removeBundleOnExit);
  let mf: Miniflare | undefined;
  try {
    const entry = await bundleWithWrangler(configPath, main, bundleDir);
    const { modulesRules, ...bindingOptions } = workerOptions;
    const modules = await bundleModules(bundleDir, entry, modulesRules ?? []);
    const miniflareOptions: V4MiniflareOptions = {
      host,
      port: options.port,
      rootPath: dirname(configPath),
      resourcePersistencePath: join(resolve(options.persistDir), "v3"),
      logRequests: false,
      log: new ForwardingLog(log),
      ...(options.workerLog !== undefined ? { handleStructuredLogs: options.workerLog } : {}),
      // A fixed placeholder `request.cf`: otherwise Miniflare fetches one from workers.cloudflare.com.
      cf: false,
      ...(options.inspectorPort !== undefined ? { inspectorPort: options.inspectorPort } : {}),
      workers: [
        {
          ...bindingOptions,
          // Same worker name as `wrangler dev`, so Durable Object storage paths match it.
          name: config.name ?? "worker",
          modules,
          modulesRoot: bundleDir,
          bindings,
        },
        ...(options.workers ?? []),
      ],
    };
    const listenersBefore = signalListeners();
    mf = new Miniflare(convertV4MiniflareOptions(miniflareOptions));
    if (options.exitOnSignal === false) detachSignalListenersSince(listenersBefore);
    const ready = await mf.ready.catch((e: unknown) => {
      // Classified by Miniflare's error code, not its message.
      if (e instanceof MiniflareCoreError && e.code === "ERR_ADDRESS_IN_USE") throw new AddressInUseError(host, options.port, e);
      throw e;
    });
    const url = ready.origin;
    let stopping: Promise<void> | undefined;
    const running = mf;
    return {
      url,
      bundle: entry,
      worker: (name) => running.getWorker(name),
      stop: () =>
        (stopping ??= (async () => {
          await running.dispose();
          process.removeListener("exit", removeBundleOnExit);
          await rm(bundleDir, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    await mf?.dispose().catch(() => undefined);
    process.removeListener("exit", removeBundleOnExit);
    await rm(bundleDir, { recursive: true, force: true });
    throw e;
  }
}

/** Miniflare's logger, sent to one line sink (warnings and errors only; no request lines). */
class ForwardingLog extends Log {
  readonly #sink: (line: string) => void;

  constructor(sink: (line: string) => void) {
    super(LogLevel.WARN);
    this.#sink = sink;
  }

  protected override log(message: string): void {
    this.#sink(message);
  }
}
