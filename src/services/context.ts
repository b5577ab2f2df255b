/**
 * What every service call carries: the Worker's bindings, the tenant the caller acts for, and
 * how to keep work running after the answer (acks=0). Built by each front door from its own
 * request (the HTTP API from Hono's context, an RPC entrypoint from its `ctx`).
 */
export interface ServiceContext {
  readonly env: Env;
  readonly tenant: string;
  /** Keeps `work` alive after the answer is sent (the Worker's `ctx.waitUntil`). */
  readonly waitUntil: (work: Promise<unknown>) => void;
}
