/**
 * One Kafka connection's state, shared by the API handlers of src/doors/kafka/: who the caller
 * is once SASL has succeeded (the ServiceContext every service call carries, so the key's ACLs
 * apply to every request), the broker address Metadata advertises, and the group members this
 * connection joined (the member epoch and the assignment last handed to each, see groups.ts).
 *
 * Invariants: `context` is null until SaslAuthenticate succeeds and never changes after; a
 * handler that needs it runs only after the connection state machine (connection.ts) checked.
 * One task at a time: requests of a connection are handled one after another, in order.
 */
import type { TopicPartitions } from "../../protocol/topic-partitions.ts";
import type { Principal } from "../../services/auth.ts";
import type { ServiceContext } from "../../services/context.ts";

/** The one broker every Metadata answer names (node 0, leader of every partition). */
export interface Advertised {
  host: string;
  port: number;
}

/** A group member joined over this connection: its epoch and what its SyncGroup was told. */
export interface JoinedMember {
  memberEpoch: number;
  assignment: TopicPartitions;
  /** The assignor name JoinGroup chose (the first the member offered), repeated by SyncGroup. */
  protocolName: string;
}

export const BROKER_NODE_ID = 0;
export const CLUSTER_ID = "flarelog";

export class Session {
  context: ServiceContext | null = null;
  /** Who authenticated (set with `context`): its rate quotas are charged per request (quotas.ts). */
  principal: Principal | null = null;
  /** The SASL mechanism agreed by SaslHandshake (PLAIN), null before. */
  mechanism: string | null = null;
  readonly members = new Map<string, JoinedMember>();
  readonly env: Env;
  readonly advertised: Advertised;
  readonly waitUntil: (work: Promise<unknown>) => void;
  constructor(env: Env, advertised: Advertised, waitUntil: (work: Promise<unknown>) => void) {
    this.env = env;
    this.advertised = advertised;
    this.waitUntil = waitUntil;
  }

  /** The authenticated caller's context (the state machine admits no other request before SASL). */
  get ctx(): ServiceContext {
    if (this.context === null) throw new Error("Kafka door: a service call before SASL authentication");
    return this.context;
  }

  static memberKey(group: string, memberId: string): string {
    return `${group}\u0000${memberId}`;
  }
}

/** The address Metadata advertises: `?advertise=host:port` (the bridge), else the URL's own. */
export function advertisedOf(url: URL): Advertised {
  const given = url.searchParams.get("advertise");
  const m = given === null ? null : /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(given);
  if (m !== null && Number(m[2]) > 0 && Number(m[2]) < 65536) return { host: m[1]!, port: Number(m[2]) };
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" || url.protocol === "wss:" ? 443 : 80;
  return { host: url.hostname, port };
}
