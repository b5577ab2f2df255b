/**
 * Upstash's `POST /produce`: messages (to one or several topics) become one produce per topic
 * through the produce service, acks=all; the answer is one `{topic, partition, offset,
 * timestamp}` per message, in request order.
 *
 * Retries: `@upstash/kafka` re-sends a request five times after any non-2xx answer (and after a
 * network error), with the same body and nothing to tell a retry from a new request. So:
 *   - every message is checked first (topic exists, partition exists, size) for every topic,
 *     and a request with one bad message writes nothing: a 4xx answer is safe to retry;
 *   - a failure after an append (a timeout waiting for acks=all, a leader lost in between)
 *     answers 5xx and the client's retry may write those messages again: at least once, as a
 *     Kafka producer with retries and without idempotence. The Upstash protocol carries no
 *     producer id or sequence, so the broker cannot recognise the retry.
 */
import { LIMITS } from "../../protocol/config.ts";
import type { ServiceContext } from "../../services/context.ts";
import { produce } from "../../services/produce.ts";
import { must, stop } from "../../services/result.ts";
import { checkRecords } from "../../services/record-check.ts";
import { recordOf, type ProduceItem } from "./wire.ts";

type Planned = { item: ProduceItem; index: number };

/** Every topic exists and every message fits it, before anything is written. */
async function checkAll(ctx: ServiceContext, byTopic: Map<string, Planned[]>): Promise<void> {
  for (const [topic, planned] of byTopic) {
    const errors = must(await checkRecords(ctx, topic, planned.map((p) => recordOf(p.item))));
    errors.forEach((err, k) => {
      if (err) stop(err.error, `message ${planned[k]!.index}: ${err.message}; nothing was written`);
    });
  }
}

export async function produceMessages(ctx: ServiceContext, items: ProduceItem[]) {
  if (items.length > LIMITS.maxRecordsPerRequest) stop("INVALID_REQUEST", `a produce holds at most ${LIMITS.maxRecordsPerRequest} messages`);
  const byTopic = new Map<string, Planned[]>();
  items.forEach((item, index) => {
    const list = byTopic.get(item.topic) ?? [];
    list.push({ item, index });
    byTopic.set(item.topic, list);
  });
  if (byTopic.size > 1) await checkAll(ctx, byTopic);
  const now = Date.now();
  const answers = new Array<{ topic: string; partition: number; offset: number; timestamp: number }>(items.length);
  await Promise.all(
    [...byTopic].map(async ([topic, planned]) => {
      const input = { topic, records: planned.map((p) => recordOf(p.item)), acks: -1 as const, timeoutMs: LIMITS.defaultProduceTimeoutMs };
      const r = must(await produce(ctx, input, now));
      if (r.accepted) return;
      r.records.forEach((o, k) => {
        if ("error" in o) stop(o.error.error, o.error.message);
        answers[planned[k]!.index] = { topic, partition: o.partition, offset: o.offset, timestamp: o.timestamp };
      });
    }),
  );
  return answers;
}
