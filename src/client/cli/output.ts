/**
 * What the CLI prints: `--json` answers (one JSON document, or one object per line for record
 * streams), human tables otherwise, kcat's format strings for records, and the one-line errors.
 * A broker's error body becomes `error NAME (code): message` with exit code 1; a failed
 * connection `cannot reach URL: cause` with exit code 3. Pure except for the `Out` it writes to.
 */
import type { ApiResult } from "../flarelog-client.ts";
import { FlarelogError } from "../flarelog-error.ts";
import { CliError, EXIT, usage } from "./args.ts";

export interface Out {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The body of a successful answer, or a CliError with the broker's error. */
export function check<T>(r: ApiResult<T>): T {
  if (r.ok) return r.body;
  throw new CliError(EXIT.broker, `error ${r.error.error} (${r.error.error_code}): ${r.error.message}`);
}

/** Any failure as a CliError: ours as they are, the client's by kind, a failed fetch as unreachable. */
export function asCliError(e: unknown, url: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof FlarelogError) {
    if (e.error === "NETWORK_EXCEPTION" && e.status === undefined) return new CliError(EXIT.unreachable, `cannot reach ${url}: ${e.message}`);
    return new CliError(EXIT.broker, `error ${e.error} (${e.errorCode}): ${e.message}`);
  }
  if (e instanceof TypeError && /fetch failed/i.test(e.message)) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? e.message;
    return new CliError(EXIT.unreachable, `cannot reach ${url}: ${cause}`);
  }
  return new CliError(EXIT.broker, e instanceof Error ? e.message : String(e));
}

/** A table with a header row, columns padded to their widest cell. */
export function table(header: string[], rows: (string | number | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

export const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** A record as `consume` prints it. */
export interface PrintedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "0": "\0" };

/**
 * kcat's format string (`-f`): %t topic, %p partition, %o offset, %k key, %s value, %T
 * timestamp (ms), %h headers (k=v,…), %K key length, %S value length (-1 for null), %% a
 * percent; \n \t \r \\ \0 escapes. Compiled once into a function.
 */
export function compileFormat(fmt: string): (r: PrintedRecord) => string {
  const parts: ((r: PrintedRecord) => string)[] = [];
  let lit = "";
  const flush = () => {
    const s = lit;
    if (s) parts.push(() => s);
    lit = "";
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    const next = fmt[i + 1];
    if (c === "\\" && next !== undefined && ESCAPES[next] !== undefined) {
      lit += ESCAPES[next];
      i++;
    } else if (c === "%") {
      const field = FIELDS[next ?? ""];
      if (next === "%") lit += "%";
      else if (field === undefined) throw usage(`unknown format token %${next ?? ""} in "${fmt}" (known: %t %p %o %k %s %T %h %K %S %%)`);
      else {
        flush();
        parts.push(field);
      }
      i++;
    } else lit += c;
  }
  flush();
  return (r) => parts.map((p) => p(r)).join("");
}

const len = (s: string | null) => String(s === null ? -1 : new TextEncoder().encode(s).length);
const FIELDS: Record<string, (r: PrintedRecord) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => r.key ?? "",
  s: (r) => r.value ?? "",
  T: (r) => String(r.timestamp),
  h: (r) => Object.entries(r.headers).map(([k, v]) => `${k}=${v ?? ""}`).join(","),
  K: (r) => len(r.key),
  S: (r) => len(r.value),
};

/** The progress line (TTY only): records, MB/s, and the ETA when the total size is known. */
export function progressLine(records: number, bytes: number, elapsedMs: number, totalBytes?: number): string {
  const mbps = elapsedMs > 0 ? bytes / 1e6 / (elapsedMs / 1000) : 0;
  let line = `\r${records.toLocaleString("en-US")} records  ${mbps.toFixed(2)} MB/s`;
  if (totalBytes !== undefined && bytes > 0 && totalBytes >= bytes) {
    const eta = ((totalBytes - bytes) / bytes) * (elapsedMs / 1000);
    line += `  ${Math.round((bytes / totalBytes) * 100)}%  ETA ${eta.toFixed(0)} s`;
  }
  return `${line}\x1b[K`;
}
