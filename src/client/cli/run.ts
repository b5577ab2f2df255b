/**
 * The `flarelog` command line: parses the command, finds the broker (profile.ts), runs the
 * command and turns every failure into one line on stderr and an exit code (args.ts EXIT:
 * 0 ok, 1 the broker refused, 2 usage, 3 broker unreachable, 4 bad input data, 130 Ctrl-C).
 * `run` never calls process.exit; main.ts does, with what `run` answers.
 */
import { FlarelogClient } from "../flarelog-client.ts";
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, ROLES } from "../../protocol/acl.ts";
import { QUOTAS } from "./access.ts";
import { CliError, EXIT, has, parseArgs, usage, type FlagTable } from "./args.ts";
import { bridgeCommand, BRIDGE_FLAGS } from "./bridge.ts";
import { consumeCommand, CONSUME_FLAGS } from "./consume.ts";
import type { CommandContext } from "./context.ts";
import { groupsCommand, GROUPS_FLAGS } from "./groups.ts";
import { keysCommand, KEYS_FLAGS } from "./keys.ts";
import { asCliError, type Out } from "./output.ts";
import { produceCommand, PRODUCE_FLAGS } from "./produce.ts";
import { connection } from "./profile.ts";
import { tenantsCommand, TENANTS_FLAGS } from "./tenants.ts";
import { topicsCommand, TOPICS_FLAGS } from "./topics.ts";

export const HELP = `flarelog: a command line for Flarelog (kcat and Kafka's console tools, over the HTTP API)

  flarelog topics list|create|describe|alter|delete [topic] [-p partitions] [-r rf] [-c key=value]...
  flarelog produce <topic> [file] [-K sep] [-H key=value]... [-p partition] [-a 0|1|all] [-J] [--no-idempotence]
  flarelog consume <topic> [-o beginning|end|<offset>|-<n>|s@<ms>] [-p partition] [-c count] [-e] [-f format] [-g group]
  flarelog groups list|describe|reset-offsets [group] [-t topic] [--to-earliest|--to-latest|--to-offset n|--to-datetime t|--shift-by n] [--execute]
  flarelog keys list|revoke <key_id>
  flarelog keys create --name N [--tenant T] (--role ${ROLES.join("|")} [--prefix P] | --acl resource:pattern:name:operation:permission ...) [--quota q=v]...
  flarelog keys rotate <key_id> [--revoke-old]   (a new key like the old one; both stay valid until the old one is revoked)
  flarelog tenants list|create|describe|delete [name] [--force]      (root token)
  flarelog tenants quotas <name> [--set quota=value|default]...     (root token)
  flarelog bridge --listen HOST:PORT      TCP for librdkafka/JVM Kafka clients, forwarded to the Kafka door (/kafka)

Every command: --url URL, --token TOKEN, --profile NAME, --json, --help
Env: FLARELOG_URL, FLARELOG_TOKEN, FLARELOG_PROFILE, FLARELOG_CONFIG (default ~/.config/flarelog/config.json)
Format tokens (-f): %t topic %p partition %o offset %k key %s value %T timestamp %h headers %K/%S key/value length %% \\n \\t
ACL entries (--acl): resource ${RESOURCE_TYPES.join("|")}, pattern ${PATTERN_TYPES.join("|")}, permission ${PERMISSIONS.join("|")},
  operation ${OPERATIONS.join("|")} (e.g. topic:prefixed:orders.:write:allow)
Quotas (--set, --quota): ${QUOTAS.join(" ")} (default = the operator's)
The secret of a key is printed once, by keys create or keys rotate; keys list never shows one.
Exit codes: 0 ok, 1 the broker refused (its error), 2 usage, 3 broker unreachable, 4 bad input data, 130 interrupted
`;

export interface Io extends Out {
  env: NodeJS.ProcessEnv;
  stdin: CommandContext["stdin"];
  tty: boolean;
  interrupted: AbortSignal;
}

type Command = { flags: FlagTable; run: (c: CommandContext) => Promise<number | void> };

function commandOf(argv: readonly string[]): { name: string; rest: readonly string[]; command: Command } {
  const [first, second] = argv;
  const sub = (table: Record<string, FlagTable>, run: (s: string, c: CommandContext) => Promise<void>, group: string) => {
    if (second === undefined || table[second] === undefined)
      throw usage(`'${group}' needs one of: ${Object.keys(table).join(", ")}${second === undefined ? "" : ` (got "${second}")`}`);
    return { name: `${group} ${second}`, rest: argv.slice(2), command: { flags: table[second], run: (c: CommandContext) => run(second, c) } };
  };
  switch (first) {
    case "topics":
      return sub(TOPICS_FLAGS, topicsCommand, "topics");
    case "groups":
      return sub(GROUPS_FLAGS, groupsCommand, "groups");
    case "produce":
      return { name: "produce", rest: argv.slice(1), command: { flags: PRODUCE_FLAGS, run: produceCommand } };
    case "consume":
      return { name: "consume", rest: argv.slice(1), command: { flags: CONSUME_FLAGS, run: consumeCommand } };
    case "keys":
      return sub(KEYS_FLAGS, keysCommand, "keys");
    case "tenants":
      return sub(TENANTS_FLAGS, tenantsCommand, "tenants");
    case "bridge":
      return { name: "bridge", rest: argv.slice(1), command: { flags: BRIDGE_FLAGS, run: bridgeCommand } };
    default:
      throw usage(first === undefined ? "no command given (flarelog --help lists them)" : `unknown command "${first}" (flarelog --help lists them)`);
  }
}

/** Runs one command line; answers the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.stdout(HELP);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  let url = "";
  try {
    const { name, rest, command } = commandOf(argv);
    const args = parseArgs(rest, command.flags, name);
    if (has(args, "help")) {
      io.stdout(HELP);
      return EXIT.ok;
    }
    const conn = connection(args, io.env);
    url = conn.url;
    const client = new FlarelogClient({ baseUrl: conn.url, token: conn.token });
    const context: CommandContext = {
      client,
      url,
      out: io,
      json: has(args, "json"),
      args,
      // Looked up only by produce: touching process.stdin opens it.
      get stdin() {
        return io.stdin;
      },
      tty: io.tty,
      interrupted: io.interrupted,
    };
    return (await command.run(context)) ?? EXIT.ok;
  } catch (e) {
    const err = asCliError(e, url);
    io.stderr(`flarelog: ${err.message}\n`);
    return err.exitCode;
  }
}

export { CliError };
