/**
 * `npm run mutants` (issue 16): the fault runs have teeth. Each known-bad mutant is a one-place
 * edit of the server's source (an exact text that must occur exactly once, replaced), applied to
 * a throwaway copy of this checkout; then its detectors run — the replication simulation
 * (`test/sim`, which drives the real `src/log` code) on the copy, or a quick chaos run (this
 * checkout's runner and checker, `--root` the copy's server) — until one fails. A mutant no
 * detector catches (it "survives") fails the command, and so does a mutant whose text is no
 * longer in the source (the code moved: update the mutant, never drop it silently).
 *
 *   npm run mutants -- [--only NAME[,NAME]] [--keep]
 *
 * Exit status: 0 every mutant caught, 1 a mutant survived or could not be applied, 2 a detector
 * itself failed to run (e.g. the chaos run could not start its server).
 * Invariants: this checkout is never modified; each copy is removed afterwards (unless --keep);
 * every detector is bounded in time. Node 24 type stripping: erasable TypeScript only.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

type Detector = { kind: "sim"; files: string[] } | { kind: "chaos"; args: string[] };

export interface Mutant {
  name: string;
  /** The broken guarantee, in one line. */
  what: string;
  file: string;
  find: string;
  replace: string;
  detectors: Detector[];
}

/** Quick chaos runs are shortened to this (s): every lag fault in it takes a leader away under lag. */
const CHAOS_S = "40";

export const MUTANTS: readonly Mutant[] = [
  {
    name: "acks-all-early",
    what: "acks=all answered right after the leader's local append, before the HW passes the batch",
    file: "src/partition/partition-replica-do.ts",
    find: "if (req.acks !== -1) return r;",
    replace: "if (req.acks !== -1 || req.acks === -1) return r;",
    detectors: [{ kind: "chaos", args: ["--quick", "--seed", "1", "--duration", CHAOS_S, "--faults", "lag"] }],
  },
  {
    name: "hw-past-unacked-follower",
    what: "the HW advanced past an ISR follower that has not acknowledged (the last ISR member is not counted)",
    file: "src/log/leader-state.ts",
    find: "for (const id of this.maximalIsr()) {",
    replace: "for (const id of this.maximalIsr().slice(0, -1)) {",
    detectors: [{ kind: "sim", files: ["test/sim/replication-rf3.test.ts"] }],
  },
  {
    name: "truncate-by-hw",
    what: "a replica becoming follower truncates its log to its own HW (KIP-101's bug) instead of by epoch",
    file: "src/log/partition-log.ts",
    find: 'next.role = "follower";\n      next.leaderEpoch = leaderEpoch;\n    });',
    replace:
      'next.role = "follower";\n      next.leaderEpoch = leaderEpoch;\n      if (next.logEndOffset > next.highWatermark) truncateFrom(this.#store, next, next.highWatermark);\n    });',
    detectors: [{ kind: "sim", files: ["test/sim/replication-rf3.test.ts"] }],
  },
  {
    name: "dedupe-off",
    what: "idempotent dedupe off: a retried batch the leader already has is appended again",
    file: "src/log/partition-log.ts",
    find: 'if (check.value.kind === "duplicate") return ok(this.#duplicateInfo(check.value.batch));',
    replace: 'if (check.value.kind === "duplicate" && count < 0) return ok(this.#duplicateInfo(check.value.batch));',
    detectors: [{ kind: "sim", files: ["test/sim/replication-rf3.test.ts"] }],
  },
  {
    name: "handover-before-release",
    what: "a group partition handed to its new owner before the old owner released it",
    file: "src/groups/current-assignment.ts",
    find: "const free = fromList(toList(wanted).filter((tp) => !ownedByOther(tp.topic, tp.partition)));",
    replace: "const free = fromList(toList(wanted).filter((tp) => ownedByOther === ownedByOther || !ownedByOther(tp.topic, tp.partition)));",
    detectors: [{ kind: "chaos", args: ["--quick", "--seed", "1", "--duration", CHAOS_S, "--groups", "--faults", "none"] }],
  },
];

/** Copies this checkout's tracked and unignored files into `into`, node_modules linked. */
function copyCheckout(into: string): void {
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const rel of listed.stdout.split("\0").filter((f) => f !== "" && f !== "node_modules")) {
    mkdirSync(dirname(join(into, rel)), { recursive: true });
    try {
      cpSync(join(ROOT, rel), join(into, rel));
    } catch {
      // A file deleted in the working tree but still tracked.
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(into, "node_modules"));
}

/** The mutated copy of `file`'s text; throws unless `find` occurs exactly once. */
export function mutate(text: string, m: Mutant): string {
  const at = text.indexOf(m.find);
  if (at < 0 || text.indexOf(m.find, at + 1) >= 0)
    throw new Error(`${m.name}: the text to replace occurs ${at < 0 ? "nowhere" : "more than once"} in ${m.file}; update the mutant`);
  return text.slice(0, at) + m.replace + text.slice(at + m.find.length);
}

type Verdict = "caught" | "survived" | "error";

function runDetector(d: Detector, copy: string, log: string, out = join(copy, "chaos-run")): { verdict: Verdict; line: string } {
  const node = process.execPath;
  const r =
    d.kind === "sim"
      ? spawnSync(node, [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--project", "node", ...d.files], { cwd: copy, encoding: "utf8", timeout: 300_000 })
      : spawnSync(node, [join(ROOT, "chaos", "run.ts"), ...d.args, "--root", copy, "--out", out], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
  writeFileSync(log, `${r.stdout ?? ""}\n${r.stderr ?? ""}`, { flag: "a" });
  const stdout = `${r.stdout ?? ""}`;
  if (d.kind === "sim") {
    const failed = /Tests\s+.*?(\d+) failed/.exec(stdout.replace(/\x1b\[[0-9;]*m/g, ""));
    if (r.status === 0) return { verdict: "survived", line: "simulation passed" };
    return failed ? { verdict: "caught", line: `simulation: ${failed[1]} test(s) failed` } : { verdict: "error", line: `vitest exit ${r.status ?? r.signal}` };
  }
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (r.status === 0) return { verdict: "survived", line: `chaos valid: ${last}` };
  if (r.status === 1) return { verdict: "caught", line: `chaos not valid: ${last}` };
  return { verdict: "error", line: `chaos exit ${r.status ?? r.signal}` };
}

function main(): number {
  const { values } = parseArgs({ options: { only: { type: "string" }, keep: { type: "boolean", default: false } }, strict: true });
  const only = values.only?.split(",");
  const chosen = MUTANTS.filter((m) => only === undefined || only.includes(m.name));
  if (chosen.length === 0) throw new Error(`no mutant named ${values.only} (known: ${MUTANTS.map((m) => m.name).join(", ")})`);
  // Controls: each chaos detector on the unmutated server must be valid, or "caught" proves nothing.
  const controls = [...new Set(chosen.flatMap((m) => m.detectors.flatMap((d) => (d.kind === "chaos" ? [JSON.stringify(d.args)] : []))))];
  for (const args of controls) {
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), "flarelog-mutant-control-"));
    const r = runDetector({ kind: "chaos", args: JSON.parse(args) as string[] }, ROOT, join(dir, "detectors.log"), join(dir, "chaos-run"));
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stdout.write(`mutants: control (no mutant) chaos ${JSON.parse(args).join(" ")}: ${r.verdict === "survived" ? "valid" : r.verdict} in ${seconds} s — ${r.line}\n`);
    if (r.verdict !== "survived") {
      process.stdout.write(`mutants: the control run is not valid (see ${dir}): a detector that fails without a mutant proves nothing\n`);
      return 2;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const results: { name: string; verdict: Verdict; line: string; seconds: number }[] = [];
  for (const m of chosen) {
    const started = Date.now();
    const copy = mkdtempSync(join(tmpdir(), `flarelog-mutant-${m.name}-`));
    const log = join(copy, "detectors.log");
    let verdict: Verdict = "survived";
    let line = "no detector failed";
    try {
      copyCheckout(copy);
      writeFileSync(join(copy, m.file), mutate(readFileSync(join(ROOT, m.file), "utf8"), m));
      for (const d of m.detectors) {
        ({ verdict, line } = runDetector(d, copy, log));
        if (verdict !== "survived") break;
      }
    } catch (e) {
      verdict = "error";
      line = e instanceof Error ? e.message : String(e);
    } finally {
      if (values.keep) process.stdout.write(`mutants: kept ${copy} (detector output in ${log})\n`);
      else rmSync(copy, { recursive: true, force: true });
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    results.push({ name: m.name, verdict, line, seconds });
    process.stdout.write(`mutants: ${m.name} (${m.what}): ${verdict.toUpperCase()} in ${seconds} s — ${line}\n`);
  }
  const caught = results.filter((r) => r.verdict === "caught").length;
  process.stdout.write(`${JSON.stringify({ mutants: results.length, caught, survived: results.filter((r) => r.verdict === "survived").map((r) => r.name), errors: results.filter((r) => r.verdict === "error").map((r) => r.name), seconds: results.reduce((a, r) => a + r.seconds, 0) })}\n`);
  if (results.some((r) => r.verdict === "error" && !r.line.includes("update the mutant"))) return 2;
  return caught === results.length ? 0 : 1;
}

if (import.meta.main) process.exit(main());
