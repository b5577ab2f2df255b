/**
 * Proves the edge's parameter parsers accept only the canonical forms (plain decimal digits in
 * the safe-integer range, the four acks spellings, strict RFC 4648 base64) and answer everything
 * else with the right Kafka error as a value; and that byte encoding for output never throws.
 */
import { describe, expect, it } from "vitest";
import {
  decodeBytes,
  encodeBytes,
  parseAcks,
  parseEncodingParam,
  parseIntParam,
  parseOffsetParam,
  parsePartitionParam,
} from "../../src/api/params.ts";
import type { Result } from "../../src/protocol/errors.ts";

function errorOf<T>(r: Result<T>): string {
  if (r.ok) throw new Error(`expected an error, got ${String(r.value)}`);
  return r.err.error;
}

function valueOf<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected a value, got ${r.err.error}: ${r.err.message}`);
  return r.value;
}

describe("parseOffsetParam", () => {
  it("accepts non-negative decimal integers up to MAX_SAFE_INTEGER, earliest and latest", () => {
    expect(valueOf(parseOffsetParam("0"))).toBe(0);
    expect(valueOf(parseOffsetParam("42"))).toBe(42);
    expect(valueOf(parseOffsetParam("9007199254740991"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(valueOf(parseOffsetParam("earliest"))).toBe("earliest");
    expect(valueOf(parseOffsetParam("latest"))).toBe("latest");
  });

  it.each(["-3", "1.5", "0x10", "9007199254740992", "1e3", " 1", "1 ", "", "+1", "EARLIEST", "٣"])(
    "refuses %j with INVALID_REQUEST",
    (raw) => {
      expect(errorOf(parseOffsetParam(raw))).toBe("INVALID_REQUEST");
    },
  );

  it("refuses a missing offset", () => {
    expect(errorOf(parseOffsetParam(undefined))).toBe("INVALID_REQUEST");
  });
});

describe("parseIntParam", () => {
  const spec = { name: "max_records", min: 1, max: 10_000, default: 500 };

  it("uses the default only when the parameter is absent", () => {
    expect(valueOf(parseIntParam(undefined, spec))).toBe(500);
    expect(errorOf(parseIntParam("", spec))).toBe("INVALID_REQUEST");
  });

  it("accepts the bounds and refuses one past them, naming the parameter", () => {
    expect(valueOf(parseIntParam("1", spec))).toBe(1);
    expect(valueOf(parseIntParam("10000", spec))).toBe(10_000);
    const r = parseIntParam("10001", spec);
    expect(errorOf(r)).toBe("INVALID_REQUEST");
    expect(r.ok ? "" : r.err.message).toContain("max_records");
    expect(errorOf(parseIntParam("0", spec))).toBe("INVALID_REQUEST");
  });

  it.each(["1.5", "0x10", "1e3", " 1", "+5", "-1", "9007199254740993"])("refuses %j", (raw) => {
    expect(errorOf(parseIntParam(raw, { name: "n", min: 0, max: Number.MAX_SAFE_INTEGER }))).toBe("INVALID_REQUEST");
  });

  it("accepts a sign only when min is negative", () => {
    expect(valueOf(parseIntParam("-1", { name: "t", min: -2, max: 5 }))).toBe(-1);
  });

  it("is required when no default is given, and can answer with a chosen error", () => {
    expect(errorOf(parseIntParam(undefined, { name: "n", min: 0, max: 1 }))).toBe("INVALID_REQUEST");
    expect(errorOf(parseIntParam("0", { name: "max_bytes", min: 1, max: 9, errorName: "INVALID_FETCH_SIZE" }))).toBe(
      "INVALID_FETCH_SIZE",
    );
  });
});

describe("parseAcks", () => {
  it("maps all/-1 to -1, 1 to 1, 0 to 0, and absent to all", () => {
    expect(valueOf(parseAcks("all"))).toBe(-1);
    expect(valueOf(parseAcks("-1"))).toBe(-1);
    expect(valueOf(parseAcks("1"))).toBe(1);
    expect(valueOf(parseAcks("0"))).toBe(0);
    expect(valueOf(parseAcks(undefined))).toBe(-1);
  });

  it.each(["2", "", "ALL", "-2", "01", "one"])("refuses %j with INVALID_REQUIRED_ACKS", (raw) => {
    expect(errorOf(parseAcks(raw))).toBe("INVALID_REQUIRED_ACKS");
  });
});

describe("parsePartitionParam", () => {
  it("accepts non-negative integers", () => {
    expect(valueOf(parsePartitionParam("0"))).toBe(0);
    expect(valueOf(parsePartitionParam("999"))).toBe(999);
  });

  it("answers a negative or beyond-int32 integer with UNKNOWN_TOPIC_OR_PARTITION", () => {
    expect(errorOf(parsePartitionParam("-1"))).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(errorOf(parsePartitionParam("2147483648"))).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });

  it.each(["1.5", "abc", "", "0x1", " 1", "1e2"])("answers a non-integer %j with INVALID_REQUEST", (raw) => {
    expect(errorOf(parsePartitionParam(raw))).toBe("INVALID_REQUEST");
  });
});

describe("parseEncodingParam", () => {
  it("defaults to utf8, accepts base64, refuses anything else", () => {
    expect(valueOf(parseEncodingParam(undefined))).toBe("utf8");
    expect(valueOf(parseEncodingParam("base64"))).toBe("base64");
    expect(errorOf(parseEncodingParam("hex"))).toBe("INVALID_REQUEST");
  });
});

describe("decodeBytes", () => {
  const bytes = (...b: number[]) => new Uint8Array(b);

  it("keeps null and absent as null", () => {
    expect(valueOf(decodeBytes(null, "utf8"))).toBeNull();
    expect(valueOf(decodeBytes(undefined, "base64"))).toBeNull();
  });

  it("encodes utf8 text to its UTF-8 bytes, the empty string to zero bytes", () => {
    expect(valueOf(decodeBytes("é🦀", "utf8"))).toEqual(new TextEncoder().encode("é🦀"));
    expect(valueOf(decodeBytes("", "utf8"))).toEqual(bytes());
  });

  it("refuses a lone surrogate rather than silently replacing it", () => {
    expect(errorOf(decodeBytes("a\ud800b", "utf8"))).toBe("INVALID_REQUEST");
  });

  it("decodes canonical padded base64", () => {
    expect(valueOf(decodeBytes("", "base64"))).toEqual(bytes());
    expect(valueOf(decodeBytes("YQ==", "base64"))).toEqual(bytes(0x61));
    expect(valueOf(decodeBytes("YWI=", "base64"))).toEqual(bytes(0x61, 0x62));
    expect(valueOf(decodeBytes("YWJj", "base64"))).toEqual(bytes(0x61, 0x62, 0x63));
    expect(valueOf(decodeBytes("+/8=", "base64"))).toEqual(bytes(0xfb, 0xff));
  });

  it.each(["abc", "a===", "YW Jj", "@@@@", "YQ", "YQ=", "Y===", "YWJj\n", "YW-j", "YW_j", "YR==", "YWJ=x"])(
    "refuses invalid base64 %j with INVALID_REQUEST naming the field",
    (raw) => {
      const r = decodeBytes(raw, "base64", "key");
      expect(errorOf(r)).toBe("INVALID_REQUEST");
      expect(r.ok ? "" : r.err.message).toMatch(/^key /);
    },
  );

  it("refuses a non-string value", () => {
    expect(errorOf(decodeBytes(42, "utf8", "headers.h"))).toBe("INVALID_REQUEST");
  });
});

describe("encodeBytes", () => {
  it("keeps null as null", () => {
    expect(encodeBytes(null, "utf8")).toBeNull();
  });

  it("replaces invalid UTF-8 with U+FFFD instead of throwing, and keeps a leading BOM", () => {
    expect(encodeBytes(new Uint8Array([0x61, 0xff, 0x62]), "utf8")).toBe("a\ufffdb");
    expect(encodeBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), "utf8")).toBe("\ufeffa");
  });

  it("round-trips every byte value through base64, including bodies larger than one btoa chunk", () => {
    const all = new Uint8Array(100_000).map((_, i) => (i * 7919) & 0xff);
    const text = encodeBytes(all, "base64")!;
    expect(text).toBe(Buffer.from(all).toString("base64"));
    expect(valueOf(decodeBytes(text, "base64"))).toEqual(all);
  });
});
