/**
 * The mutant harness (chaos/mutants.ts, issue 16) stays applicable: every known-bad mutant's text
 * occurs exactly once in today's source, so `npm run mutants` mutates what it claims to. (Whether
 * each mutant is caught is the harness' own run, in .ci/run.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MUTANTS, mutate } from "../../chaos/mutants.ts";

const ROOT = join(import.meta.dirname, "..", "..");

describe("known-bad mutants", () => {
  it("cover the five broken guarantees of issue 16, each with a detector", () => {
    expect(MUTANTS.map((m) => m.name)).toEqual(["acks-all-early", "hw-past-unacked-follower", "truncate-by-hw", "dedupe-off", "handover-before-release"]);
    for (const m of MUTANTS) expect(m.detectors.length).toBeGreaterThan(0);
  });

  it.each(MUTANTS.map((m) => [m.name, m] as const))("%s applies to exactly one place of today's source and changes it", (_name, m) => {
    const text = readFileSync(join(ROOT, m.file), "utf8");
    const mutated = mutate(text, m);
    expect(mutated).not.toBe(text);
    expect(mutated.length).toBe(text.length - m.find.length + m.replace.length);
  });

  it("a mutant whose text is gone is refused, not skipped", () => {
    expect(() => mutate("nothing here", MUTANTS[0]!)).toThrow(/occurs nowhere/);
  });
});
