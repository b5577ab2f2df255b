/**
 * Matches a command's output against the answer a README `# → …` comment shows, for
 * test/e2e/quickstart.test.ts. Pure; no I/O.
 *
 * An expectation that starts with `{` or `[` is a JSON template, else a text template.
 *
 * JSON template: JSON in which `...` or `…` may stand
 *   - for a value (`"timestamp":…`): any value, but the key must be there;
 *   - as the last member of an object (`{"a":1,...}`): more keys may follow; without it the
 *     answer must have exactly the template's keys;
 *   - as the last element of an array (`[{"offset":0},...]`): zero or more further elements;
 *     without it the answer has exactly the template's elements, each matched in order;
 *   - inside a string (`"m-…"`): any characters there.
 * Everything else must be equal: numbers, booleans, null, strings. Key order does not matter.
 *
 * Text template: one line per output line (trailing `\r` and blanks ignored), in order, each
 * equal except where `...` or `…` matches any characters.
 */

const ANY = "\u0000any";
const REST = "\u0000rest";
const MORE = "\u0000more";
const ELLIPSIS = /\.\.\.|…/;

/** The answer's mismatches with the template, each `path: what`; none when it matches. */
export function answerMismatches(expected: string, actual: string): string[] {
  const template = expected.trim();
  if (template.startsWith("{") || template.startsWith("[")) return jsonMismatches(template, actual);
  return textMismatches(template, actual);
}

/** Parses a JSON template into a value holding the ANY / REST / MORE markers. */
export function parseTemplate(template: string): unknown {
  let json = "";
  const open: string[] = [];
  let keyNext = false; // inside an object, after `{` or `,`
  for (let i = 0; i < template.length; ) {
    const c = template[i]!;
    if (c === '"') {
      const end = stringEnd(template, i);
      json += template.slice(i, end);
      i = end;
      continue;
    }
    const dots = template.startsWith("...", i) ? 3 : c === "…" ? 1 : 0;
    if (dots > 0) {
      json += placeholder(open.at(-1), keyNext, template.slice(i + dots));
      keyNext = false;
      i += dots;
      continue;
    }
    if (c === "{" || c === "[") open.push(c);
    if (c === "}" || c === "]") open.pop();
    if (c === "{" || c === ",") keyNext = open.at(-1) === "{";
    if (c === ":") keyNext = false;
    json += c;
    i += 1;
  }
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new Error(`not a JSON template (${String(e)}): ${template}`);
  }
}

/** The JSON text a `...` stands for where it is. */
function placeholder(container: string | undefined, keyNext: boolean, after: string): string {
  if (container === "{" && keyNext) return `${JSON.stringify(MORE)}:0`;
  if (container === "[" && after.trimStart().startsWith("]")) return JSON.stringify(REST);
  return JSON.stringify(ANY);
}

/** Index just past the JSON string starting at `start` (a `"`). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === "\\") i += 1;
    else if (text[i] === '"') return i + 1;
  }
  throw new Error(`unterminated string in template: ${text}`);
}

function jsonMismatches(template: string, actual: string): string[] {
  let answer: unknown;
  try {
    answer = JSON.parse(actual);
  } catch {
    return [`$: expected JSON, got ${JSON.stringify(actual)}`];
  }
  const mismatches: string[] = [];
  match(parseTemplate(template), answer, "$", mismatches);
  return mismatches;
}

function match(template: unknown, actual: unknown, path: string, out: string[]): void {
  if (template === ANY) return;
  if (Array.isArray(template)) return matchArray(template, actual, path, out);
  if (typeof template === "object" && template !== null) {
    return matchObject(template as Record<string, unknown>, actual, path, out);
  }
  if (typeof template === "string" && ELLIPSIS.test(template)) {
    const ok = typeof actual === "string" && wildcard(template).test(actual);
    if (!ok) out.push(differs(path, template, actual));
    return;
  }
  if (actual !== template) out.push(differs(path, template, actual));
}

const differs = (path: string, template: unknown, actual: unknown): string =>
  `${path}: expected ${JSON.stringify(template)}, got ${JSON.stringify(actual)}`;

function matchArray(template: unknown[], actual: unknown, path: string, out: string[]): void {
  if (!Array.isArray(actual)) {
    out.push(`${path}: expected an array, got ${JSON.stringify(actual)}`);
    return;
  }
  const rest = template.at(-1) === REST;
  const items = rest ? template.slice(0, -1) : template;
  if (rest ? actual.length < items.length : actual.length !== items.length) {
    const want = `${rest ? "at least " : ""}${items.length}`;
    out.push(`${path}: expected ${want} elements, got ${actual.length}: ${JSON.stringify(actual)}`);
    return;
  }
  items.forEach((item, i) => match(item, actual[i], `${path}[${i}]`, out));
}

function matchObject(
  template: Record<string, unknown>,
  actual: unknown,
  path: string,
  out: string[],
): void {
  if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
    out.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    return;
  }
  const answer = actual as Record<string, unknown>;
  const keys = Object.keys(template).filter((k) => k !== MORE);
  for (const key of keys) {
    if (Object.hasOwn(answer, key)) match(template[key], answer[key], `${path}.${key}`, out);
    else out.push(`${path}: no key "${key}" in ${JSON.stringify(actual)}`);
  }
  if (Object.hasOwn(template, MORE)) return;
  const extra = Object.keys(answer).filter((k) => !keys.includes(k));
  if (extra.length > 0) out.push(`${path}: keys the comment does not show: ${extra.join(", ")}`);
}

/** A whole-string pattern where each `...` / `…` matches any characters. */
function wildcard(template: string): RegExp {
  const parts = template.split(/\.\.\.|…/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[\\s\\S]*")}$`);
}

function textMismatches(template: string, actual: string): string[] {
  const lines = (text: string) => text.trim().split("\n").map((line) => line.trimEnd());
  const want = lines(template);
  const got = lines(actual);
  if (want.length !== got.length) {
    return [`expected ${want.length} lines, got ${got.length}: ${JSON.stringify(actual)}`];
  }
  const out: string[] = [];
  want.forEach((line, i) => {
    if (!wildcard(line).test(got[i]!)) out.push(differs(`line ${i + 1}`, line, got[i]));
  });
  return out;
}
