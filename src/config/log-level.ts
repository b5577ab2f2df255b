/**
 * The broker's log level (the `LOG_LEVEL` var) and its one line format: a JSON object per line,
 * `{"level":"info","msg":"request",...fields}`, written with `console.log` (Workers Logs and
 * `wrangler tail` keep one entry per call; `npm start` prints it, or a human form with
 * `--verbose`).
 *
 * Levels, quietest last: debug < info < warn < error < off. Request lines and replication
 * events (elections, ISR changes) are `info`; the default `warn` prints neither. Pure; callers
 * pass the level they read from `brokerConfig(env).logLevel`.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "off"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** A line's level (a line is never "off"). */
export type LineLevel = Exclude<LogLevel, "off">;

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** Whether a line at `level` is printed under the configured `threshold`. */
export function logs(threshold: LogLevel, level: LineLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** Prints one JSON line if `threshold` lets `level` through. */
export function logLine(threshold: LogLevel, level: LineLevel, msg: string, fields: Record<string, unknown>): void {
  if (!logs(threshold, level)) return;
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
