/**
 * Live tails of a partition (issue 18), shared by every door that streams (the native API's
 * `live=sse`): the caller's first read is an ordinary fetch of one record (its ACL check, its
 * offset-range check, `earliest`/`latest` resolved), so every refusal is known before a stream
 * starts; after it the caller joins the isolate's tail hub (src/services/tail-hub.ts), where
 * one long-poll read of the leader serves every tailer of the partition at once.
 *
 * The shared reads are made with the rights of the subscriber that starts them, inside its own
 * request (`ctx.waitUntil` keeps a read alive if that request ends first); they skip the ACL
 * check, which each subscriber passed at its first read. Revoking a key ends nothing already
 * open; the door bounds every tail's lifetime, and the next connection is checked again.
 * Single-threaded isolate: the hub is per isolate, keyed by tenant, topic and partition.
 */
import { ok, type Result } from "../protocol/errors.ts";
import type { FetchResult, LogRecord, Offset } from "../protocol/types.ts";
import { Cluster } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { decodeFetched, fetchBatches, fetchFromLeader } from "./fetch.ts";
import { countTailRead } from "./metrics.ts";
import { TailHub, type TailFetch, type TailSubscription } from "./tail-hub.ts";

/** The isolate's hub: every live tail of this isolate shares it. */
export const tailHub = new TailHub<LogRecord>();

export interface TailInput {
  topic: string;
  partition: number;
  offset: Offset | "earliest" | "latest";
  /** Bounds of each shared or catch-up read (the first read takes one record). */
  maxRecords: number;
  maxBytes: number;
}

export interface OpenedTail {
  /** The first read: records from the asked offset (maybe none) and where the tail goes on. */
  first: FetchResult;
  /** The records after `first`; close it when the tail ends. */
  subscription: TailSubscription<LogRecord>;
}

/** Opens a live tail: the first read as a fetch (refusals as errors), then a hub subscription. */
export async function openTail(ctx: ServiceContext, input: TailInput): Promise<Result<OpenedTail>> {
  const { topic, partition, maxRecords, maxBytes } = input;
  // One record is enough to check the caller and the offset: the rest comes from the hub, whose
  // buffer usually holds it already (a reconnecting tailer then costs the leader one record).
  const firstRead = { topic, partition, offset: input.offset, maxRecords: 1, maxBytes, waitMs: 0 };
  const r = await fetchBatches(ctx, firstRead);
  if (!r.ok) return r;
  countTailRead(ctx.tenant, topic, partition, "first");
  const first = decodeFetched(r.value);
  const cluster = Cluster.of(ctx);
  const fetch: TailFetch<LogRecord> = (offset, waitMs) => {
    countTailRead(ctx.tenant, topic, partition, waitMs > 0 ? "shared" : "catch_up");
    const req = { offset, maxRecords, maxBytes, waitMs };
    const read = fetchFromLeader(cluster, topic, partition, req)
      .then((f): Result<FetchResult> => (f.ok ? ok(decodeFetched(f.value)) : f));
    ctx.waitUntil(read);
    return read;
  };
  const key = JSON.stringify([ctx.tenant, topic, partition]);
  return ok({ first, subscription: tailHub.subscribe(key, first.nextOffset, fetch) });
}
