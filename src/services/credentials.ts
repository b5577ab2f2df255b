/**
 * Credentials from an `Authorization` header, for the doors that speak other products'
 * dialects: HTTP Basic (username = tenant, password = API key, as Upstash and Confluent's
 * REST Proxy send them) or Bearer (the key alone). `authenticateCredentials` is the one place
 * the dialects ask who a caller is: the key decides the tenant (the auth service), and a Basic
 * username must name that tenant. The principal's ACLs travel in the ServiceContext the door
 * builds, and every service checks them (src/services/authorize.ts).
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import { brokerConfig } from "../config/broker-config.ts";
import { authenticate, type Principal } from "./auth.ts";
import { takeRates, type QuotaThrottle } from "./quotas.ts";

export interface Credentials {
  /** The Basic username (the tenant the caller names); null for Bearer. */
  username: string | null;
  secret: string;
}

function decodeBasic(b64: string): Credentials | null {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  return colon < 0 ? null : { username: text.slice(0, colon), secret: text.slice(colon + 1) };
}

/** Basic or (when `bearer`) Bearer credentials; null when the header has neither in a valid form. */
export function credentialsOf(header: string | undefined, opts: { bearer: boolean }): Credentials | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (basic) return decodeBasic(basic[1]!);
  const bearer = opts.bearer ? /^Bearer\s+(\S+)\s*$/i.exec(header ?? "") : null;
  return bearer ? { username: null, secret: bearer[1]! } : null;
}

/** Who the credentials stand for (SASL_AUTHENTICATION_FAILED, 401, when nobody or another tenant). */
export async function authenticateCredentials(env: Env, adminToken: string | null, creds: Credentials | null): Promise<Result<Principal>> {
  if (creds === null) return fail("SASL_AUTHENTICATION_FAILED", "missing or malformed credentials (HTTP Basic with username = tenant and password = API key)");
  const principal = await authenticate(env, adminToken, creds.secret);
  if (!principal.ok) return principal;
  if (creds.username !== null && creds.username !== principal.value.tenant)
    return fail("SASL_AUTHENTICATION_FAILED", `the key does not belong to tenant "${creds.username}"`);
  return ok(principal.value);
}

/**
 * A dialect door's admission of a request: who the `Authorization` header stands for
 * (`authenticateCredentials`) and, for an API key, the rate quotas charged for it (`takeRates`,
 * with the produce's body bytes when it is one): the throttle to answer, or null.
 */
export async function admitCaller(
  env: Env,
  authorization: string | undefined,
  request: { bearer: boolean; produceBytes: number | null },
): Promise<Result<{ principal: Principal; throttle: QuotaThrottle | null }>> {
  const config = brokerConfig(env);
  const principal = await authenticateCredentials(env, config.adminToken, credentialsOf(authorization, request));
  if (!principal.ok) return principal;
  return ok({ principal: principal.value, throttle: takeRates(principal.value, config.quotaDefaults, request) });
}
