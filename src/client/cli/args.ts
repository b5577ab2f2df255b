/**
 * The CLI's argument parser: per command, a table of flags (short and long names, whether each
 * takes a value, whether it repeats); anything else starting with `-` is a usage error naming the
 * flag. `--long=value`, `--long value` and `-x value` are accepted; `--` ends the flags.
 * Pure; called by run.ts for every command.
 */

export interface FlagSpec {
  short?: string;
  /** Takes a value (`-o beginning`); otherwise a switch. */
  value?: boolean;
  repeat?: boolean;
}

export type FlagTable = Record<string, FlagSpec>;

export interface Parsed {
  positional: string[];
  /** Switches are "true"; repeated flags keep every value. */
  flags: Map<string, string[]>;
}

/** Exit codes scripts can rely on (docs/client.md). */
export const EXIT = { ok: 0, broker: 1, usage: 2, unreachable: 3, input: 4, interrupted: 130 } as const;

/** A failure the CLI reports as one line and an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const usage = (message: string): CliError => new CliError(EXIT.usage, message);

/** Flags every command takes. */
export const GLOBAL_FLAGS: FlagTable = {
  url: { value: true },
  token: { value: true },
  profile: { value: true },
  json: {},
  help: { short: "h" },
};

function lookup(table: FlagTable, arg: string): [string, FlagSpec] | undefined {
  if (arg.startsWith("--")) {
    const name = arg.slice(2);
    return table[name] ? [name, table[name]] : undefined;
  }
  const entry = Object.entries(table).find(([, spec]) => spec.short === arg.slice(1));
  return entry;
}

export function parseArgs(argv: readonly string[], table: FlagTable, command: string): Parsed {
  const all = { ...GLOBAL_FLAGS, ...table };
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    const found = lookup(all, key);
    if (!found) throw usage(`unknown flag ${key} for '${command}' (see flarelog ${command} --help)`);
    const [name, spec] = found;
    let value = "true";
    if (spec.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw usage(`${key} needs a value`);
    } else if (eq > 0) throw usage(`${key} takes no value`);
    if (flags.has(name) && !spec.repeat && spec.value) throw usage(`${key} given twice`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

/** The value of a flag given once, or undefined. */
export const flag = (p: Parsed, name: string): string | undefined => p.flags.get(name)?.at(-1);
export const has = (p: Parsed, name: string): boolean => p.flags.has(name);

/** A non-negative integer flag (or `dflt`); a usage error names the flag otherwise. */
export function intFlag(p: Parsed, name: string, dflt?: number, min = 0): number | undefined {
  const raw = flag(p, name);
  if (raw === undefined) return dflt;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) throw usage(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return Number(raw);
}

/** `k=v` pairs of a repeated flag, e.g. `--config retention.ms=1000`. */
export function pairs(p: Parsed, name: string): Record<string, string> | undefined {
  const values = p.flags.get(name);
  if (values === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq < 1) throw usage(`--${name} takes key=value, got "${v}"`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** The one positional argument a command needs, or a usage error naming it. */
export function needOne(p: Parsed, what: string, command: string): string {
  if (p.positional.length === 0) throw usage(`'${command}' needs a ${what}`);
  if (p.positional.length > 1) throw usage(`'${command}' takes one ${what}, got ${p.positional.length} arguments`);
  return p.positional[0]!;
}
