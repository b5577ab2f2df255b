/**
 * Issue 13: the docs describe what exists. A feature that is planned but not built (key scopes)
 * may be named only
 * in a paragraph that says it is planned and names its issue. Code blocks with a language
 * (examples: `console.log` is not the console) are
 * skipped; a plain fenced block (a diagram) is one paragraph.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** What is not built, by the words that name it. */
const PLANNED: [string, RegExp][] = [
  ["scopes", /\bscopes?\b/i],
];

const SAYS_PLANNED = /\b(planned|not built|not implemented)\b[^]*\bissues? \d+/i;

function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => join("docs", f));
  return [...docs, "test/README.md", "README.md"];
}

/** The paragraphs of a markdown text; a table row is its own, code with a language is skipped. */
function paragraphs(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: "none" | "code" | "plain" = "none";
  let current: { line: number; text: string } | null = null;
  const flush = () => {
    if (current) out.push(current);
    current = null;
  };
  text.split("\n").forEach((raw, i) => {
    const opening = /^\s*```(\S*)/.exec(raw);
    if (opening) {
      flush();
      fence = fence !== "none" ? "none" : opening[1] ? "code" : "plain";
      return;
    }
    if (fence === "code") return;
    if (fence === "plain") {
      if (current === null) current = { line: i + 1, text: raw };
      else current.text += `\n${raw}`;
      return;
    }
    if (raw.trim() === "" || raw.startsWith("#")) return flush();
    if (raw.startsWith("|") || /^\s*[-*] /.test(raw)) flush();
    if (current === null) current = { line: i + 1, text: raw };
    else current.text += `\n${raw}`;
    if (raw.startsWith("|")) flush();
  });
  flush();
  return out;
}

describe("docs claim only what exists (issue 13)", () => {
  it("every paragraph naming a planned feature says it is planned and names its issue", () => {
    const unmarked: string[] = [];
    for (const file of docFiles()) {
      for (const p of paragraphs(readFileSync(join(ROOT, file), "utf8"))) {
        const named = PLANNED.filter(([, re]) => re.test(p.text)).map(([what]) => what);
        if (named.length > 0 && !SAYS_PLANNED.test(p.text)) unmarked.push(`${file}:${p.line} names ${named.join(", ")}: ${p.text.slice(0, 120)}`);
      }
    }
    expect(unmarked).toEqual([]);
  });

  it("the checker has teeth: a claim without the mark is found, with it is not", () => {
    const claims = (text: string) => paragraphs(text).filter((p) => PLANNED.some(([, re]) => re.test(p.text)) && !SAYS_PLANNED.test(p.text));
    expect(claims("Keys carry scopes.\n\nA key has scopes.")).toHaveLength(2);
    expect(claims("Key scopes are planned (issue 14).\n\n```ts\nconsole.log(1)\n```")).toHaveLength(0);
    expect(claims("```\nkeys: scopes\n```")).toHaveLength(1);
  });
});
