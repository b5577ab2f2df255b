/**
 * The platform's billed units as this isolate sees them (issue 22): Durable Object requests
 * (each RPC method call on a stub is one billed request, Cloudflare's DO pricing page) by the
 * class called, and SQLite rows read and written by the class whose SQL ran (the DO SQL cursor's
 * own `rowsRead` / `rowsWritten`, the numbers Cloudflare bills). Rendered by `/metrics`
 * (src/services/metrics.ts) as `flarelog_do_requests_total` and `flarelog_sqlite_rows_*_total`;
 * `setAlarm` calls and alarm runs are counted apart (`flarelog_do_alarms_set_total`,
 * `flarelog_do_alarm_runs_total`): the pricing page bills each as one row written and one request;
 * `npm run bench` reads them around each cost workload (bench/cost.ts).
 *
 * Invariants: counters only rise; a call is counted when it is sent (a call that then throws
 * was still a billed request). Scope: one isolate, like the other isolate counters of
 * metrics.ts — locally (workerd, Miniflare) the Worker and every DO share one isolate, so the
 * scrape sees the whole cluster; deployed, each DO's isolate keeps its own.
 * Called by replica-stub.ts, replica-transport.ts, services/cluster.ts (stubs) and
 * do-sql-port.ts (rows). Concurrency: synchronous increments, no await.
 */

/** Durable Object classes by the label the counters use. */
export type DoClass = "partition_replica" | "cluster_coordinator" | "group_coordinator" | "tenant_directory" | "other";

interface Units {
  requests: number;
  rowsRead: number;
  rowsWritten: number;
  alarmsSet: number;
  alarmRuns: number;
}

const units = new Map<DoClass, Units>();

function of(cls: DoClass): Units {
  let u = units.get(cls);
  if (!u) units.set(cls, (u = { requests: 0, rowsRead: 0, rowsWritten: 0, alarmsSet: 0, alarmRuns: 0 }));
  return u;
}

/** One statement's rows, from its cursor (after the cursor was drained). */
export function countRows(cls: DoClass, rowsRead: number, rowsWritten: number): void {
  const u = of(cls);
  u.rowsRead += rowsRead;
  u.rowsWritten += rowsWritten;
}

/** A `setAlarm` (billed as one row written) or an alarm invocation (billed as one DO request). */
export function countAlarm(cls: DoClass, what: "set" | "run"): void {
  if (what === "set") of(cls).alarmsSet += 1;
  else of(cls).alarmRuns += 1;
}

/** A snapshot of every class's counters, for the scrape. */
export function platformUnits(): ({ cls: DoClass } & Units)[] {
  return [...units.entries()].map(([cls, u]) => ({ cls, ...u }));
}

/**
 * `stub` with every method call counted as one request to `cls` (a Proxy: property reads pass
 * through; a function-valued property is called on the stub itself after the count).
 */
export function countedStub<T extends object>(cls: DoClass, stub: T): T {
  return new Proxy(stub, {
    get(target, prop) {
      const v = (target as Record<string | symbol, unknown>)[prop];
      if (typeof v !== "function" || prop === "then") return v;
      return (...args: unknown[]) => {
        of(cls).requests += 1;
        // Reflect.apply: an RPC property would take `.apply` for a remote method's name.
        return Reflect.apply(v as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}
