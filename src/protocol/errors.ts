/**
 * The one table of Flarelog errors: Kafka's permanent numeric codes, their names, whether a
 * client may retry, and the HTTP status the API answers with.
 *
 * Invariant: codes and names are Kafka's (org.apache.kafka.common.protocol.Errors) and never
 * change meaning. Every layer returns these as values (`KafkaError`), because a thrown error
 * loses its own properties when it crosses Durable Object RPC.
 */

export interface ErrorSpec {
  readonly code: number;
  readonly retriable: boolean;
  readonly status: number;
}

export const ERRORS = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false, status: 500 },
  NONE: { code: 0, retriable: false, status: 200 },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false, status: 416 },
  // Kafka marks 2 retriable (a byte flipped on the wire); over HTTP a batch that does not parse
  // is the request body itself, refused the same way every time: retrying cannot help.
  CORRUPT_MESSAGE: { code: 2, retriable: false, status: 400 },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true, status: 404 },
  INVALID_FETCH_SIZE: { code: 4, retriable: false, status: 400 },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true, status: 503 },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true, status: 503 },
  REQUEST_TIMED_OUT: { code: 7, retriable: true, status: 504 },
  REPLICA_NOT_AVAILABLE: { code: 9, retriable: true, status: 503 },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false, status: 413 },
  NETWORK_EXCEPTION: { code: 13, retriable: true, status: 503 },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true, status: 503 },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false, status: 400 },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false, status: 413 },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true, status: 503 },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true, status: 503 },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false, status: 400 },
  ILLEGAL_GENERATION: { code: 22, retriable: false, status: 409 },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false, status: 409 },
  INVALID_GROUP_ID: { code: 24, retriable: false, status: 400 },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, status: 409 },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false, status: 400 },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false, status: 409 },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false, status: 400 },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, retriable: false, status: 403 },
  GROUP_AUTHORIZATION_FAILED: { code: 30, retriable: false, status: 403 },
  CLUSTER_AUTHORIZATION_FAILED: { code: 31, retriable: false, status: 403 },
  INVALID_TIMESTAMP: { code: 32, retriable: false, status: 400 },
  /** Also the HTTP API's answer for a path it does not serve (no such API at that path or version). */
  UNSUPPORTED_VERSION: { code: 35, retriable: false, status: 404 },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false, status: 409 },
  INVALID_PARTITIONS: { code: 37, retriable: false, status: 400 },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false, status: 400 },
  /** A replica id the partition does not have (admin routes). */
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false, status: 404 },
  INVALID_REQUEST: { code: 42, retriable: false, status: 400 },
  POLICY_VIOLATION: { code: 44, retriable: false, status: 400 },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, status: 409 },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false, status: 409 },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, status: 409 },
  INVALID_CONFIG: { code: 40, retriable: false, status: 400 },
  SASL_AUTHENTICATION_FAILED: { code: 58, retriable: false, status: 401 },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false, status: 409 },
  NON_EMPTY_GROUP: { code: 68, retriable: false, status: 409 },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false, status: 404 },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true, status: 503 },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true, status: 409 },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true, status: 409 },
  OFFSET_NOT_AVAILABLE: { code: 78, retriable: true, status: 503 },
  PREFERRED_LEADER_NOT_AVAILABLE: { code: 80, retriable: true, status: 503 },
  GROUP_MAX_SIZE_REACHED: { code: 81, retriable: false, status: 409 },
  FENCED_INSTANCE_ID: { code: 82, retriable: false, status: 409 },
  INVALID_RECORD: { code: 87, retriable: false, status: 400 },
  THROTTLING_QUOTA_EXCEEDED: { code: 89, retriable: true, status: 429 },
  /** A tenant or API key that does not exist (or is not the caller's). */
  RESOURCE_NOT_FOUND: { code: 91, retriable: false, status: 404 },
  /** A tenant that already exists. */
  DUPLICATE_RESOURCE: { code: 92, retriable: false, status: 409 },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false, status: 409 },
  FENCED_MEMBER_EPOCH: { code: 110, retriable: false, status: 409 },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true, status: 404 },
  INCONSISTENT_TOPIC_ID: { code: 103, retriable: true, status: 409 },
  UNRELEASED_INSTANCE_ID: { code: 111, retriable: false, status: 409 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERRORS;

/** An error as a plain value: survives RPC, goes straight into the API's error body. */
export interface KafkaError {
  readonly errorCode: number;
  readonly error: ErrorName;
  readonly message: string;
  /**
   * True when the request may already have taken effect (a produce that was appended but not
   * confirmed by the ISR). Such a request is never retried on the client's behalf.
   */
  readonly outcomeUnknown?: boolean;
  /** An HTTP status of the HTTP edge's own (408 for a body not received in time), instead of the table's. */
  readonly httpStatus?: number;
}

export function kafkaError(name: ErrorName, message: string): KafkaError {
  return { errorCode: ERRORS[name].code, error: name, message };
}

/** A result that is either a value or a Kafka error; what every RPC method returns. */
export type Result<T> = { ok: true; value: T } | { ok: false; err: KafkaError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(name: ErrorName, message: string): Result<T> => ({
  ok: false,
  err: kafkaError(name, message),
});

/** A failure after the request may have taken effect (see `KafkaError.outcomeUnknown`). */
export const failAfterEffect = <T = never>(name: ErrorName, message: string): Result<T> => ({
  ok: false,
  err: { ...kafkaError(name, message), outcomeUnknown: true },
});

export function isErrorName(name: string): name is ErrorName {
  return Object.hasOwn(ERRORS, name);
}

export function errorSpec(name: ErrorName): ErrorSpec {
  return ERRORS[name];
}

/** The API's error body, exactly as API.md states it. */
export interface ErrorBody {
  error_code: number;
  error: ErrorName;
  message: string;
  retriable: boolean;
}

export function errorBody(err: KafkaError): ErrorBody {
  return { error_code: err.errorCode, error: err.error, message: err.message, retriable: ERRORS[err.error].retriable };
}
