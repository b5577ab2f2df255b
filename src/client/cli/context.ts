/**
 * What every CLI command gets: the client for the chosen broker, where to print, whether to
 * print JSON, the process's input and an AbortSignal that fires on the first Ctrl-C.
 */
import type { FlarelogClient } from "../flarelog-client.ts";
import type { Parsed } from "./args.ts";
import type { Out } from "./output.ts";

export interface CommandContext {
  client: FlarelogClient;
  url: string;
  out: Out;
  json: boolean;
  args: Parsed;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** stderr is a terminal: progress lines may be drawn. */
  tty: boolean;
  /** Fires on SIGINT: stop after the in-flight batch. */
  interrupted: AbortSignal;
}
