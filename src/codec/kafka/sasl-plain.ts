/**
 * SASL PLAIN (RFC 4616), the message a client sends in SaslAuthenticate (or, before
 * SaslAuthenticate existed, as a raw frame after SaslHandshake v0): `authzid NUL authcid NUL
 * passwd`, UTF-8. For Flarelog the password is an API key.
 *
 * Invariant: answers the three parts only for a well-formed message (exactly two NULs, UTF-8,
 * non-empty authcid and password), else null; never throws. Pure; used by the Kafka door.
 */

export interface SaslPlainCredentials {
  /** Empty when the client asks to act as itself. */
  authorizationId: string;
  username: string;
  password: string;
}

const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function parseSaslPlain(authBytes: Uint8Array): SaslPlainCredentials | null {
  const first = authBytes.indexOf(0);
  const second = first < 0 ? -1 : authBytes.indexOf(0, first + 1);
  if (second < 0 || authBytes.indexOf(0, second + 1) >= 0) return null;
  let parts: string[];
  try {
    parts = [
      fromUtf8.decode(authBytes.subarray(0, first)),
      fromUtf8.decode(authBytes.subarray(first + 1, second)),
      fromUtf8.decode(authBytes.subarray(second + 1)),
    ];
  } catch {
    return null;
  }
  const [authorizationId, username, password] = parts as [string, string, string];
  if (username === "" || password === "") return null;
  return { authorizationId, username, password };
}
