/**
 * Wire constants of the binary bulk format that the server and the typed client share. The JSON
 * shapes of the contract are defined once in src/contract (schemas, routes, inferred types).
 */

/**
 * The binary bulk format (an addition to API.md, docs/api.md "Binary record batches"): a produce
 * body of this type is one record batch in the stored format (src/codec/record-batch.ts); a fetch
 * that accepts it gets frames `baseOffset:uvarint length:uvarint batch` instead of JSON.
 */
export const RECORD_BATCH_CONTENT_TYPE = "application/vnd.flarelog.record-batch";

/** Response headers of a binary fetch (the JSON fetch's fields). */
export const FETCH_HEADERS = {
  nextOffset: "flarelog-next-offset",
  highWatermark: "flarelog-high-watermark",
  logStartOffset: "flarelog-log-start-offset",
} as const;
