/**
 * The Durable Streams door's names (src/doors/durable-streams/names.ts): a stream path maps to a
 * valid topic name and back, the map is prefix-preserving both ways (what makes a prefixed ACL
 * on a prefix's topic cover exactly the streams under that prefix), and offset tokens sort as
 * their positions do. Seeded fast-check runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pathOf, positionOf, tokenOf, topicOf } from "../../src/doors/durable-streams/names.ts";
import { validateTopicName } from "../../src/protocol/config.ts";

const paths = fc.string({ unit: "binary", maxLength: 40 }).map((s) => `/${s}`);
const SEED = { seed: 18, numRuns: 500 };

describe("Durable Streams stream names", () => {
  it("every stream path maps to a valid topic name that maps back to the same path", () => {
    fc.assert(
      fc.property(paths, (p) => {
        const topic = topicOf(p)!;
        expect(validateTopicName(topic).ok).toBe(true);
        expect(pathOf(topic)).toBe(p);
      }),
      SEED,
    );
  });

  it("a path starts with a prefix exactly when its topic starts with the prefix's topic", () => {
    fc.assert(
      fc.property(paths, paths, (prefix, p) => {
        expect(topicOf(p)!.startsWith(topicOf(prefix)!)).toBe(p.startsWith(prefix));
        expect(topicOf(prefix + p.slice(1))!.startsWith(topicOf(prefix)!)).toBe(true);
      }),
      SEED,
    );
  });

  it("a path whose topic name would pass 249 characters has none (the door answers 400)", () => {
    expect(topicOf(`/${"é".repeat(60)}`)).toBeNull();
  });

  it("tokens sort as their positions and parse back; anything else is not a token", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(positionOf(tokenOf(a))).toBe(a);
        expect(Math.sign(tokenOf(a).localeCompare(tokenOf(b)))).toBe(Math.sign(a - b));
      }),
      SEED,
    );
    for (const bad of ["", "-1", "now", "12", "0_0", "0000000000000000_000000000000000x", "../etc"]) expect(positionOf(bad)).toBeNull();
  });
});
