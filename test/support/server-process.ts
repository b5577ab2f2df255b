/**
 * The real server as a child process, started exactly as `npm start` starts it
 * (`node scripts/start.ts`) with PORT (a free one), ADMIN_TOKEN and FLARELOG_STATE_DIR, for the
 * e2e tests (test/e2e/server-process.test.ts, test/e2e/quickstart.test.ts).
 *
 * `startServer` resolves once the process prints its "Flarelog listening on <url>" line;
 * `stopServer` sends SIGTERM and resolves with the exit code. Every wait is bounded (start-up,
 * exit); nothing sleeps.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { on, once } from "node:events";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/free-port.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const START_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

type Server = ChildProcessByStdio<null, Readable, Readable>;

export interface Running {
  child: Server;
  /** e.g. `http://127.0.0.1:40123`, no trailing slash. */
  url: string;
  /** Everything the process printed so far, for failure messages. */
  output: () => string;
}

/** Spawns `node scripts/start.ts` and resolves with its URL once it prints the listening line. */
export async function startServer(stateDir: string, adminToken: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "scripts", "start.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      ADMIN_TOKEN: adminToken,
      FLARELOG_STATE_DIR: stateDir,
      WRANGLER_SEND_METRICS: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const output = () => out;
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => {
    throw new Error(`server exited before listening (${signal ?? `exit ${code}`}); output:\n${out}`);
  });
  exited.catch(() => undefined); // only the race below reads it; a later, normal exit is no error
  const listening = (async () => {
    // Bounded by the abort signal: no "listening" line in time fails the test.
    for await (const [chunk] of on(child.stdout, "data", { signal: AbortSignal.timeout(START_TIMEOUT_MS) })) {
      out += String(chunk);
      const m = /Flarelog listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m !== null) return { child, url: m[1]!, output };
    }
    throw new Error(`server output ended before listening; output:\n${out}`);
  })();
  try {
    return await Promise.race([listening, exited]);
  } catch (e) {
    child.kill("SIGTERM");
    throw new Error(`no "listening" line within ${START_TIMEOUT_MS} ms: ${String(e)}; output:\n${out}`);
  }
}

/** Sends SIGTERM and resolves with the exit code; SIGKILL if it outlives the bound. */
export async function stopServer(running: Running): Promise<number | null> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exit = once(child, "exit", { signal: AbortSignal.timeout(EXIT_TIMEOUT_MS) });
  child.kill("SIGTERM");
  try {
    const [code] = (await exit) as [number | null];
    return code;
  } catch {
    child.kill("SIGKILL");
    throw new Error(`server did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM; output:\n${running.output()}`);
  }
}
