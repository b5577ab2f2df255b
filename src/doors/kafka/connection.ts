/**
 * The Kafka door's connection state machine and dispatcher, Kafka's KafkaApis in small: each
 * request frame is decoded (src/codec/kafka), checked against the connection's state and handed
 * to the handler of its API, which calls the services; the answer is encoded for the request's
 * version and correlation id.
 *
 * States: before SASL only ApiVersions, SaslHandshake and SaslAuthenticate are served (Kafka's
 * SASL listener); a failed SaslAuthenticate is answered and then the connection closes; any
 * other API before authentication closes it. After SASL every supported API is served.
 * A frame that does not decode (truncated, malformed, unknown API key, unsupported version)
 * closes the connection without a write, as Kafka's broker closes on an invalid request; the
 * one exception is ApiVersions of a newer version, answered at v0 with UNSUPPORTED_VERSION so
 * the client retries with a version we list (KIP-511; librdkafka sends v3 first).
 *
 * Called by kafka-door.ts with one payload at a time, in arrival order (so answers leave in
 * request order, as Kafka's one-request-at-a-time per connection). Never throws: a bug in a
 * handler is logged and closes the connection.
 */
import {
  ApiKey,
  apiName,
  apiVersionsUnsupportedResponse,
  decodeRequest,
  encodeResponse,
  type RequestHeader,
} from "../../codec/kafka/index.ts";
import * as admin from "./admin.ts";
import * as fetch from "./fetch.ts";
import * as groups from "./groups.ts";
import { apiVersionsBody, findCoordinator, metadata } from "./metadata.ts";
import { produce } from "./produce.ts";
import { chargeFetched, chargeRequest, muteMsOf } from "./quotas.ts";
import { saslAuthenticate, saslHandshake } from "./sasl.ts";
import type { Session } from "./session.ts";

/**
 * What the connection does after a request: write the answer (none for acks=0), then close if
 * `close` says why, else read nothing more for `muteMs` (a throttled request, quotas.ts).
 */
export interface Step {
  answer: Uint8Array | null;
  close?: string;
  muteMs?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- bodies are typed per API by the codec; the table below is its dispatch */
type Handler = (session: Session, body: any) => Promise<unknown> | unknown;

const PRE_AUTH = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

const HANDLERS: Record<number, Handler> = {
  [ApiKey.ApiVersions]: () => apiVersionsBody(),
  [ApiKey.SaslHandshake]: saslHandshake,
  [ApiKey.SaslAuthenticate]: saslAuthenticate,
  [ApiKey.Metadata]: metadata,
  [ApiKey.FindCoordinator]: findCoordinator,
  [ApiKey.Produce]: produce,
  [ApiKey.Fetch]: fetch.fetch,
  [ApiKey.ListOffsets]: fetch.listOffsets,
  [ApiKey.CreateTopics]: admin.createTopics,
  [ApiKey.DeleteTopics]: admin.deleteTopics,
  [ApiKey.DescribeConfigs]: admin.describeConfigs,
  [ApiKey.InitProducerId]: admin.initProducerId,
  [ApiKey.JoinGroup]: groups.joinGroup,
  [ApiKey.SyncGroup]: groups.syncGroup,
  [ApiKey.Heartbeat]: groups.heartbeat,
  [ApiKey.LeaveGroup]: groups.leaveGroup,
  [ApiKey.OffsetCommit]: groups.offsetCommit,
  [ApiKey.OffsetFetch]: groups.offsetFetch,
};

function refusal(header: RequestHeader | null, reason: string, message: string): Step {
  if (header !== null && header.apiKey === ApiKey.ApiVersions && reason === "unsupported_version")
    return { answer: apiVersionsUnsupportedResponse(header.correlationId) };
  const what = header === null ? "a frame" : `${apiName(header.apiKey)} v${header.apiVersion}`;
  return { answer: null, close: `invalid request (${reason}): ${what}: ${message}` };
}

/** Handles one request frame of the connection (the payload without its size prefix). */
export async function handleFrame(session: Session, payload: Uint8Array): Promise<Step> {
  try {
    const decoded = decodeRequest(payload);
    if (!decoded.ok) return refusal(decoded.header, decoded.reason, decoded.message);
    const { header, body } = decoded;
    const handler = HANDLERS[header.apiKey];
    if (handler === undefined) return { answer: null, close: `${apiName(header.apiKey)} has no handler` };
    if (session.context === null && !PRE_AUTH.has(header.apiKey))
      return { answer: null, close: `${apiName(header.apiKey)} before SASL (SaslHandshake PLAIN + SaslAuthenticate first)` };
    const throttle = chargeRequest(session, header.apiKey, payload.length);
    const answer = await handler(session, body);
    if (answer === null) return { answer: null, muteMs: muteMsOf(throttle) };
    if (throttle !== null) (answer as { throttleTimeMs?: number }).throttleTimeMs = throttle.throttleTimeMs;
    const bytes = encodeResponse(header as never, answer as never);
    chargeFetched(session, header.apiKey, bytes.length);
    // Kafka closes the connection after a failed authentication, once the answer is sent.
    if (header.apiKey === ApiKey.SaslAuthenticate && session.context === null)
      return { answer: bytes, close: "SASL authentication failed" };
    return { answer: bytes, muteMs: muteMsOf(throttle) };
  } catch (e) {
    console.error("kafka door: request failed", e);
    return { answer: null, close: "internal error" };
  }
}
