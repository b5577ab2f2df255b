/**
 * Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2), bit for bit.
 *
 * Invariant: for every byte string, `murmur2` returns the same signed 32-bit int as the Java
 * client, so `toPositive(murmur2(key)) % partitions` picks the partition Kafka would. Java's
 * int arithmetic wraps at 32 bits; here `Math.imul` and `| 0` keep every step in int32.
 * Pure and synchronous; called by the partitioner at the API edge.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** The signed 32-bit murmur2 hash of `bytes` with Kafka's seed. */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (bytes[i4]! | (bytes[i4 + 1]! << 8) | (bytes[i4 + 2]! << 16) | (bytes[i4 + 3]! << 24)) | 0;
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The last 1–3 bytes, as Java's falling-through `switch (length % 4)` mixes them.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= bytes[tail + 2]! << 16;
    if (rest >= 2) h ^= bytes[tail + 1]! << 8;
    h ^= bytes[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}
