/**
 * The chaos run's server: a real `npm start` process (`node scripts/start.ts` with PORT,
 * ADMIN_TOKEN and FLARELOG_STATE_DIR), spawned detached in its own process group so that a
 * kill -9 takes workerd (its child) down with it, and restartable on the same state directory.
 *
 * Invariants: at most one server process per instance at a time; every wait is bounded; the
 * server's TMPDIR is the run's own directory, so the bundle a killed server leaves behind is
 * removed with the run. `killGroupSync` is safe to call from a process "exit" handler.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../scripts/free-port.ts";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;


export interface ServerOptions {
  stateDir: string;
  adminToken: string;
  /** The server's TMPDIR (wrangler's bundle goes there). */
  tmpDir: string;
  /** Every line the server prints is appended here. */
  logPath: string;
  /** Project root whose scripts/start.ts runs (default: this checkout). */
  root?: string;
  /** REPLICA_PUSH_DELAY_MS: base jitter on every replication push (the chaos build's, issue 16). */
  pushDelayMs?: number;
}

export class ServerProcess {
  #child: ChildProcess | null = null;
  #exited: Promise<void> | null = null;
  #url: string | null = null;
  #log: WriteStream;
  /** Every process group spawned so far: a group can outlive its node process (workerd). */
  readonly #groups = new Set<number>();
  readonly #opts: ServerOptions;
  /** Starts so far (1 after the first start). */
  starts = 0;

  constructor(opts: ServerOptions) {
    this.#opts = opts;
    mkdirSync(dirname(opts.logPath), { recursive: true });
    mkdirSync(opts.tmpDir, { recursive: true });
    this.#log = createWriteStream(opts.logPath, { flags: "a" });
  }

  get url(): string {
    if (this.#url === null) throw new Error("server is not running");
    return this.#url;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #note(line: string): void {
    this.#log.write(`[chaos ${new Date().toISOString()}] ${line}\n`);
  }

  /** Spawns the server on a fresh free port and resolves with its URL once it prints the listening line. */
  async start(): Promise<string> {
    if (this.#child !== null) throw new Error("server already running");
    const root = this.#opts.root ?? PROJECT_ROOT;
    const port = await freePort();
    this.starts++;
    this.#note(`start #${this.starts} on port ${port}`);
    const child = spawn(process.execPath, [join(root, "scripts", "start.ts")], {
      cwd: root,
      detached: true,
      env: {
        ...process.env,
        PORT: String(port),
        ADMIN_TOKEN: this.#opts.adminToken,
        FLARELOG_STATE_DIR: this.#opts.stateDir,
        TMPDIR: this.#opts.tmpDir,
        WRANGLER_SEND_METRICS: "false",
        // The chaos build (fault layer + control route) when the checkout has one.
        ...(existsSync(join(root, "chaos", "wrangler.toml")) ? { FLARELOG_WRANGLER_CONFIG: join(root, "chaos", "wrangler.toml") } : {}),
        REPLICA_PUSH_DELAY_MS: String(this.#opts.pushDelayMs ?? 0),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    if (child.pid !== undefined) this.#groups.add(child.pid);
    this.#note(`pid ${child.pid}, process group ${child.pid}`);
    this.#exited = new Promise((done) => child.once("exit", () => done()));
    child.once("exit", (code, signal) => {
      this.#note(`pid ${child.pid} exited (${signal ?? `exit ${code}`})`);
      if (this.#child === child) {
        this.#child = null;
        this.#url = null;
      }
    });
    let out = "";
    return new Promise<string>((done, failed) => {
      const timer = setTimeout(() => {
        this.killGroupSync();
        failed(new Error(`server printed no "listening" line within ${START_TIMEOUT_MS} ms:\n${out.slice(-2000)}`));
      }, START_TIMEOUT_MS);
      let listening = false;
      child.stdout!.on("data", (chunk: Buffer) => {
        this.#log.write(chunk);
        if (listening) return;
        out += chunk.toString();
        const m = /Flarelog listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m !== null) {
          listening = true;
          clearTimeout(timer);
          this.#url = m[1]!;
          done(m[1]!);
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => {
        this.#log.write(chunk);
        if (!listening) out += chunk.toString();
      });
      child.once("error", (e) => {
        clearTimeout(timer);
        if (this.#child === child) {
          this.#child = null;
          this.#url = null;
        }
        failed(new Error(`server could not be spawned: ${e.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!listening) failed(new Error(`server exited before listening (${signal ?? `exit ${code}`}):\n${out.slice(-2000)}`));
      });
    });
  }

  /** kill -9 of the whole process group (node and workerd); resolves once node has exited. */
  async kill9(): Promise<void> {
    const exited = this.#exited;
    this.killGroupSync();
    if (exited !== null) await bounded(exited, STOP_TIMEOUT_MS);
    await this.#reapGroups();
    this.#child = null;
    this.#url = null;
  }

  /** Waits (bounded) until every known group is empty and forgets it, so its id is never signalled again. */
  async #reapGroups(): Promise<void> {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (this.#groups.size > 0 && Date.now() < deadline) {
      for (const pid of this.#groups) if (!groupAlive(pid)) this.#groups.delete(pid);
      if (this.#groups.size > 0) await new Promise((done) => setTimeout(done, 50));
    }
    if (this.#groups.size > 0) this.#note(`process groups still alive after SIGKILL: ${[...this.#groups].join(", ")}`);
  }

  /** SIGKILL to every process group this instance spawned, synchronously (usable from an "exit" handler). */
  killGroupSync(): void {
    for (const pid of this.#groups) {
      try {
        process.kill(-pid, "SIGKILL");
        this.#note(`SIGKILL to process group ${pid}`);
      } catch {
        // The group is empty: nothing left to kill.
        this.#groups.delete(pid);
      }
    }
  }

  /** Clean stop: SIGTERM to node (it disposes workerd), then SIGKILL to the group whatever happened. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child !== null && child.pid !== undefined) {
      this.#note("SIGTERM");
      try {
        process.kill(child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      if (this.#exited !== null) await bounded(this.#exited, STOP_TIMEOUT_MS);
    }
    this.killGroupSync();
    await this.#reapGroups();
    this.#child = null;
    this.#url = null;
  }

  async closeLog(): Promise<void> {
    await new Promise<void>((done) => this.#log.end(() => done()));
  }
}

/**
 * True while a process of group `pgid` runs. Zombies do not count: a killed workerd, re-parented
 * to init, can stay a zombie for a while before it is reaped. Reads /proc where there is one.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!existsSync("/proc/self/stat")) return true;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

async function bounded(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}
