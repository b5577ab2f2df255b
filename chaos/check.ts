/**
 * Re-checks a saved chaos run: `node chaos/check.ts <history.json>` prints the summary table and,
 * as its last line, the report's JSON; exit status 1 when the history is not valid, 2 on bad usage.
 */
import { readFileSync } from "node:fs";
import { check, formatSummary } from "./checker.ts";
import type { History } from "./history.ts";

const file = process.argv[2];
if (file === undefined || process.argv.length > 3) {
  console.error("usage: node chaos/check.ts <history.json>");
  process.exit(2);
}
const history = JSON.parse(readFileSync(file, "utf8")) as History;
const result = check(history);
console.log(formatSummary(result));
console.log(JSON.stringify(result.report));
process.exitCode = result.report.valid ? 0 : 1;
