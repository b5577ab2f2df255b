/**
 * The quick-start harness itself (test/support/answer-shape.ts, test/support/quickstart.ts): a
 * `# →` template accepts the answers it describes and refuses wrong ones (a changed value, a
 * missing or unshown key, a missing or extra element, a wrong type, not JSON, a changed line);
 * the README block is cut into steps at the expectations, the markers cut stdout into the same
 * steps, and every expectation of the README parses. No server; see test/e2e/quickstart.test.ts.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { answerMismatches, parseTemplate } from "../support/answer-shape.ts";
import { instrument, parseQuickstart, quickstartBlock, splitOutput } from "../support/quickstart.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const OFFSETS = '{"offsets":[{"partition":0,"offset":0,"timestamp":…},{"partition":0,"offset":1,"timestamp":…}]}';

describe("answer templates", () => {
  it("accept the answers they show, in any key order, with anything where … stands", () => {
    expect(answerMismatches(OFFSETS, '{"offsets":[{"offset":0,"partition":0,"timestamp":17},{"partition":0,"offset":1,"timestamp":null}]}')).toEqual([]);
    expect(answerMismatches('{"member_id":"m-…","member_epoch":1}', '{"member_id":"m-4f2a","member_epoch":1}')).toEqual([]);
    expect(answerMismatches('{"a":1,...}', '{"a":1,"b":{"c":2}}')).toEqual([]);
    expect(answerMismatches('{"p":[{"x":1},...]}', '{"p":[{"x":1},{"y":2},3]}')).toEqual([]);
    expect(answerMismatches('{"p":[{"x":1},...]}', '{"p":[{"x":1}]}')).toEqual([]);
    expect(answerMismatches('{"s":"a...b"}', '{"s":"a, then b"}')).toEqual([]);
    expect(answerMismatches("204", "204\n")).toEqual([]);
    expect(answerMismatches("next: 500\nhw: …", "next: 500\r\nhw: 1000\r\n")).toEqual([]);
  });

  it("refuse wrong answers", () => {
    const wrong = [
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1},{"partition":0,"offset":2,"timestamp":1}]}', // value
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1},{"partition":0,"offset":"1","timestamp":1}]}', // type
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1},{"partition":0,"timestamp":1}]}', // missing key
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1},{"partition":0,"offset":1}]}', // missing … key
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1},{"partition":0,"offset":1,"timestamp":1,"x":0}]}', // unshown key
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1}]}', // missing element
      '{"offsets":[{"partition":0,"offset":0,"timestamp":1},{"partition":0,"offset":1,"timestamp":1},{}]}', // extra element
      '{"offsets":{}}',
      '{"error_code":3,"error":"UNKNOWN_TOPIC_OR_PARTITION","message":"…","retriable":true}',
      "",
      "curl: (7) Failed to connect",
    ];
    for (const answer of wrong) expect(answerMismatches(OFFSETS, answer), answer).not.toEqual([]);
    expect(answerMismatches('{"member_id":"m-…"}', '{"member_id":"x-1"}')).not.toEqual([]);
    expect(answerMismatches('{"p":[{"x":1},...]}', '{"p":[]}')).not.toEqual([]);
    expect(answerMismatches('{"p":[{"x":1},...]}', '{"p":[{"x":2}]}')).not.toEqual([]);
    expect(answerMismatches("204", "409")).not.toEqual([]);
    expect(answerMismatches("a: 1\nb: …", "a: 1")).not.toEqual([]);
    expect(answerMismatches("a: 1\nb: …", "b: 2\na: 1")).not.toEqual([]);
  });

  it("read ... as more keys, more elements or any value by where it stands", () => {
    expect(parseTemplate('{"a":...,"b":[1,...],"c":[...,2],...}')).toEqual({
      a: "\u0000any",
      b: [1, "\u0000rest"],
      c: ["\u0000any", 2],
      "\u0000more": 0,
    });
    expect(parseTemplate('{"s":"x...y, {\\"z\\": …}"}')).toEqual({ s: 'x...y, {"z": …}' });
    expect(() => parseTemplate('{"a":1')).toThrow(/not a JSON template/);
  });
});

describe("the quick start as steps", () => {
  const block = [
    "A=1",
    "curl one",
    "# → {\"a\":1,",
    "#   \"b\":2}",
    "#    not a continuation: a comment",
    "curl two",
    "# → 204",
    "echo tail",
  ].join("\n");

  it("cuts the block at the expectations, continuation lines joined", () => {
    const { steps, tail } = parseQuickstart(block);
    expect(steps.map(({ commands, expected, line }) => ({ commands, expected, line }))).toEqual([
      { commands: "A=1\ncurl one", expected: '{"a":1,\n"b":2}', line: 3 },
      { commands: "#    not a continuation: a comment\ncurl two", expected: "204", line: 7 },
    ]);
    expect(tail).toBe("echo tail");
    expect(() => parseQuickstart("curl x   # → 1")).toThrow(/first on its line/);
  });

  it("marks stdout after each expectation and at the end, and cuts it there", () => {
    const script = instrument(block);
    expect(script.split("\n").filter((l) => l.startsWith("printf"))).toEqual([
      "printf '\\n\\036%s\\n' 0",
      "printf '\\n\\036%s\\n' 1",
      "printf '\\n\\036%s\\n' end",
    ]);
    expect(script.split("\n").indexOf("printf '\\n\\036%s\\n' 0")).toBe(4);
    expect(splitOutput('{"a":1,"b":2}\n\u001e0\n\n204\n\n\u001e1\ntail\n\n\u001eend\n')).toEqual({
      outputs: ['{"a":1,"b":2}', "\n204\n"],
      tail: "tail\n",
      ended: true,
    });
    expect(splitOutput("x\n\u001e0\npartial")).toEqual({ outputs: ["x"], tail: "partial", ended: false });
  });

  it("finds the README's block, each expectation a valid template", () => {
    const { steps } = parseQuickstart(quickstartBlock(readFileSync(join(ROOT, "README.md"), "utf8")));
    expect(steps.length).toBeGreaterThanOrEqual(15);
    for (const step of steps) {
      if (/^[[{]/.test(step.expected)) expect(() => parseTemplate(step.expected), step.expected).not.toThrow();
    }
  });
});
