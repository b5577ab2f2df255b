/**
 * The chaos checker's consumer rules (`pollAnomalies`, called by `check` in chaos/checker.ts):
 * per (consumer process, partition), over its ok polls in completion order, with its position =
 * the previous ok poll's `nextOffset`: a poll asking from after the position is a `poll_skip`,
 * from before it a `nonmonotonic_poll`; records must start exactly at `fromOffset` (-1 =
 * "earliest": anywhere on the first poll, at the position later) and be consecutive; `nextOffset`
 * must be last + 1 (or `fromOffset` when empty). At most one anomaly of each kind per poll.
 * Erasable TypeScript.
 */
import type { Anomaly } from "../checker.ts";
import type { PollOp } from "../history.ts";
import { sortByTime, type Facts } from "./facts.ts";

export function pollAnomalies(f: Facts): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const ids of f.pollsBy.values()) consumerPolls(f, sortByTime(f.ops, ids, "completeMs"), anomalies);
  return anomalies;
}

/** What one poll did wrong: steps forward past its position (`skip`) and back (`back`). */
interface Problems {
  skip: string[];
  back: string[];
}

/** Puts `what` into skip when `got` is above `want`, into back when below. */
function compare(p: Problems, got: number, want: number, what: string): void {
  if (got > want) p.skip.push(what);
  else if (got < want) p.back.push(what);
}

/** One consumer's ok polls of one partition, in completion order. */
function consumerPolls(f: Facts, ids: number[], anomalies: Anomaly[]): void {
  let position: number | undefined;
  let prevOp = -1;
  for (const i of ids) {
    const op = f.ops[i] as PollOp;
    const p = pollProblems(op, position, prevOp);
    const from = op.fromOffset;
    const where = `${op.process} poll op ${i} of p${op.partition} from ${from}`;
    const involved = prevOp >= 0 ? [prevOp, i] : [i];
    const at = { partition: op.partition, process: op.process, offset: from };
    if (p.skip.length > 0)
      anomalies.push({ kind: "poll_skip", ...at, detail: `${where}: ${p.skip.join("; ")}`, ops: involved });
    if (p.back.length > 0)
      anomalies.push({ kind: "nonmonotonic_poll", ...at, detail: `${where}: ${p.back.join("; ")}`, ops: involved });
    const next = op.nextOffset ?? expectedNext(op);
    if (next !== undefined) position = next;
    prevOp = i;
  }
}

/** The `nextOffset` a poll should answer: its last record's + 1, else where it asked from. */
function expectedNext(op: PollOp): number | undefined {
  const tail = op.records?.at(-1)?.offset;
  return tail !== undefined ? tail + 1 : op.fromOffset >= 0 ? op.fromOffset : undefined;
}

function pollProblems(op: PollOp, position: number | undefined, prevOp: number): Problems {
  const p: Problems = { skip: [], back: [] };
  const recs = op.records ?? [];
  const from = op.fromOffset;
  const previous = (side: string) => `${side} the previous poll (op ${prevOp}) ended at ${position}`;
  if (position !== undefined && from >= 0)
    compare(p, from, position, `asked from ${from} ${from > position ? previous("after") : previous("before")}`);
  const head = recs[0]?.offset;
  if (head !== undefined) {
    if (from >= 0) compare(p, head, from, `first record at ${head}, asked from ${from}`);
    // "earliest" again later on: the records must continue at the position.
    else if (position !== undefined)
      compare(p, head, position, `first record at ${head} ${head > position ? previous("after") : previous("before")}`);
  }
  for (let k = 1; k < recs.length; k++) {
    const a = (recs[k - 1] as { offset: number }).offset;
    const b = (recs[k] as { offset: number }).offset;
    if (b > a + 1) p.skip.push(`records jump from ${a} to ${b}`);
    else if (b <= a) p.back.push(`records go from ${a} to ${b}`);
  }
  const want = expectedNext(op);
  if (op.nextOffset !== undefined && want !== undefined)
    compare(p, op.nextOffset, want, `nextOffset ${op.nextOffset}, expected ${want}`);
  return p;
}
