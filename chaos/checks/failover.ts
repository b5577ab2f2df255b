/**
 * The chaos checker's fail-over times (`failoverTimes`, called by `check` in chaos/checker.ts):
 * for each nemesis op with `leader: true`, the time from its start to the completion of the first
 * ok send invoked at or after that start (a request that an old leader could not have answered
 * before the fault), in the partition its "p<N>/…" target names, else in any partition. Sends in
 * flight across the fault do not end it. Erasable TypeScript.
 */
import type { Failover } from "../checker.ts";
import type { NemesisOp, Op, SendOp } from "../history.ts";
import { sortByTime, type Facts } from "./facts.ts";

/** Ok sends sorted by invocation, with the earliest completion from each index on (suffix min). */
interface SendIndex {
  ids: number[];
  best: number[];
}

function sendIndex(ops: Op[], partition: number | null): SendIndex {
  const ids: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    if (op.type === "send" && op.outcome === "ok" && (partition === null || op.partition === partition)) ids.push(i);
  }
  sortByTime(ops, ids, "invokeMs");
  const best = new Array<number>(ids.length);
  for (let k = ids.length - 1; k >= 0; k--) {
    const here = ids[k] as number;
    const after = k + 1 < ids.length ? (best[k + 1] as number) : -1;
    best[k] = after >= 0 && (ops[after] as SendOp).completeMs < (ops[here] as SendOp).completeMs ? after : here;
  }
  return { ids, best };
}

/** The ok send that completed first among those invoked at or after `startMs` (binary search on invokeMs). */
function firstSendAfter(ops: Op[], idx: SendIndex, startMs: number): number | null {
  let lo = 0;
  let hi = idx.ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ops[idx.ids[mid] as number] as SendOp).invokeMs < startMs) lo = mid + 1;
    else hi = mid;
  }
  return lo < idx.ids.length ? (idx.best[lo] as number) : null;
}

export function failoverTimes(f: Facts): Failover[] {
  const ops = f.ops;
  const leaderFaults = f.nemeses.filter((i) => (ops[i] as NemesisOp).leader === true);
  const cache = new Map<number | null, SendIndex>();
  return leaderFaults.map((i) => {
    const n = ops[i] as NemesisOp;
    const m = /^p(\d+)(?:\/|$)/.exec(n.target ?? "");
    const partition = m ? Number(m[1]) : null;
    let idx = cache.get(partition);
    if (idx === undefined) cache.set(partition, (idx = sendIndex(ops, partition)));
    const send = firstSendAfter(ops, idx, n.startMs);
    const failover: Failover = {
      op: i,
      action: n.action,
      partition,
      startMs: n.startMs,
      ms: send === null ? null : (ops[send] as SendOp).completeMs - n.startMs,
      send,
    };
    if (n.target !== undefined) failover.target = n.target;
    return failover;
  });
}
