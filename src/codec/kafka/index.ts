/**
 * Kafka's wire protocol as pure functions: one request frame in (`decodeRequest`, the payload
 * without its size prefix), one response frame out (`encodeResponse`), plus framing
 * (frames.ts) and RecordBatch v2 (record-batch.ts, written with batch-writer.ts).
 *
 * Invariants: `decodeRequest` never throws; it answers a typed body only for an API key and
 * version of `SUPPORTED_VERSIONS`, and an error value with the header when the header parsed
 * (so the door can answer with the request's correlation id) or null when it did not. Trailing
 * bytes after a body are malformed. Every supported version is non-flexible, so the request
 * header is v1 and the response header v0 (the correlation id alone).
 * Called by the Kafka door (src/doors/kafka/) and the bridge's tests; no state.
 */
import { ApiKey, apiName, isSupported, SUPPORTED_VERSIONS } from "./api-keys.ts";
import * as core from "./messages/core.ts";
import * as data from "./messages/data.ts";
import * as groups from "./messages/groups.ts";
import * as admin from "./messages/admin.ts";
import { KafkaReader, KafkaWireError, KafkaWriter } from "./wire.ts";

export { ApiKey, apiName, isSupported, SUPPORTED_VERSIONS, type VersionRange } from "./api-keys.ts";
export {
  DEFAULT_MAX_FRAME_BYTES,
  FrameSplitter,
  frameSizePrefixed,
  type FrameError,
} from "./frames.ts";
export { KafkaReader, KafkaWireError, KafkaWriter, type WireFault } from "./wire.ts";
export type * from "./messages/core.ts";
export type * from "./messages/data.ts";
export type * from "./messages/groups.ts";
export type * from "./messages/admin.ts";
export { DEFAULT_CONFIG_SOURCE } from "./messages/admin.ts";
export { crc32c, crc32cUpdate } from "./crc32c.ts";
export {
  putRecordHead,
  putVarBytes,
  putVarint,
  RECORD_BATCH_HEADER_BYTES,
  recordBodySize,
  sealRecordBatch,
  varBytesSize,
  varintSize,
  type BatchHeaderFields,
} from "./batch-writer.ts";
export { concatBytes } from "./compression.ts";
export { parseSaslPlain, type SaslPlainCredentials } from "./sasl-plain.ts";
export {
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
  type TopicPartitions,
} from "./consumer-protocol.ts";
export {
  CompressionCodec,
  CompressionError,
  decodeRecordBatches,
  encodeRecordBatch,
  KafkaBatchError,
  readRecordBatchSections,
  TimestampType,
  visitKafkaRecords,
  type DecodeBatchOptions,
  type KafkaBatchSection,
  type KafkaBatchFault,
  type KafkaRecord,
  type KafkaRecordBatch,
  type KafkaRecordBatchInput,
  type KafkaRecordHeader,
  type KafkaRecordInput,
  type KafkaRecordView,
} from "./record-batch.ts";

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Request body type per API key. */
export interface RequestBodies {
  [ApiKey.ApiVersions]: core.ApiVersionsRequest;
  [ApiKey.Metadata]: core.MetadataRequest;
  [ApiKey.SaslHandshake]: core.SaslHandshakeRequest;
  [ApiKey.SaslAuthenticate]: core.SaslAuthenticateRequest;
  [ApiKey.Produce]: data.ProduceRequest;
  [ApiKey.Fetch]: data.FetchRequest;
  [ApiKey.ListOffsets]: data.ListOffsetsRequest;
  [ApiKey.InitProducerId]: data.InitProducerIdRequest;
  [ApiKey.FindCoordinator]: groups.FindCoordinatorRequest;
  [ApiKey.JoinGroup]: groups.JoinGroupRequest;
  [ApiKey.SyncGroup]: groups.SyncGroupRequest;
  [ApiKey.Heartbeat]: groups.HeartbeatRequest;
  [ApiKey.LeaveGroup]: groups.LeaveGroupRequest;
  [ApiKey.OffsetCommit]: groups.OffsetCommitRequest;
  [ApiKey.OffsetFetch]: groups.OffsetFetchRequest;
  [ApiKey.CreateTopics]: admin.CreateTopicsRequest;
  [ApiKey.DeleteTopics]: admin.DeleteTopicsRequest;
  [ApiKey.DescribeConfigs]: admin.DescribeConfigsRequest;
}

/** Response body type per API key. */
export interface ResponseBodies {
  [ApiKey.ApiVersions]: core.ApiVersionsResponse;
  [ApiKey.Metadata]: core.MetadataResponse;
  [ApiKey.SaslHandshake]: core.SaslHandshakeResponse;
  [ApiKey.SaslAuthenticate]: core.SaslAuthenticateResponse;
  [ApiKey.Produce]: data.ProduceResponse;
  [ApiKey.Fetch]: data.FetchResponse;
  [ApiKey.ListOffsets]: data.ListOffsetsResponse;
  [ApiKey.InitProducerId]: data.InitProducerIdResponse;
  [ApiKey.FindCoordinator]: groups.FindCoordinatorResponse;
  [ApiKey.JoinGroup]: groups.JoinGroupResponse;
  [ApiKey.SyncGroup]: groups.SyncGroupResponse;
  [ApiKey.Heartbeat]: groups.HeartbeatResponse;
  [ApiKey.LeaveGroup]: groups.LeaveGroupResponse;
  [ApiKey.OffsetCommit]: groups.OffsetCommitResponse;
  [ApiKey.OffsetFetch]: groups.OffsetFetchResponse;
  [ApiKey.CreateTopics]: admin.CreateTopicsResponse;
  [ApiKey.DeleteTopics]: admin.DeleteTopicsResponse;
  [ApiKey.DescribeConfigs]: admin.DescribeConfigsResponse;
}

export type KnownApiKey = keyof RequestBodies & keyof ResponseBodies;

/** A request header whose API key is known to be `K`. */
export type HeaderOf<K extends KnownApiKey> = RequestHeader & { apiKey: K };

export type DecodedRequestOk = {
  [K in KnownApiKey]: { ok: true; apiKey: K; header: HeaderOf<K>; body: RequestBodies[K] };
}[KnownApiKey];

/** The decoded request of one API key, e.g. `DecodedRequestOf<typeof ApiKey.Produce>`. */
export type DecodedRequestOf<K extends KnownApiKey> = Extract<DecodedRequestOk, { apiKey: K }>;

export type DecodeFault = "truncated" | "unsupported_version" | "unknown_api" | "malformed";

export interface DecodedRequestError {
  ok: false;
  header: RequestHeader | null;
  reason: DecodeFault;
  message: string;
}

export type DecodedRequest = DecodedRequestOk | DecodedRequestError;

interface Codec<K extends KnownApiKey> {
  decode(r: KafkaReader, version: number): RequestBodies[K];
  encode(w: KafkaWriter, version: number, body: ResponseBodies[K]): void;
}

type Codecs = { [K in KnownApiKey]: Codec<K> };

const CODECS: Codecs = {
  [ApiKey.ApiVersions]: {
    decode: core.decodeApiVersionsRequest,
    encode: core.encodeApiVersionsResponse,
  },
  [ApiKey.Metadata]: { decode: core.decodeMetadataRequest, encode: core.encodeMetadataResponse },
  [ApiKey.SaslHandshake]: {
    decode: core.decodeSaslHandshakeRequest,
    encode: core.encodeSaslHandshakeResponse,
  },
  [ApiKey.SaslAuthenticate]: {
    decode: core.decodeSaslAuthenticateRequest,
    encode: core.encodeSaslAuthenticateResponse,
  },
  [ApiKey.Produce]: { decode: data.decodeProduceRequest, encode: data.encodeProduceResponse },
  [ApiKey.Fetch]: { decode: data.decodeFetchRequest, encode: data.encodeFetchResponse },
  [ApiKey.ListOffsets]: {
    decode: data.decodeListOffsetsRequest,
    encode: data.encodeListOffsetsResponse,
  },
  [ApiKey.InitProducerId]: {
    decode: data.decodeInitProducerIdRequest,
    encode: data.encodeInitProducerIdResponse,
  },
  [ApiKey.FindCoordinator]: {
    decode: groups.decodeFindCoordinatorRequest,
    encode: groups.encodeFindCoordinatorResponse,
  },
  [ApiKey.JoinGroup]: {
    decode: groups.decodeJoinGroupRequest,
    encode: groups.encodeJoinGroupResponse,
  },
  [ApiKey.SyncGroup]: {
    decode: groups.decodeSyncGroupRequest,
    encode: groups.encodeSyncGroupResponse,
  },
  [ApiKey.Heartbeat]: {
    decode: groups.decodeHeartbeatRequest,
    encode: groups.encodeHeartbeatResponse,
  },
  [ApiKey.LeaveGroup]: {
    decode: groups.decodeLeaveGroupRequest,
    encode: groups.encodeLeaveGroupResponse,
  },
  [ApiKey.OffsetCommit]: {
    decode: groups.decodeOffsetCommitRequest,
    encode: groups.encodeOffsetCommitResponse,
  },
  [ApiKey.OffsetFetch]: {
    decode: groups.decodeOffsetFetchRequest,
    encode: groups.encodeOffsetFetchResponse,
  },
  [ApiKey.CreateTopics]: {
    decode: admin.decodeCreateTopicsRequest,
    encode: admin.encodeCreateTopicsResponse,
  },
  [ApiKey.DeleteTopics]: {
    decode: admin.decodeDeleteTopicsRequest,
    encode: admin.encodeDeleteTopicsResponse,
  },
  [ApiKey.DescribeConfigs]: {
    decode: admin.decodeDescribeConfigsRequest,
    encode: admin.encodeDescribeConfigsResponse,
  },
};

function isKnown(apiKey: number): apiKey is KnownApiKey {
  return Object.hasOwn(CODECS, apiKey);
}

/** Reads a request header v1 (also the prefix of v2, so it serves unsupported versions too). */
function readHeader(r: KafkaReader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Parses the header of a frame far enough to answer it: the API, version and correlation id. */
function readHeaderPrefix(payload: Uint8Array): RequestHeader | null {
  if (payload.length < 8) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, 8);
  const apiKey = view.getInt16(0);
  return { apiKey, apiVersion: view.getInt16(2), correlationId: view.getInt32(4), clientId: null };
}

function fault(
  header: RequestHeader | null,
  reason: DecodeFault,
  message: string,
): DecodedRequestError {
  return { ok: false, header, reason, message };
}

/** Decodes one request frame (its payload, without the 4-byte size). Never throws. */
export function decodeRequest(payload: Uint8Array): DecodedRequest {
  const r = new KafkaReader(payload);
  let header: RequestHeader;
  try {
    header = readHeader(r);
  } catch (e) {
    if (!(e instanceof KafkaWireError)) throw e;
    return fault(readHeaderPrefix(payload), e.reason, `request header: ${e.message}`);
  }
  const { apiKey, apiVersion } = header;
  if (!isKnown(apiKey)) return fault(header, "unknown_api", `unknown API key ${apiKey}`);
  if (!isSupported(apiKey, apiVersion)) {
    const range = SUPPORTED_VERSIONS[apiKey]!;
    const supported = `v${range.min}–v${range.max}`;
    const message = `${apiName(apiKey)} v${apiVersion} is not supported (${supported})`;
    return fault(header, "unsupported_version", message);
  }
  try {
    const body = (CODECS[apiKey] as Codec<KnownApiKey>).decode(r, apiVersion);
    if (r.remaining() !== 0) {
      const message = `${r.remaining()} bytes after the ${apiName(apiKey)} v${apiVersion} body`;
      return fault(header, "malformed", message);
    }
    return { ok: true, apiKey, header, body } as DecodedRequestOk;
  } catch (e) {
    if (!(e instanceof KafkaWireError)) throw e;
    return fault(header, e.reason, `${apiName(apiKey)} v${apiVersion}: ${e.message}`);
  }
}

/**
 * Encodes the response to `header` (response header v0, the correlation id, then the body of
 * `header.apiVersion`), without the size prefix. An ApiVersions request of a version outside
 * the table is answered at v0, as Kafka does (see `apiVersionsUnsupportedResponse`).
 */
export function encodeResponse<K extends KnownApiKey>(
  header: HeaderOf<K>,
  body: ResponseBodies[K],
): Uint8Array {
  const w = new KafkaWriter();
  w.int32(header.correlationId);
  let version = header.apiVersion;
  if (header.apiKey === ApiKey.ApiVersions && !isSupported(header.apiKey, version)) version = 0;
  else if (!isSupported(header.apiKey, version)) {
    throw new RangeError(`cannot encode ${apiName(header.apiKey)} v${version}: not supported`);
  }
  (CODECS[header.apiKey] as Codec<K>).encode(w, version, body);
  return w.finish();
}

/** Every supported API and version range, as the ApiVersions answer lists them. */
export function supportedApiVersions(): core.ApiVersion[] {
  return Object.entries(SUPPORTED_VERSIONS)
    .map(([key, r]) => ({ apiKey: Number(key), minVersion: r.min, maxVersion: r.max }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

/**
 * Kafka's answer to an ApiVersions request of a version it does not know: a v0 body with
 * UNSUPPORTED_VERSION (35) listing the ApiVersions range alone, so the client retries with
 * the highest version listed (librdkafka sends v3 first and retries v2 on this answer).
 */
export function apiVersionsUnsupportedResponse(correlationId: number): Uint8Array {
  const range = SUPPORTED_VERSIONS[ApiKey.ApiVersions]!;
  const header = { apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId, clientId: null };
  const apiKeys = [{ apiKey: ApiKey.ApiVersions, minVersion: range.min, maxVersion: range.max }];
  return encodeResponse(header, { errorCode: 35, apiKeys });
}
