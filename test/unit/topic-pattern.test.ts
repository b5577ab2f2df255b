/**
 * topic_pattern in linear time (src/groups/topic-pattern.ts) and in the group rules: the
 * supported syntax matches as a whole-name JavaScript RegExp would (checked against RegExp on
 * generated names); `(a+)+` against a long name answers at once (no backtracking); `x)|(.*`
 * cannot escape the anchoring (syntax error); unsupported constructs are refused clearly.
 */
import { describe, expect, it } from "vitest";
import { TopicPattern } from "../../src/groups/topic-pattern.ts";
import { ConsumerGroup } from "../../src/groups/membership.ts";
import { emptyGroupState } from "../../src/groups/group-state.ts";
import { FakeClock } from "../support/fake-clock.ts";

const compile = (s: string) => {
  const r = TopicPattern.compile(s);
  if (!r.ok) throw new Error(r.err.message);
  return r.value;
};

const PATTERNS = ["orders\\..*", "(a|b)+c?", "a*", "[a-c0-9]+\\.x", "[^.]+", "(?:eu|us)-\\d+", "^logs-.*$", "a.b", "(a*)*b", "\\w+-[x-z]", ""];
const NAMES = ["orders.eu", "orders", "abc", "ab", "aab", "", "a", "b", "c1.x", "eu-12", "us-", "logs-1", "logs", "axb", "aaaab", "x-y", "foo_1-z", "orders.", "a.b.c"];

describe("topic patterns", () => {
  it("match exactly what an anchored RegExp matches, on every sample name", () => {
    for (const p of PATTERNS.filter((p) => p !== "")) {
      const re = new RegExp(`^(?:${p.replace(/^\^/, "").replace(/\$$/, "")})$`);
      const tp = compile(p);
      for (const n of NAMES) expect(tp.test(n), `${p} vs "${n}"`).toBe(re.test(n));
    }
  });

  it("(a+)+ against a 249-character name answers without backtracking (a backtracking engine would not finish)", () => {
    expect(compile("(a+)+").test("a".repeat(248) + "!")).toBe(false);
    expect(compile("(a|aa)+$").test("a".repeat(249))).toBe(true);
    expect(compile("(a*)*b").test("a".repeat(249))).toBe(false);
  });

  it("x)|(.* cannot escape the whole-name anchoring: it is a syntax error", () => {
    const r = TopicPattern.compile("x)|(.*");
    expect(r.ok).toBe(false);
  });

  it("refuses backreferences, lookaround, counted repeats, lazy quantifiers, empty and over-long patterns", () => {
    for (const p of ["(a)\\1", "(?=a)a", "a{2,3}", "a*?", "", "a".repeat(1001), "[a-", "(ab", "\\"]) expect(TopicPattern.compile(p).ok, p).toBe(false);
  });

  it("a group subscribed by a pattern gets only the topics the pattern matches", () => {
    let n = 0;
    const g = new ConsumerGroup(emptyGroupState("g", undefined, { "orders.eu": 1, "orders.us": 1, audit: 1 }), { clock: new FakeClock(), newMemberId: () => `m${++n}` });
    const joined = g.join({ topicPattern: "orders\\..*" });
    expect(joined.ok).toBe(true);
    expect(g.resolvedTopics(g.state.members["m1"]!)).toEqual(["orders.eu", "orders.us"]);
    const evil = g.join({ topicPattern: "x)|(.*" });
    expect(evil.ok ? "" : evil.err.error).toBe("INVALID_REQUEST");
  });
});
