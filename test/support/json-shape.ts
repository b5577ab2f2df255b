/**
 * Compares a JSON answer's shape with a documented example's, for the REST Proxy tests
 * (test/workers/rest-proxy.test.ts): the same keys in every object (no more, no fewer), the
 * same kind of value at each key (string, number, boolean, null, object, array), every array
 * element shaped like the example's first element. Values themselves are not compared. Pure.
 */
type Kind = "string" | "number" | "boolean" | "null" | "object" | "array";

const kindOf = (v: unknown): Kind => (v === null ? "null" : Array.isArray(v) ? "array" : (typeof v as Kind));

/** Each place where `actual` differs in shape from `example`, as `path: what`. */
export function shapeMismatches(example: unknown, actual: unknown, path = "$"): string[] {
  const [ke, ka] = [kindOf(example), kindOf(actual)];
  if (ke !== ka) return [`${path}: expected ${ke}, got ${ka}`];
  if (ke === "array") {
    const first = (example as unknown[])[0];
    if (first === undefined) return [];
    return (actual as unknown[]).flatMap((a, i) => shapeMismatches(first, a, `${path}[${i}]`));
  }
  if (ke !== "object") return [];
  const e = example as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const missing = Object.keys(e).filter((k) => !(k in a)).map((k) => `${path}.${k}: missing`);
  const extra = Object.keys(a).filter((k) => !(k in e)).map((k) => `${path}.${k}: not in the example`);
  const nested = Object.keys(e).filter((k) => k in a).flatMap((k) => shapeMismatches(e[k], a[k], `${path}.${k}`));
  return [...missing, ...extra, ...nested];
}
