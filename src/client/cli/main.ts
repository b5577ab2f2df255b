#!/usr/bin/env node
/**
 * The `flarelog` executable (the package's `bin`): wires `run` to the process. The first Ctrl-C
 * asks the running command to stop after its in-flight batch; a second one exits at once (130).
 */
import { run } from "./run.ts";

const controller = new AbortController();
process.on("SIGINT", () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
});
// Output piped into `head` closes early: that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
const code = await run(process.argv.slice(2), {
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  env: process.env,
  get stdin() {
    return process.stdin;
  },
  tty: process.stderr.isTTY === true,
  interrupted: controller.signal,
});
process.exitCode = code;
