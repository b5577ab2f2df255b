/**
 * Where the CLI finds the broker and its credential, first match wins per field:
 *   1. flags `--url`, `--token`
 *   2. env vars `FLARELOG_URL`, `FLARELOG_TOKEN`
 *   3. the profile file (`FLARELOG_CONFIG`, else `~/.config/flarelog/config.json`), profile
 *      `--profile` / `FLARELOG_PROFILE` / `default`: `{"profiles": {"default": {"url": "...", "token": "..."}}}`
 *   4. url `http://127.0.0.1:8787` (npm start's default); no token (commands then fail with 401).
 * A profile named explicitly but missing, or an unreadable file, is a usage error.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, EXIT, flag, usage, type Parsed } from "./args.ts";

export interface Connection {
  url: string;
  token: string;
}

export const DEFAULT_URL = "http://127.0.0.1:8787";

interface ProfileFile {
  profiles?: Record<string, { url?: string; token?: string }>;
}

function readProfiles(path: string, explicit: boolean): ProfileFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(EXIT.usage, `cannot read profile file ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as ProfileFile;
  } catch (e) {
    throw new CliError(EXIT.usage, `profile file ${path} is not JSON: ${(e as Error).message}`);
  }
}

export function connection(p: Parsed, env: NodeJS.ProcessEnv): Connection {
  const file = env.FLARELOG_CONFIG ?? join(homedir(), ".config", "flarelog", "config.json");
  const name = flag(p, "profile") ?? env.FLARELOG_PROFILE;
  const profiles = readProfiles(file, env.FLARELOG_CONFIG !== undefined || name !== undefined).profiles ?? {};
  const profile = profiles[name ?? "default"];
  if (name !== undefined && profile === undefined) throw usage(`no profile "${name}" in ${file}`);
  const url = flag(p, "url") ?? env.FLARELOG_URL ?? profile?.url ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(url)) throw usage(`the url must start with http:// or https://, got "${url}"`);
  return { url: url.replace(/\/$/, ""), token: flag(p, "token") ?? env.FLARELOG_TOKEN ?? profile?.token ?? "" };
}
