/**
 * A stream's metadata, kept with its topic as `ds.` topic configs in the tenant's cluster
 * coordinator (src/protocol/config.ts lets doors keep such keys; the log never reads them):
 * content type, TTL or Expires-At with the last access (the sliding TTL), the closed flag and
 * which producer tuple closed it, the last Stream-Seq, each idempotent producer's epoch and last
 * sequence, the fork origin and offset, the number of live forks, and the soft-deleted flag.
 *
 * Invariants: a topic without `ds.content-type` is not a stream (a native topic that happens to
 * start with `ds.`); a config is never removed (the coordinator merges), so "absent" is `""`.
 * Pure; called by store.ts.
 */

export interface ProducerState {
  epoch: number;
  lastSeq: number;
}

export interface StreamMeta {
  path: string;
  contentType: string;
  ttlSeconds: number | null;
  expiresAt: string | null;
  /** Last access (ms), for the sliding TTL. */
  touchedAt: number;
  closed: boolean;
  closedBy: [string, number, number] | null;
  lastStreamSeq: string | null;
  /** The fork's source stream path, and the position the fork starts at. */
  forkOf: string | null;
  forkOffset: number;
  /** Stream-Fork-Sub-Offset: how much of the source's message at the fork offset the fork begins with (bytes, or JSON items). */
  forkSub: number;
  forks: number;
  deleted: boolean;
  producers: Map<string, ProducerState>;
}

const PRODUCER = "ds.producer.";

export function isStream(configs: Record<string, string>): boolean {
  return (configs["ds.content-type"] ?? "") !== "";
}

const intOr = (raw: string | undefined, d: number) => (raw ? Number(raw) : d);

export function metaOf(configs: Record<string, string>): StreamMeta {
  const producers = new Map<string, ProducerState>();
  for (const [k, v] of Object.entries(configs)) {
    if (!k.startsWith(PRODUCER) || v === "") continue;
    const [epoch, lastSeq] = v.split(":").map(Number);
    producers.set(decodeURIComponent(k.slice(PRODUCER.length)), { epoch: epoch!, lastSeq: lastSeq! });
  }
  return {
    path: configs["ds.path"] ?? "",
    contentType: configs["ds.content-type"] ?? "application/octet-stream",
    ttlSeconds: configs["ds.ttl"] ? Number(configs["ds.ttl"]) : null,
    expiresAt: configs["ds.expires-at"] || null,
    touchedAt: intOr(configs["ds.touched"], 0),
    closed: configs["ds.closed"] === "true",
    closedBy: configs["ds.closed-by"] ? (JSON.parse(configs["ds.closed-by"]) as [string, number, number]) : null,
    lastStreamSeq: configs["ds.seq"] || null,
    forkOf: configs["ds.fork-of"] || null,
    forkOffset: intOr(configs["ds.fork-offset"], 0),
    forkSub: intOr(configs["ds.fork-sub"], 0),
    forks: intOr(configs["ds.forks"], 0),
    deleted: configs["ds.deleted"] === "true",
    producers,
  };
}

/** The configs that hold `m` (every key, for a topic's creation). */
export function configsOf(m: StreamMeta): Record<string, string> {
  const out: Record<string, string> = {
    "ds.path": m.path,
    "ds.content-type": m.contentType,
    "ds.ttl": m.ttlSeconds === null ? "" : String(m.ttlSeconds),
    "ds.expires-at": m.expiresAt ?? "",
    "ds.touched": String(m.touchedAt),
    "ds.closed": m.closed ? "true" : "",
    "ds.closed-by": m.closedBy ? JSON.stringify(m.closedBy) : "",
    "ds.seq": m.lastStreamSeq ?? "",
    "ds.fork-of": m.forkOf ?? "",
    "ds.fork-offset": String(m.forkOffset),
    "ds.fork-sub": m.forkSub ? String(m.forkSub) : "",
    "ds.forks": String(m.forks),
    "ds.deleted": m.deleted ? "true" : "",
  };
  for (const [id, p] of m.producers) out[producerKey(id)] = `${p.epoch}:${p.lastSeq}`;
  return out;
}

export const producerKey = (id: string) => `${PRODUCER}${encodeURIComponent(id)}`;

/** The configs of `next` that differ from `prev` (what an alter must write). */
export function changedConfigs(prev: StreamMeta, next: StreamMeta): Record<string, string> {
  const a = configsOf(prev);
  const b = configsOf(next);
  return Object.fromEntries(Object.entries(b).filter(([k, v]) => a[k] !== v));
}

/** When the stream expires (ms), or null: Expires-At, else the last access plus the TTL. */
export function expiryOf(m: StreamMeta): number | null {
  if (m.expiresAt !== null) {
    const t = new Date(m.expiresAt).getTime();
    return Number.isFinite(t) ? t : 0;
  }
  return m.ttlSeconds === null ? null : m.touchedAt + m.ttlSeconds * 1000;
}

export function normalizeContentType(ct: string | null | undefined): string {
  return (ct ?? "").split(";")[0]!.trim().toLowerCase();
}

export const isJson = (m: StreamMeta) => normalizeContentType(m.contentType) === "application/json";

/** SSE carries a binary stream's data base64-encoded (text/* and JSON as they are). */
export const needsBase64 = (m: StreamMeta) => {
  const ct = normalizeContentType(m.contentType);
  return !(ct.startsWith("text/") || ct === "application/json");
};
