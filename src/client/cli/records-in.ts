/**
 * Turning produce input into records: lines split into complete lines across chunk boundaries
 * (a final line without a newline still counts; `\r\n` is one newline), then each line into a
 * record as plain text (value, or key + value with `-K sep`) or as a JSON record. A line that
 * cannot become a record is an input error naming the line. Pure; called by produce.ts.
 */
import type { ProducerRecord } from "../producer.ts";
import { CliError, EXIT } from "./args.ts";

/** Splits a text stream into lines; keeps the unfinished tail between chunks. */
export class LineSplitter {
  #tail = "";
  readonly #decoder = new TextDecoder("utf-8");

  /** Complete lines in `chunk` (and before it). */
  push(chunk: Uint8Array | string): string[] {
    const text = this.#tail + (typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true }));
    const lines = text.split("\n");
    this.#tail = lines.pop()!;
    return lines.map(stripCr);
  }

  /** The last line if the input did not end with a newline. */
  end(): string[] {
    const rest = this.#tail + this.#decoder.decode();
    this.#tail = "";
    return rest === "" ? [] : [stripCr(rest)];
  }
}

const stripCr = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);

export interface RecordShape {
  /** `-K`: the key separator; absent → the whole line is the value, key null. */
  keySeparator?: string | undefined;
  /** Each line is a JSON record. */
  json: boolean;
  /** `-H k=v`, on every record (a JSON record's own headers win). */
  headers: Record<string, string>;
}

const inputError = (lineNo: number, message: string) => new CliError(EXIT.input, `line ${lineNo}: ${message}`);

function fromJson(line: string, lineNo: number, shape: RecordShape): ProducerRecord {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw inputError(lineNo, `not a JSON record: ${(e as Error).message}`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw inputError(lineNo, 'a JSON record is an object like {"key": "k", "value": "v"}');
  const r = o as Record<string, unknown>;
  const unknownField = Object.keys(r).find((k) => !["key", "value", "headers", "partition", "timestamp"].includes(k));
  if (unknownField !== undefined) throw inputError(lineNo, `unknown field "${unknownField}" (known: key, value, headers, partition, timestamp)`);
  if (r.key !== undefined && r.key !== null && typeof r.key !== "string") throw inputError(lineNo, `key must be a string or null, got ${JSON.stringify(r.key)}`);
  const value = r.value === undefined || r.value === null || typeof r.value === "string" ? r.value : JSON.stringify(r.value);
  const record: ProducerRecord = { key: (r.key as string | null | undefined) ?? null, value: (value as string | null | undefined) ?? null };
  const headers = r.headers ?? {};
  if (typeof headers !== "object" || headers === null || Object.values(headers).some((v) => v !== null && typeof v !== "string"))
    throw inputError(lineNo, "headers must be an object of strings");
  const all = { ...shape.headers, ...(headers as Record<string, string | null>) };
  if (Object.keys(all).length > 0) record.headers = all;
  for (const f of ["partition", "timestamp"] as const) {
    const v = r[f];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw inputError(lineNo, `${f} must be a non-negative integer, got ${JSON.stringify(v)}`);
    record[f] = v;
  }
  return record;
}

/** One input line as a record. */
export function toRecord(line: string, lineNo: number, shape: RecordShape): ProducerRecord {
  if (shape.json) return fromJson(line, lineNo, shape);
  const record: ProducerRecord = { key: null, value: line };
  if (shape.keySeparator !== undefined) {
    const at = line.indexOf(shape.keySeparator);
    if (at < 0) throw inputError(lineNo, `no key separator ${JSON.stringify(shape.keySeparator)} in ${JSON.stringify(line.slice(0, 80))}`);
    record.key = line.slice(0, at);
    record.value = line.slice(at + shape.keySeparator.length);
  }
  if (Object.keys(shape.headers).length > 0) record.headers = { ...shape.headers };
  return record;
}
