/**
 * The bench run's closing JSON summary (`headlines()` in bench/results.ts) as documentation: a
 * markdown section for docs/benchmarks.md, between two marker lines, and an SVG bar chart of
 * throughput (records/s, log10 scale) by workload.
 *
 * Pure rendering plus one atomic file write per output; no dependencies beyond node:fs/node:path.
 * Keys of the summary this file does not know (added later: `e2e`, `targets`, ...) are rendered
 * generically under "Other figures" and never make it throw.
 */
import { mkdir, readFile, rename, rm, stat, writeFile, chmod } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import type { FloorRatio } from "./floor.ts";
import type { Headline } from "./harness.ts";

export type { FloorRatio };

export interface MemoryFigures {
  rss_start: number;
  rss_peak: number;
  growth: number;
  anon_end?: number;
}

/** What `headlines(results)` in bench/results.ts returns; later keys are allowed (and rendered generically). */
export interface BenchSummary {
  bench?: string;
  schema?: number;
  date: string;
  mode: string;
  commit: string | null;
  dirty: boolean | null;
  duration_s: number;
  workloads: Headline[];
  fetch_vs_log_size?: { ratio_p50?: number; ratio_p99?: number; ratio_mean?: number };
  floor_ratios?: FloorRatio[];
  memory_mib?: Record<string, MemoryFigures>;
  memory_scenario?: unknown;
  [key: string]: unknown;
}

export const BEGIN_MARKER = "<!-- bench:generated:begin -->";
export const END_MARKER = "<!-- bench:generated:end -->";
export const SECTION_HEADING = "## Latest full run (generated)";
const DEFAULT_SVG_HREF = "benchmarks-throughput.svg";

/** Keys with their own rendering; every other key goes to "Other figures". */
const KNOWN_KEYS = new Set(["bench", "schema", "date", "mode", "commit", "dirty", "duration_s", "workloads", "fetch_vs_log_size", "floor_ratios", "memory_mib", "bulk_decomposition"]);

// ---------------------------------------------------------------------------------------------
// Formatting

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const DASH = "–";

/** en-US with thousands separators and at most `digits` decimals; a dash for anything not a finite number. */
export function fmt(v: unknown, digits = 2): string {
  return isNum(v) ? v.toLocaleString("en-US", { maximumFractionDigits: digits }) : DASH;
}

const ratio = (v: unknown): string => (isNum(v) ? `${v.toFixed(2)}×` : DASH);

function fmtDuration(s: unknown): string {
  if (!isNum(s)) return DASH;
  if (s < 60) return `${fmt(s, 1)} s`;
  const m = Math.floor(s / 60);
  return `${fmt(s, 1)} s (${m} min ${Math.round(s - m * 60)} s)`;
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

function commitText(s: BenchSummary): string {
  const c = str(s.commit).slice(0, 12);
  return `${c ? codeSpan(c) : "unknown"}${s.dirty ? " (dirty: uncommitted changes)" : ""}`;
}

/** A markdown table cell: one line, pipes escaped, no raw HTML. */
const cell = (v: string): string => v.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;");

/** Inline code that survives backticks in its text. */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function mdTable(headers: string[], rows: string[][], numeric: boolean[]): string {
  return [
    `| ${headers.map(cell).join(" | ")} |`,
    `|${headers.map((_, i) => (numeric[i] ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => v === null || ["string", "number", "boolean"].includes(typeof v);

function scalarText(v: unknown): string {
  if (typeof v === "number") return fmt(v, 2);
  if (typeof v === "string") return v;
  return String(v);
}

/** Any value of a key this file does not know: scalars as bullets, lists of flat objects as tables, the rest as JSON. */
function renderGeneric(key: string, value: unknown, out: string[]): void {
  if (value === undefined) return;
  if (isScalar(value)) {
    out.push(`- ${codeSpan(key)}: ${cell(scalarText(value))}`);
  } else if (Array.isArray(value) && value.length > 0 && value.every((x) => isRecord(x) && Object.values(x).every(isScalar))) {
    const rows = value as Record<string, unknown>[];
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    out.push("", `${codeSpan(key)}:`, "", mdTable(cols, rows.map((r) => cols.map((c) => (c in r ? scalarText(r[c]) : DASH))), cols.map((c) => rows.some((r) => typeof r[c] === "number"))), "");
  } else if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) renderGeneric(`${key}.${k}`, v, out);
  } else {
    let json: string;
    try {
      json = JSON.stringify(value) ?? String(value);
    } catch {
      json = String(value);
    }
    out.push(`- ${codeSpan(key)}: ${codeSpan(json)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Markdown

export interface MarkdownOptions {
  /** The chart's link, relative to the markdown file (default `benchmarks-throughput.svg`). */
  svgHref?: string;
}

/** The generated section (without the markers), starting with `## Latest full run (generated)`, ending with a newline. */
export function renderMarkdown(summary: BenchSummary, options: MarkdownOptions = {}): string {
  const s = summary;
  const workloads = Array.isArray(s.workloads) ? s.workloads.filter(isRecord) : [];
  const out: string[] = [
    SECTION_HEADING,
    "",
    "Written by `npm run bench` from the run's closing JSON summary; do not edit this section by hand (the next run replaces it).",
    "",
    `Run of ${cell(str(s.date)) || DASH}, mode ${cell(str(s.mode)) || DASH}, commit ${commitText(s)}, duration ${fmtDuration(s.duration_s)}.`,
    "",
    `Throughput and latency per workload (Kafka's perf-test fields; MB/s of record values, 10^6 bytes):`,
    "",
  ];
  if (workloads.length === 0) out.push("No workloads in this run.");
  else
    out.push(
      mdTable(
        ["workload", "records", "records/s", "MB/s", "avg ms", "max ms", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms"],
        workloads.map((w) => [
          str(w.name),
          fmt(w.records, 0),
          fmt(w.records_per_s, 0),
          fmt(w.mb_per_s, 2),
          fmt(w.avg_ms),
          fmt(w.max_ms),
          fmt(w.p50_ms),
          fmt(w.p95_ms),
          fmt(w.p99_ms),
          fmt(w.p99_9_ms),
        ]),
        [false, true, true, true, true, true, true, true, true, true],
      ),
    );
  const href = options.svgHref ?? DEFAULT_SVG_HREF;
  out.push("", `![Throughput by workload](${/[\s()<>]/.test(href) ? `<${href}>` : href})`, "");

  const f = s.fetch_vs_log_size;
  if (isRecord(f))
    out.push(`Fetch latency, large log ÷ small log (random offsets): p50 ${ratio(f.ratio_p50)}, p99 ${ratio(f.ratio_p99)}, mean ${ratio(f.ratio_mean)}.`, "");

  const ratios = Array.isArray(s.floor_ratios) ? s.floor_ratios.filter(isRecord) : [];
  if (ratios.length > 0)
    out.push(
      "Flarelog ÷ platform floor (a bare SQLite Durable Object, same run):",
      "",
      mdTable(
        ["workload", "Flarelog records/s", "floor records/s", "ratio", "p50 ratio"],
        ratios.map((r) => [str(r.workload), fmt(r.flarelog_records_per_s, 0), fmt(r.floor_records_per_s, 0), ratio(r.throughput_ratio), ratio(r.p50_ratio)]),
        [false, true, true, true, true],
      ),
      "",
    );

  const memory = isRecord(s.memory_mib) ? Object.entries(s.memory_mib).filter(([, m]) => isRecord(m)) : [];
  if (memory.length > 0)
    out.push(
      "workerd's memory per scenario block (MiB):",
      "",
      mdTable(
        ["block", "RSS start MiB", "RSS peak MiB", "growth MiB"],
        memory.map(([block, m]) => [block, fmt(m.rss_start), fmt(m.rss_peak), fmt(m.growth)]),
        [false, true, true, true],
      ),
      "",
    );

  renderDecomposition(s.bulk_decomposition, out);

  const extra: string[] = [];
  for (const [k, v] of Object.entries(s)) if (!KNOWN_KEYS.has(k)) renderGeneric(k, v, extra);
  if (extra.length > 0) out.push("Other figures of the summary:", "", ...extra, "");

  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

/** "ms (CPU ms)" of one layer of the decomposition. */
const layer = (ms: unknown, cpu: unknown): string => (isNum(cpu) ? `${fmt(ms)} (${fmt(cpu)})` : fmt(ms));

/** `bulk_decomposition` (bench/bulk-ablation.ts): each produce target's cost per request, layer by layer. */
function renderDecomposition(value: unknown, out: string[]): void {
  const rows = Array.isArray(value) ? value.filter(isRecord) : [];
  if (rows.length === 0) return;
  out.push(
    "Produce targets layer by layer, same rounds (`bulk_decomposition`): ms per request = 1000 ÷ requests/s (one in flight), workerd CPU ms per request in brackets; budget = floor ÷ target. Flarelog's Worker (bench/edge/worker.ts) with its partition leader swapped: none (the Worker alone), a DO answering at once, a DO doing only the floor's INSERT; for the JSON targets, the JSON contract's floor (the floor's Worker parsing the body, storing its one row and answering one offset per record), floor ÷ it, and that ratio with both answers uncompressed:",
    "",
    mdTable(
      ["target", "floor", "budget", "Flarelog", "ratio", "both answers uncompressed: ratio", "floor's Worker alone", "Flarelog's Worker alone", "÷ budget", "+ RPC", "+ floor's INSERT", "ratio", "JSON contract's floor", "ratio", "both uncompressed: ratio"],
      rows.map((r) => [
        `${str(r.target)} ≥ ${fmt(r.target_ratio)}×`,
        layer(r.floor_ms, r.floor_cpu_ms),
        fmt(r.budget_ms),
        layer(r.flarelog_ms, r.flarelog_cpu_ms),
        ratio(r.flarelog_ratio),
        ratio(r.uncompressed_ratio),
        layer(r.floor_worker_ms, r.floor_worker_cpu_ms),
        layer(r.edge_ms, r.edge_cpu_ms),
        ratio(r.edge_of_budget),
        layer(r.null_do_ms, r.null_do_cpu_ms),
        layer(r.floor_do_ms, r.floor_do_cpu_ms),
        ratio(r.floor_do_ratio),
        layer(r.json_floor_ms, r.json_floor_cpu_ms),
        ratio(r.json_floor_ratio),
        ratio(r.json_floor_uncompressed_ratio),
      ]),
      [false, true, true, true, true, true, true, true, true, true, true, true, true, true, true],
    ),
    "",
  );
}

// ---------------------------------------------------------------------------------------------
// SVG

/** Escapes the five XML special characters (text and attribute values). */
export function escapeXml(v: string): string {
  return v.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

export const BAR_COLOUR = "#f38020";
export const FLOOR_COLOUR = "#7a8599";
const ROW_PX = 16;
const BAR_PX = 11;
const FONT_PX = 11;
/** Rough width of one character of an 11 px sans-serif label. */
const CHAR_PX = 6.1;
const PLOT_PX = 480;
const MAX_LABEL_CHARS = 80;

const isFloor = (name: string): boolean => name.startsWith("floor ");
const px = (v: number): string => String(Math.round(v * 10) / 10);

/** The log10 axis the chart uses for these throughputs: whole decades, the smallest value strictly inside. */
export function logAxis(values: readonly number[]): { lo: number; hi: number } {
  const pos = values.filter((v) => isNum(v) && v > 0);
  if (pos.length === 0) return { lo: 0, hi: 1 };
  const lo = Math.floor(Math.log10(Math.min(...pos)) - 1e-9);
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...pos))));
  return { lo, hi };
}

/** A horizontal bar chart of records/s per workload (log10 scale), self-contained SVG. */
export function renderSvg(summary: BenchSummary): string {
  const s = summary;
  const bars = (Array.isArray(s.workloads) ? s.workloads : []).filter((w) => isRecord(w) && isNum(w.records_per_s) && w.records_per_s > 0);
  const labels = bars.map((w) => {
    const n = str(w.name);
    return n.length > MAX_LABEL_CHARS ? `${n.slice(0, MAX_LABEL_CHARS - 1)}…` : n;
  });
  const { lo, hi } = logAxis(bars.map((w) => w.records_per_s));
  const labelW = Math.ceil(Math.max(120, ...labels.map((l) => l.length * CHAR_PX)) + 12);
  const valueW = 78;
  const left = 10 + labelW;
  const top = 64;
  const plotH = Math.max(bars.length, 1) * ROW_PX;
  const width = left + PLOT_PX + valueW;
  const height = top + plotH + 34;
  const x = (v: number): number => ((Math.log10(v) - lo) / (hi - lo)) * PLOT_PX;

  const commit = str(s.commit).slice(0, 12);
  const subtitle = [str(s.date), str(s.mode) && `mode ${str(s.mode)}`, commit && `commit ${commit}${s.dirty ? " (dirty)" : ""}`].filter(Boolean).join(" · ");
  const hasFloor = bars.some((w) => isFloor(str(w.name)));

  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT_PX}" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${escapeXml(`Flarelog throughput by workload (records/s, log scale) — ${subtitle}`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold" fill="#111111">Flarelog throughput by workload (records/s, log scale)</text>`,
    `<text x="10" y="34" fill="#444444">${escapeXml(subtitle)}</text>`,
    `<rect x="10" y="42" width="10" height="10" fill="${BAR_COLOUR}"/>`,
    `<text x="24" y="51" fill="#333333">Flarelog</text>`,
  ];
  if (hasFloor) o.push(`<rect x="84" y="42" width="10" height="10" fill="${FLOOR_COLOUR}"/>`, `<text x="98" y="51" fill="#333333">platform floor (bare SQLite Durable Object)</text>`);

  // Gridlines: light at 2..9 × 10^k, labelled at each power of 10.
  o.push(`<g class="grid">`);
  for (let k = lo; k < hi; k++)
    for (let m = 2; m <= 9; m++) {
      const gx = left + x(m * 10 ** k);
      o.push(`<line x1="${px(gx)}" y1="${top}" x2="${px(gx)}" y2="${top + plotH}" stroke="#eeeeee"/>`);
    }
  for (let k = lo; k <= hi; k++) {
    const gx = left + (k - lo) * (PLOT_PX / (hi - lo));
    const label = fmt(10 ** k, Math.max(0, -k));
    o.push(
      `<line class="decade" x1="${px(gx)}" y1="${top - 4}" x2="${px(gx)}" y2="${top + plotH}" stroke="#bbbbbb"/>`,
      `<text class="tick" x="${px(gx)}" y="${top + plotH + 14}" text-anchor="middle" fill="#555555">${escapeXml(label)}</text>`,
    );
  }
  o.push(`</g>`);
  o.push(`<text x="${px(left + PLOT_PX / 2)}" y="${top + plotH + 29}" text-anchor="middle" fill="#555555">records/s</text>`);

  if (bars.length === 0) o.push(`<text x="${left}" y="${top + 12}" fill="#555555">No workload with a throughput in this summary.</text>`);
  bars.forEach((w, i) => {
    const y = top + i * ROW_PX;
    const len = x(w.records_per_s);
    const name = str(w.name);
    const fill = isFloor(name) ? FLOOR_COLOUR : BAR_COLOUR;
    o.push(
      `<g class="row">`,
      `<text x="${left - 6}" y="${y + BAR_PX - 1}" text-anchor="end" fill="#222222">${escapeXml(labels[i]!)}</text>`,
      `<rect class="bar${isFloor(name) ? " floor" : ""}" x="${left}" y="${y + (ROW_PX - BAR_PX) / 2}" width="${px(Math.max(len, 0.5))}" height="${BAR_PX}" fill="${fill}"><title>${escapeXml(`${name}: ${fmt(w.records_per_s, 0)} records/s`)}</title></rect>`,
      `<text class="value" x="${px(left + len + 4)}" y="${y + BAR_PX - 1}" fill="#222222">${escapeXml(fmt(w.records_per_s, 0))}</text>`,
      `</g>`,
    );
  });
  o.push(`</svg>`);
  return `${o.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Files

/** A marker counts only as a line of its own (so prose may quote it). */
function markerLines(text: string, marker: string): number[] {
  const at: number[] = [];
  let from = 0;
  for (;;) {
    const i = text.indexOf(marker, from);
    if (i < 0) return at;
    const lineStart = i === 0 || text[i - 1] === "\n";
    const lineEnd = text.indexOf("\n", i);
    const rest = text.slice(i + marker.length, lineEnd < 0 ? text.length : lineEnd);
    if (lineStart && /^[ \t\r]*$/.test(rest)) at.push(i);
    from = i + marker.length;
  }
}

/**
 * `text` with the generated section between the marker lines replaced (markers kept, everything
 * else byte for byte), or the markers and section appended when neither marker is present.
 * Throws when the markers are unpaired, repeated or out of order: then nothing is safe to replace.
 */
export function spliceSection(text: string, section: string): string {
  const block = `${section.trimEnd()}\n`;
  const begins = markerLines(text, BEGIN_MARKER);
  const ends = markerLines(text, END_MARKER);
  if (begins.length === 0 && ends.length === 0) {
    const sep = text.length === 0 ? "" : text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
    return `${text}${sep}${BEGIN_MARKER}\n${block}${END_MARKER}\n`;
  }
  if (begins.length !== 1 || ends.length !== 1 || ends[0]! < begins[0]!)
    throw new Error(`bench report: expected one "${BEGIN_MARKER}" line followed by one "${END_MARKER}" line, found ${begins.length} and ${ends.length}`);
  // Keep the begin line as it was (trailing spaces, CR), then the section, then the end line onwards.
  const afterBegin = text.indexOf("\n", begins[0]!) + 1;
  return `${text.slice(0, afterBegin)}${block}${text.slice(ends[0]!)}`;
}

/** Writes `data` to `path` through a temporary file in the same folder and a rename. */
async function writeAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(tmp, data, "utf8");
    const mode = await stat(path).then(
      (st) => st.mode & 0o7777,
      () => undefined,
    );
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

/**
 * Writes the chart to `svgPath` and the section between the markers of `markdownPath` (appended
 * with its markers when absent; the file is created when missing). Both are computed before
 * either file is written, so malformed markers leave both files as they were.
 */
export async function writeReport(summary: BenchSummary, paths: { markdownPath: string; svgPath: string }): Promise<void> {
  const href = relative(dirname(paths.markdownPath), paths.svgPath).split(sep).join("/");
  const svg = renderSvg(summary);
  const markdown = spliceSection(await readIfExists(paths.markdownPath), renderMarkdown(summary, { svgHref: href }));
  await writeAtomic(paths.svgPath, svg);
  await writeAtomic(paths.markdownPath, markdown);
}
