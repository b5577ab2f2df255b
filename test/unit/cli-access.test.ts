/**
 * The CLI's spelling of ACL entries and quotas (src/client/cli/access.ts): an `--acl` word is
 * the API's entry and `aclText` gives it back (names may be empty or hold colons); quota edits
 * set, remove (`default`) and keep the others; every malformed word is a usage error (exit 2),
 * including names that are properties of every object.
 */
import { describe, expect, it } from "vitest";
import { EXIT, parseArgs } from "../../src/client/cli/args.ts";
import { aclText, applyQuotaEdits, parseAcl, parseRole, quotaEdits } from "../../src/client/cli/access.ts";

const usageError = (f: () => unknown, message: RegExp) =>
  expect(f).toThrow(expect.objectContaining({ exitCode: EXIT.usage, message: expect.stringMatching(message) }));

describe("--acl words", () => {
  it("parse into the API's entry and print back the same word, with empty names and names holding colons", () => {
    for (const word of ["topic:prefixed:orders.:write:allow", "group:prefixed::read:allow", "topic:literal:a:b::c:describe:deny", "cluster:literal:kafka-cluster:all:allow"]) {
      expect(aclText(parseAcl(word))).toBe(word);
    }
    expect(parseAcl("topic:literal:a:b::c:describe:deny")).toEqual({ resource_type: "topic", pattern_type: "literal", name: "a:b::c", operation: "describe", permission: "deny" });
  });

  it("refuse too few fields and every unknown word, naming the field", () => {
    usageError(() => parseAcl("topic:literal:x:read"), /^--acl takes resource:pattern:name:operation:permission/);
    usageError(() => parseAcl("queue:literal:x:read:allow"), /resource must be one of topic, group, cluster, producer, got "queue"/);
    usageError(() => parseAcl("topic:glob:x:read:allow"), /pattern must be one of literal, prefixed, got "glob"/);
    usageError(() => parseAcl("topic:literal:x:toString:allow"), /operation must be one of read, .* got "toString"/);
    usageError(() => parseAcl("topic:literal:x:read:maybe"), /permission must be one of allow, deny, got "maybe"/);
    usageError(() => parseRole("owner"), /^--role must be one of admin, producer, consumer, got "owner"$/);
  });
});

describe("quota edits", () => {
  const edits = (...values: string[]) => quotaEdits(parseArgs(values.flatMap((v) => ["--set", v]), { set: { value: true, repeat: true } }, "t"), "set");

  it("set the named quotas, remove those set to default and keep the others", () => {
    expect(edits()).toBeUndefined();
    expect(applyQuotaEdits({ topics: 3, storage_bytes: 10 }, edits("topics=5", "storage_bytes=default", "requests_per_s=0")!)).toEqual({ topics: 5, requests_per_s: 0 });
  });

  it("refuse unknown names (also inherited properties), negative, fractional and unsafe values", () => {
    for (const bad of ["bytes=1", "constructor=1", "__proto__=1", "=1", "topics"]) usageError(() => edits(bad), /^--set takes quota=value with quota one of /);
    for (const bad of ["topics=-1", "topics=1.5", "topics=1e3", "topics=9007199254740993", "topics="]) usageError(() => edits(bad), /^--set topics must be an integer ≥ 0 or "default"/);
  });
});
