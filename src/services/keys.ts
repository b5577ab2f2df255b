/**
 * API keys: their text, their hash, and the per-isolate cache of directory look-ups.
 *
 * A key's text is `flk_<key id>_<secret>`: the id (16 hex digits) makes the look-up one
 * primary-key read in the tenant directory; the secret (32 random bytes, base64url) is shown once
 * at creation and only its SHA-256 is stored. Verification hashes the presented secret and
 * compares digests in constant time.
 *
 * Revocation bound: a look-up is cached per isolate for at most KEY_CACHE_TTL_MS (10 s), so a
 * revoked key stops working everywhere within 10 s, and at once in the isolate that revoked it.
 * An unknown id is cached for UNKNOWN_KEY_TTL_MS only (so a guessing client cannot make every
 * request a directory read, and a new key is usable within 1 s on every isolate).
 * Concurrency: one isolate's requests share the cache; entries are replaced whole.
 */
import { TENANT_DIRECTORY_NAME, type KeyLookup } from "../coordinator/tenant-directory.ts";
import { systemClock, type Clock } from "../protocol/types.ts";
import { countedStub } from "../storage/platform-units.ts";
import type { AclEntry } from "./acl.ts";

export const KEY_CACHE_TTL_MS = 10_000;
export const UNKNOWN_KEY_TTL_MS = 1_000;
const MAX_CACHED_KEYS = 10_000;

const PREFIX = "flk_";
const KEY_TEXT = /^flk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export type Lookup = KeyLookup<AclEntry>;

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function sha256Hex(s: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
}

/** Equal-length hex digests compared without an early exit. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A new key: its id, its full text (shown once) and the hash to store. */
export async function newKey(): Promise<{ keyId: string; text: string; secretHash: string }> {
  const keyId = hex(crypto.getRandomValues(new Uint8Array(8)));
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { keyId, text: `${PREFIX}${keyId}_${secret}`, secretHash: await sha256Hex(secret) };
}

/** The id and secret of a key's text, or null when it is not shaped like a key. */
export function parseKey(text: string): { keyId: string; secret: string } | null {
  const m = KEY_TEXT.exec(text);
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}

export function looksLikeKey(text: string): boolean {
  return text.startsWith(PREFIX);
}

/** Directory look-ups by key id, each kept for a bounded time. */
export class KeyCache {
  readonly #entries = new Map<string, { expires: number; lookup: Lookup | null }>();

  constructor(private readonly clock: Clock) {}

  /** The cached look-up (null = known unknown), or undefined when absent or expired. */
  get(keyId: string): Lookup | null | undefined {
    const e = this.#entries.get(keyId);
    if (!e) return undefined;
    if (e.expires <= this.clock.now()) {
      this.#entries.delete(keyId);
      return undefined;
    }
    return e.lookup;
  }

  put(keyId: string, lookup: Lookup | null): void {
    if (this.#entries.size >= MAX_CACHED_KEYS) this.#entries.clear();
    this.#entries.set(keyId, { expires: this.clock.now() + (lookup ? KEY_CACHE_TTL_MS : UNKNOWN_KEY_TTL_MS), lookup });
  }

  forget(keyId: string): void {
    this.#entries.delete(keyId);
  }

  /** Drops every cached look-up of `tenant` (its quotas changed, or it was deleted). */
  forgetTenant(tenant: string): void {
    for (const [id, e] of this.#entries) if (e.lookup?.tenant === tenant) this.#entries.delete(id);
  }
}

/** The per-isolate key cache: auth reads it, the key service evicts a revoked key at once. */
export const keyCache = new KeyCache(systemClock);

/** The deployment's one tenant directory. */
export function directory(env: Env) {
  return countedStub("tenant_directory", env.TENANT_DIRECTORY.getByName(TENANT_DIRECTORY_NAME));
}
