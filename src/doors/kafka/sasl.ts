/**
 * SASL for the Kafka door: SaslHandshake agrees on PLAIN (the only mechanism), SaslAuthenticate
 * takes PLAIN's `[authzid] NUL username NUL password`: the username names the tenant and the
 * password is a Flarelog API key (or the root token with the tenant `default`), checked by the
 * same credentials service the HTTP dialects use (src/services/credentials.ts).
 *
 * Invariants: the session's context is set only by a successful SaslAuthenticate, once; a
 * failure answers SASL_AUTHENTICATION_FAILED (58) with the reason, and the connection state
 * machine then closes the connection, as Kafka does. Called by connection.ts, one request at a
 * time per connection.
 */
import { parseSaslPlain } from "../../codec/kafka/index.ts";
import { brokerConfig } from "../../config/broker-config.ts";
import { ERRORS } from "../../protocol/errors.ts";
import { contextOf } from "../../services/context.ts";
import { authenticateCredentials, type Credentials } from "../../services/credentials.ts";
import type { Session } from "./session.ts";

export const PLAIN = "PLAIN";
/** Kafka's codes the shared error table does not carry. */
export const UNSUPPORTED_SASL_MECHANISM = 33;
export const ILLEGAL_SASL_STATE = 34;

export function saslHandshake(session: Session, body: { mechanism: string }) {
  if (body.mechanism !== PLAIN) return { errorCode: UNSUPPORTED_SASL_MECHANISM, mechanisms: [PLAIN] };
  session.mechanism = PLAIN;
  return { errorCode: 0, mechanisms: [PLAIN] };
}

/** PLAIN's token (RFC 4616) as the credentials service takes them; null when it is not one. */
export function plainCredentials(token: Uint8Array): Credentials | null {
  const plain = parseSaslPlain(token);
  return plain === null ? null : { username: plain.username, secret: plain.password };
}

export interface SaslAuthenticateAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Uint8Array;
  sessionLifetimeMs: number;
}

export async function saslAuthenticate(session: Session, body: { authBytes: Uint8Array }): Promise<SaslAuthenticateAnswer> {
  const answer = (errorCode: number, errorMessage: string | null) => {
    return { errorCode, errorMessage, authBytes: new Uint8Array(0), sessionLifetimeMs: 0 };
  };
  if (session.mechanism !== PLAIN) return answer(ILLEGAL_SASL_STATE, "SaslAuthenticate before a SaslHandshake for PLAIN");
  if (session.context !== null) return answer(ILLEGAL_SASL_STATE, "the connection is already authenticated");
  const creds = plainCredentials(body.authBytes);
  if (creds === null)
    return answer(ERRORS.SASL_AUTHENTICATION_FAILED.code, "malformed PLAIN token (expected authzid NUL tenant NUL api-key)");
  const principal = await authenticateCredentials(session.env, brokerConfig(session.env).adminToken, creds);
  if (!principal.ok) return answer(principal.err.errorCode, `Authentication failed: ${principal.err.message}`);
  session.context = contextOf(session.env, principal.value, session.waitUntil);
  session.principal = principal.value;
  return answer(0, null);
}
