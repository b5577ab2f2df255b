/**
 * `npm start -- --verbose`: the Worker's JSON log lines (src/config/log-level.ts) as a compact
 * human log. A request line becomes
 *   `23:45:01.123 POST /v1/topics/{topic}/records 200 12ms in 345B out 120B tenant default`
 * (plus the Kafka error name for an error answer); a replication event becomes
 *   `23:45:02.004 isr_shrink default/orders-0 leader 0 epoch 3 isr 0,1,2 → 0,1`.
 * Any other line passes through unchanged. Pure; runs under Node's type stripping.
 */

/** One line the Worker printed, as Miniflare hands it over (`handleStructuredLogs`). */
export interface WorkerLogLine {
  timestamp: number;
  level: string;
  message: string;
}

const REPLICATION_EVENTS = new Set(["leader_election", "isr_shrink", "isr_expand", "isr_change", "partition_change"]);

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

function parse(message: string): Record<string, unknown> | null {
  if (!message.startsWith("{")) return null;
  try {
    const v: unknown = JSON.parse(message);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const list = (v: unknown) => (Array.isArray(v) ? v.join(",") : String(v));

/** The human form of one Worker log line. */
export function humanLogLine(line: WorkerLogLine): string {
  const j = parse(line.message);
  if (j === null) return line.message;
  const at = clock(line.timestamp);
  if (j.msg === "request") {
    const error = j.error ? ` ${String(j.error)}` : "";
    return `${at} ${String(j.method)} ${String(j.route)} ${String(j.status)}${error} ${String(j.ms)}ms in ${String(j.bytesIn)}B out ${j.bytesOut === null ? "?" : `${String(j.bytesOut)}B`} tenant ${String(j.tenant)}`;
  }
  if (typeof j.msg === "string" && REPLICATION_EVENTS.has(j.msg)) {
    const where = `${String(j.tenant)}/${String(j.topic)}-${String(j.partition)}`;
    return `${at} ${j.msg} ${where} leader ${String(j.previous_leader)} → ${String(j.leader)} epoch ${String(j.leader_epoch)} isr ${list(j.previous_isr)} → ${list(j.isr)}`;
  }
  return line.message;
}
