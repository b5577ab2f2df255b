/**
 * bench/report.ts: the bench run's closing JSON summary as a markdown section (between marker
 * lines of docs/benchmarks.md) and an SVG chart. Files go to a temporary folder, never docs/.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { headline, type Headline } from "../../bench/harness.ts";
import {
  BAR_COLOUR,
  BEGIN_MARKER,
  END_MARKER,
  FLOOR_COLOUR,
  SECTION_HEADING,
  renderMarkdown,
  renderSvg,
  writeReport,
  type BenchSummary,
} from "../../bench/report.ts";
import { headlines, type Results } from "../../bench/results.ts";
import { printTables } from "../../bench/tables.ts";

const ROOT = join(import.meta.dirname, "..", "..");

function hl(name: string, records_per_s: number, extra: Partial<Headline> = {}): Headline {
  return { name, records: 200_000, records_per_s, mb_per_s: records_per_s / 10_000, avg_ms: 9.2817, max_ms: 1234.5, p50_ms: 8.19, p95_ms: 14.12, p99_ms: 24.47, p99_9_ms: 98.765, ...extra };
}

/** Shaped like `headlines(results)` of bench/results.ts, figures from a real run. */
function fixture(): BenchSummary {
  return {
    bench: "flarelog",
    schema: 1,
    date: "2026-11-25T17:06:42.589Z",
    mode: "default",
    commit: "659846d527e93c0ffee0123456789abcdef01234",
    dirty: true,
    duration_s: 1234.5,
    workloads: [
      hl("baseline GET /health", 1_520),
      hl("produce 100x100B acks=1 RF1 1p conc=1", 10_773),
      hl("produce 100x100B acks=1 RF1 1p conc=8", 17_700),
      hl("fetch catch-up 100000 records max_records=500", 31_484),
      hl("fetch random offset, log of 1000000 records, max_records=100", 512_345),
      hl("replication produce 100x100B acks=all RF3 conc=8", 143),
      hl("idempotence idle", 0),
      hl("floor write 100x100B conc=1", 16_081),
      hl("floor read max_records=500", 65_948),
    ],
    fetch_vs_log_size: { ratio_p50: 1.02, ratio_p99: 1.3, ratio_mean: 1.1 },
    floor_ratios: [
      { workload: "produce acks=1 RF 1 conc 1", flarelog_records_per_s: 10_773, floor_records_per_s: 16_081, throughput_ratio: 0.67, p50_ratio: 1.56 },
      { workload: "fetch catch-up max_records=500", flarelog_records_per_s: 31_484, floor_records_per_s: 65_948, throughput_ratio: 0.48, p50_ratio: 1.9 },
    ],
    memory_mib: {
      produce: { rss_start: 111.1, rss_peak: 157.2, growth: 46.1, anon_end: 99.4 },
      idempotence: { rss_start: 157.2, rss_peak: 187.4, growth: 30.3, anon_end: 129.5 },
    },
    memory_scenario: { largest_produce_bytes: 8_388_608, peak_rss_mib: 190.5, produce_peak_rss_mib: [[1024, 120.5]], fill: { records: 924_000, rss_start_mib: 150 } },
  };
}

/** The rows of every markdown table whose header row starts with `| first |`, as cell arrays. */
function tableRows(md: string, first: string): string[][] {
  const lines = md.split("\n");
  const rows: string[][] = [];
  for (let h = 0; h < lines.length; h++) {
    if (!lines[h]!.startsWith(`| ${first} |`)) continue;
    for (h += 2; h < lines.length && lines[h]!.startsWith("|"); h++)
      rows.push(lines[h]!.slice(2, -2).split(/(?<!\\) \| /).map((c) => c.replace(/\\\|/g, "|")));
  }
  return rows;
}

/**
 * A small XML well-formedness check (no parser in the dependencies): one root element, tags
 * nested and closed in order, quoted attributes without raw `<`, no duplicate attributes, and
 * only the predefined or numeric entities; no raw `<` or `&` in text.
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkText = (t: string, where: string) => {
    for (let i = 0; i < t.length; i++) {
      if (t[i] === "<") problems.push(`raw < in ${where}`);
      if (t[i] === "&") {
        entity.lastIndex = i;
        if (!entity.test(t)) problems.push(`bad entity in ${where}: ${t.slice(i, i + 12)}`);
      }
    }
  };
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const name = "[A-Za-z_:][-A-Za-z0-9_:.]*";
  const tag = new RegExp(`<(/?)(${name})((?:\\s+${name}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`, "y");
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== "") problems.push(`text outside the root: ${text.trim().slice(0, 20)}`);
    checkText(text, "text");
    if (lt < 0) break;
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt);
      if (end < 0) return [...problems, "unclosed comment"];
      i = end + 3;
      continue;
    }
    if (xml.startsWith("<?xml", lt)) {
      const end = xml.indexOf("?>", lt);
      if (end < 0 || lt !== 0) return [...problems, "misplaced XML declaration"];
      i = end + 2;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) return [...problems, `malformed tag at ${lt}: ${xml.slice(lt, lt + 30)}`];
    const [whole, close, tagName, attrs, selfClose] = m;
    const seen = new Set<string>();
    for (const a of attrs!.matchAll(new RegExp(`(${name})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "g"))) {
      if (seen.has(a[1]!)) problems.push(`duplicate attribute ${a[1]}`);
      seen.add(a[1]!);
      checkText(a[2] ?? a[3] ?? "", `attribute ${a[1]}`);
    }
    if (close) {
      if (attrs || selfClose) problems.push(`bad closing tag ${whole}`);
      if (stack.pop() !== tagName) problems.push(`</${tagName}> closes the wrong element`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClose) stack.push(tagName!);
    }
    i = lt + whole.length;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(", ")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

interface Bar {
  width: number;
  fill: string;
  cls: string;
}
const bars = (svg: string): Bar[] =>
  [...svg.matchAll(/<rect class="(bar[^"]*)"[^>]*? width="([\d.]+)"[^>]*? fill="([^"]+)"/g)].map((m) => ({ cls: m[1]!, width: Number(m[2]), fill: m[3]! }));
const rowLabels = (svg: string): string[] => [...svg.matchAll(/<g class="row">\n<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
const svgHeight = (svg: string): number => Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);

describe("renderMarkdown", () => {
  it("starts with the generated heading and names date, mode, the 12-char commit, dirty, duration, and that it is generated", () => {
    const md = renderMarkdown(fixture());
    expect(md.split("\n")[0]).toBe(SECTION_HEADING);
    expect(md).toContain("2026-11-25T17:06:42.589Z");
    expect(md).toContain("mode default");
    expect(md).toContain("`659846d527e9`");
    expect(md).not.toContain("659846d527e93");
    expect(md).toContain("dirty");
    expect(md).toContain("1,234.5 s");
    expect(md).toMatch(/npm run bench.*do not edit/);
    expect(md).toContain("![Throughput by workload](benchmarks-throughput.svg)");
    expect(md.endsWith("\n")).toBe(true);
    expect(renderMarkdown({ ...fixture(), dirty: false })).not.toContain("dirty");
  });

  it("every workload of the summary appears as one table row with its records/s and Kafka's perf-test fields", () => {
    const s = fixture();
    const rows = tableRows(renderMarkdown(s), "workload").filter((r) => r.length === 10);
    expect(rows.map((r) => r[0])).toEqual(s.workloads.map((w) => w.name));
    for (const [i, w] of s.workloads.entries()) {
      expect(rows[i]).toHaveLength(10);
      expect(rows[i]![2]).toBe(w.records_per_s.toLocaleString("en-US"));
    }
    const md = renderMarkdown(s);
    expect(md).toContain("| workload | records | records/s | MB/s | avg ms | max ms | p50 ms | p95 ms | p99 ms | p99.9 ms |");
  });

  it("numbers carry en-US thousands separators and ms at most 2 decimals", () => {
    const rows = tableRows(renderMarkdown(fixture()), "workload").filter((r) => r.length === 10);
    const row = rows.find((r) => r[0] === "fetch random offset, log of 1000000 records, max_records=100")!;
    expect(row.slice(1)).toEqual(["200,000", "512,345", "51.23", "9.28", "1,234.5", "8.19", "14.12", "24.47", "98.77"]);
    for (const r of rows) for (const c of r.slice(1)) expect(c).toMatch(/^(\d{1,3}(,\d{3})*(\.\d{1,2})?|–)$/);
  });

  it("the floor-ratio table has one row per ratio, and is absent without ratios", () => {
    const s = fixture();
    const rows = tableRows(renderMarkdown(s), "workload").filter((r) => r.length === 5);
    expect(rows).toEqual([
      ["produce acks=1 RF 1 conc 1", "10,773", "16,081", "0.67×", "1.56×"],
      ["fetch catch-up max_records=500", "31,484", "65,948", "0.48×", "1.90×"],
    ]);
    const { floor_ratios: _, ...without } = s;
    expect(renderMarkdown(without as BenchSummary)).not.toContain("Flarelog records/s");
    expect(renderMarkdown({ ...s, floor_ratios: [] })).not.toContain("Flarelog records/s");
  });

  it("the memory table has one row per block with RSS start, peak and growth in MiB", () => {
    expect(tableRows(renderMarkdown(fixture()), "block")).toEqual([
      ["produce", "111.1", "157.2", "46.1"],
      ["idempotence", "157.2", "187.4", "30.3"],
    ]);
    expect(renderMarkdown({ ...fixture(), memory_mib: {} })).not.toContain("| block |");
  });

  it("unknown extra keys (e2e, targets, nulls, nesting) are rendered and never make it throw", () => {
    const s: BenchSummary = {
      ...fixture(),
      e2e: [{ name: "workers.dev produce", p50_ms: 41.5, records_per_s: 2500 }],
      targets: { produce_records_per_s: { min: 5000, met: true } },
      nothing: null,
      list: [1, [2, 3]],
      empty: {},
    };
    const md = renderMarkdown(s);
    expect(tableRows(md, "name")).toEqual([["workers.dev produce", "41.5", "2,500"]]);
    expect(md).toContain("`targets.produce_records_per_s.min`: 5,000");
    expect(md).toContain("`targets.produce_records_per_s.met`: true");
    expect(md).toContain("`nothing`: null");
    expect(md).toContain("`list`: `[1,[2,3]]`");
    expect(md).toContain("`memory_scenario.fill.records`: 924,000");
  });

  it("a summary missing fields or holding wrong types still renders (dashes), and every workload row keeps 10 cells", () => {
    const broken = { date: 5, mode: undefined, commit: null, workloads: [{ name: "half", records_per_s: "fast" }], memory_mib: { x: null }, floor_ratios: "no" } as unknown as BenchSummary;
    const md = renderMarkdown(broken);
    expect(md.startsWith(SECTION_HEADING)).toBe(true);
    expect(tableRows(md, "workload")).toEqual([["half", "–", "–", "–", "–", "–", "–", "–", "–", "–"]]);
    expect(() => renderMarkdown({} as BenchSummary)).not.toThrow();
    expect(() => renderSvg(broken)).not.toThrow();
    expect(xmlProblems(renderSvg({} as BenchSummary))).toEqual([]);
  });

  it("a workload name with | or newlines stays one table cell", () => {
    const md = renderMarkdown({ ...fixture(), floor_ratios: [], workloads: [hl("a | b\nc", 10)] });
    expect(tableRows(md, "workload")).toEqual([["a | b c", "200,000", "10", "0", "9.28", "1,234.5", "8.19", "14.12", "24.47", "98.77"]]);
  });
});

describe("renderSvg", () => {
  it("is well-formed XML, self-contained (no script, no external references, sans-serif)", () => {
    const svg = renderSvg(fixture());
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href=|@import|url\(|@font-face|\son[a-z]+=/i);
    expect(svg).toContain('font-family="sans-serif"');
  });

  it("the XML check fails on a raw < or & and on misnested tags, so the check above means something", () => {
    expect(xmlProblems("<svg><text>a < b</text></svg>")).not.toEqual([]);
    expect(xmlProblems("<svg><text>a & b</text></svg>")).not.toEqual([]);
    expect(xmlProblems('<svg><text x="<">a</text></svg>')).not.toEqual([]);
    expect(xmlProblems("<svg><g><text>a</g></text></svg>")).not.toEqual([]);
    expect(xmlProblems("<svg/><svg/>")).not.toEqual([]);
    expect(xmlProblems('<svg a="1"><text>a &amp; b &#x3c;</text><rect/></svg>')).toEqual([]);
  });

  it("labels with < & \" ' are escaped so the SVG parses, and read back as the names", () => {
    const names = ["odd <name> & co", `quote " and ' apos`, "floor </text><script>x</script>"];
    const svg = renderSvg({ ...fixture(), commit: "<&>", mode: "a&b", workloads: names.map((n, i) => hl(n, 100 * 10 ** i)) });
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain("<script");
    const unescape = (t: string) => t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
    expect(rowLabels(svg).map(unescape)).toEqual(names);
  });

  it("one bar per workload with records_per_s > 0, in the summary's order", () => {
    const s = fixture();
    const svg = renderSvg(s);
    const positive = s.workloads.filter((w) => w.records_per_s > 0);
    expect(positive.length).toBeLessThan(s.workloads.length);
    expect(bars(svg)).toHaveLength(positive.length);
    expect(rowLabels(svg)).toEqual(positive.map((w) => w.name));
    for (const w of positive) expect(svg).toContain(`>${w.records_per_s.toLocaleString("en-US")}</text>`);
  });

  it("bar lengths are monotonic in records/s (log scale), every bar longer than zero", () => {
    const s = fixture();
    const positive = s.workloads.filter((w) => w.records_per_s > 0);
    const b = bars(renderSvg(s));
    const pairs = positive.map((w, i) => [w.records_per_s, b[i]!.width] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < pairs.length; i++) expect(pairs[i]![1]).toBeGreaterThan(pairs[i - 1]![1]);
    expect(pairs[0]![1]).toBeGreaterThan(0);
  });

  it("a tenfold throughput adds the same bar length anywhere on the axis (log10, not linear)", () => {
    const values = [150, 1_500, 15_000, 150_000];
    const w = bars(renderSvg({ ...fixture(), workloads: values.map((v, i) => hl(`w${i}`, v)) })).map((x) => x.width);
    const steps = w.slice(1).map((x, i) => x - w[i]!);
    for (const d of steps) expect(Math.abs(d - steps[0]!)).toBeLessThanOrEqual(0.2);
    expect(steps[0]).toBeGreaterThan(50);
  });

  it("gridlines are labelled at every power of 10 from below the smallest to above the largest throughput", () => {
    const svg = renderSvg(fixture());
    const ticks = [...svg.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(["100", "1,000", "10,000", "100,000", "1,000,000"]);
    expect([...svg.matchAll(/<line class="decade"/g)]).toHaveLength(ticks.length);
    // A smallest value that is itself a power of 10 still gets a bar: the axis starts a decade below.
    const exact = renderSvg({ ...fixture(), workloads: [hl("a", 1_000), hl("b", 10_000)] });
    expect(bars(exact)[0]!.width).toBeGreaterThan(0);
    expect([...exact.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual(["100", "1,000", "10,000"]);
  });

  it("floor workloads (names starting with \"floor \") are drawn in another colour than Flarelog's", () => {
    const s = fixture();
    const positive = s.workloads.filter((w) => w.records_per_s > 0);
    const b = bars(renderSvg(s));
    expect(FLOOR_COLOUR).not.toBe(BAR_COLOUR);
    positive.forEach((w, i) => expect(b[i]!.fill).toBe(w.name.startsWith("floor ") ? FLOOR_COLOUR : BAR_COLOUR));
    expect(renderSvg({ ...s, workloads: [hl("produce", 10)] })).not.toContain(FLOOR_COLOUR);
  });

  it("the title names date, mode and the 12-char commit; the height grows 16 px per bar", () => {
    const svg = renderSvg(fixture());
    expect(svg).toContain("2026-11-25T17:06:42.589Z · mode default · commit 659846d527e9 (dirty)");
    const h = (n: number) => svgHeight(renderSvg({ ...fixture(), workloads: Array.from({ length: n }, (_, i) => hl(`w${i}`, 100 + i)) }));
    expect(h(20) - h(10)).toBe(160);
    expect(h(1)).toBeGreaterThan(16);
  });
});

describe("writeReport", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-report-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const before = "# Benchmarks\r\n\nProse that quotes the marker inline: `<!-- bench:generated:begin -->` stays prose.\n\n";
  const after = "\n## Method\n\nMore text, trailing spaces   \n\n\n";
  const paths = () => ({ markdownPath: join(dir, "benchmarks.md"), svgPath: join(dir, "benchmarks-throughput.svg") });

  it("text outside the generated markers is left byte-for-byte unchanged, the markers kept", async () => {
    const p = paths();
    await writeFile(p.markdownPath, `${before}${BEGIN_MARKER}\nold generated text\n| a | b |\n${END_MARKER}${after}`);
    await writeReport(fixture(), p);
    const text = await readFile(p.markdownPath, "utf8");
    expect(text.startsWith(`${before}${BEGIN_MARKER}\n${SECTION_HEADING}\n`)).toBe(true);
    expect(text.endsWith(`\n${END_MARKER}${after}`)).toBe(true);
    expect(text).not.toContain("old generated text");
    expect(text.slice(before.length + BEGIN_MARKER.length + 1, text.length - after.length - END_MARKER.length)).toBe(renderMarkdown(fixture()));
  });

  it("without markers the section is appended with its markers, the existing text unchanged", async () => {
    const p = paths();
    const original = "# Benchmarks\n\nNo trailing newline";
    await writeFile(p.markdownPath, original);
    await writeReport(fixture(), p);
    const text = await readFile(p.markdownPath, "utf8");
    expect(text.startsWith(original)).toBe(true);
    expect(text.slice(original.length)).toBe(`\n\n${BEGIN_MARKER}\n${renderMarkdown(fixture())}${END_MARKER}\n`);
  });

  it("a second run replaces the section instead of adding one, and the same summary gives the same bytes", async () => {
    const p = paths();
    await writeFile(p.markdownPath, before);
    await writeReport({ ...fixture(), mode: "quick" }, p);
    await writeReport(fixture(), p);
    const once = await readFile(p.markdownPath, "utf8");
    await writeReport(fixture(), p);
    const twice = await readFile(p.markdownPath, "utf8");
    expect(twice).toBe(once);
    expect(twice.split(SECTION_HEADING)).toHaveLength(2);
    expect(twice).not.toContain("mode quick");
    expect(twice.startsWith(before)).toBe(true);
  });

  it("writes the chart as renderSvg gives it, links it relative to the markdown file, and leaves no temporary files", async () => {
    const p = { markdownPath: join(dir, "docs", "benchmarks.md"), svgPath: join(dir, "docs", "img", "chart.svg") };
    await writeReport(fixture(), p);
    expect(await readFile(p.svgPath, "utf8")).toBe(renderSvg(fixture()));
    expect(await readFile(p.markdownPath, "utf8")).toContain("![Throughput by workload](img/chart.svg)");
    expect((await readdir(join(dir, "docs"))).sort()).toEqual(["benchmarks.md", "img"]);
    expect(await readdir(join(dir, "docs", "img"))).toEqual(["chart.svg"]);
  });

  it("unpaired, repeated or reversed markers are refused and neither file is written", async () => {
    const p = paths();
    for (const bad of [`${before}${BEGIN_MARKER}\nx\n`, `${END_MARKER}\n${BEGIN_MARKER}\n`, `${BEGIN_MARKER}\n${END_MARKER}\n${BEGIN_MARKER}\n${END_MARKER}\n`]) {
      await writeFile(p.markdownPath, bad);
      await expect(writeReport(fixture(), p)).rejects.toThrow(/bench:generated/);
      expect(await readFile(p.markdownPath, "utf8")).toBe(bad);
      expect(await readdir(dir)).toEqual(["benchmarks.md"]);
    }
  });

  it("the repository's docs/benchmarks.md keeps everything outside the markers (checked in memory, docs/ not written)", async () => {
    const docs = readFileSync(join(ROOT, "docs", "benchmarks.md"), "utf8");
    const p = paths();
    await writeFile(p.markdownPath, docs);
    await writeReport(fixture(), p);
    const text = await readFile(p.markdownPath, "utf8");
    const b = docs.indexOf(`\n${BEGIN_MARKER}\n`);
    if (b < 0) expect(text.startsWith(docs)).toBe(true);
    else {
      expect(text.slice(0, b)).toBe(docs.slice(0, b));
      expect(text.slice(text.indexOf(`\n${END_MARKER}`))).toBe(docs.slice(docs.indexOf(`\n${END_MARKER}`)));
    }
  });
});

describe("a summary built from a committed results file", () => {
  it("renders every workload it holds", () => {
    const r = JSON.parse(readFileSync(join(ROOT, "bench", "results", "2026-11-25-local-floor.json"), "utf8"));
    const workloads: Headline[] = [
      ...r.produce.map((p: any) => headline(`produce ${p.records_per_request}x${p.value_bytes}B acks=${p.acks} RF1 1p conc=${p.concurrency}`, p)),
      ...r.fetch.map((f: any) => headline(`fetch catch-up ${f.log_records} records max_records=${f.max_records}`, f)),
      ...r.floor.write.map((w: any) => headline(`floor write ${w.records_per_request}x${w.value_bytes}B conc=${w.concurrency}`, w)),
      ...r.floor.read.map((x: any) => headline(`floor read max_records=${x.max_records}`, x)),
    ];
    const s: BenchSummary = { date: r.date, mode: r.mode, commit: r.machine.commit, dirty: r.machine.dirty, duration_s: r.duration_s, workloads, floor_ratios: r.floor.ratios, memory_mib: {} };
    expect(tableRows(renderMarkdown(s), "workload").map((x) => x[0])).toEqual([...workloads.map((w) => w.name), ...r.floor.ratios.map((x: any) => x.workload)]);
    const svg = renderSvg(s);
    expect(xmlProblems(svg)).toEqual([]);
    expect(bars(svg)).toHaveLength(workloads.length);
  });
});

describe("the committed full run through bench/results.ts and bench/tables.ts (what bench/run.ts prints)", () => {
  const file = join(ROOT, "bench", "results", "2026-11-25-local-full.json");
  const full = (): Results => JSON.parse(readFileSync(file, "utf8"));

  it("headlines() gives the closing line: its keys in order, one workload per measured row, every memory block", () => {
    const r = full();
    const s = headlines(r);
    expect(Object.keys(s)).toEqual([
      "bench", "schema", "date", "mode", "commit", "dirty", "duration_s", "workloads",
      "fetch_vs_log_size", "floor_ratios", "memory_mib", "memory_scenario",
    ]);
    expect(s.workloads).toHaveLength(110);
    expect(s.workloads[0]?.name).toBe("baseline GET /healthz");
    expect(s.workloads.at(-1)?.name).toMatch(/^e2e latency /);
    expect(s.floor_ratios).toHaveLength(r.bulk!.ratios.length + r.floor!.ratios.length);
    expect(Object.keys(s.memory_mib)).toEqual(Object.keys(r.memory));
    expect(tableRows(renderMarkdown(s), "workload").map((x) => x[0])).toEqual([
      ...s.workloads.map((w) => w.name),
      ...(s.floor_ratios ?? []).map((x) => x.workload),
    ]);
  });

  it("printTables() prints the machine header, each scenario's section in a fixed order, CPU and memory last", () => {
    let out = "";
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
    try {
      printTables(full());
    } finally {
      write.mockRestore();
    }
    const lines = out.split("\n");
    const titles = [
      "Flarelog local benchmark — ",
      "Baseline (sequential)",
      "Produce: ",
      "Fetch: ",
      "Fetch vs log size: ",
      "Consumer catch-up: ",
      "Replication — produce: ",
      "Replication — leader offline ",
      "Replication — follower offline ",
      "Steady producer: ",
      "Idempotence: ",
      "Consumer groups — rebalance after a leave: ",
      "Consumer groups — rebalance after a crash ",
      "Consumer groups — consume: ",
      "Produce matrix: ",
      "Platform floor: ",
      "Flarelog ÷ floor (same run)",
      "Memory — ",
      "Profile — ",
      "Bulk produce: ",
      "End-to-end latency: ",
      "CPU (seconds) and workerd memory (MiB) per scenario block",
    ];
    const at = titles.map((t) => lines.findIndex((l) => l.startsWith(t)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(at[0]).toBe(0);
    expect(out.endsWith("\n")).toBe(true);
  });
});
