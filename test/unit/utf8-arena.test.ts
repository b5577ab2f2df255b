/**
 * Utf8Arena (src/api/utf8-arena.ts) hands out each string's exact UTF-8 bytes (what
 * TextEncoder.encode gives) whatever the size hint, and a view handed out earlier keeps its bytes
 * after any later string, also when the later ones overflow into new chunks.
 */
import { describe, expect, it } from "vitest";
import { Utf8Arena } from "../../src/api/utf8-arena.ts";
import { Prng } from "../support/prng.ts";

const PIECES = ["a", "Z", "0", " ", "ü", "€", "😀", "\u0000", "\u07ff", "\u0800", "\uffff", "\u{10ffff}"];

function randomString(prng: Prng): string {
  const n = prng.int(0, prng.int(0, 1) === 0 ? 20 : 30_000);
  let s = "";
  for (let i = 0; i < n; i++) s += PIECES[prng.int(0, PIECES.length - 1)];
  return s;
}

describe("Utf8Arena", () => {
  it("gives every string its exact UTF-8 bytes, and earlier views keep theirs, for any size hint", () => {
    const utf8 = new TextEncoder();
    for (const hint of [0, 1, 7, 100, 70_000, 10_000_000]) {
      const prng = new Prng(hint + 1);
      const arena = new Utf8Arena(hint);
      const strings = Array.from({ length: 60 }, () => randomString(prng));
      const views = strings.map((s) => arena.encode(s));
      strings.forEach((s, i) => expect(Buffer.from(views[i]!).equals(Buffer.from(utf8.encode(s))), `hint ${hint}, string ${i}`).toBe(true));
    }
  });
});
