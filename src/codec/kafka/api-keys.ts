/**
 * Kafka API keys Flarelog's Kafka door serves and the versions it accepts of each.
 *
 * Invariant: every version in `SUPPORTED_VERSIONS` is non-flexible (no compact strings, no
 * tagged fields) and is decoded and encoded by src/codec/kafka/messages/, tested against
 * kafkajs 2.2.4's own encoders and decoders. The ranges are those kafkajs 2.2.4 implements
 * (it negotiates the highest version both sides support), cut to those librdkafka 2.x also
 * accepts: librdkafka asks for min(its max, ours), so non-flexible maxima serve it too, and
 * it enables features (compression codecs among them) only where our ranges overlap its
 * feature map's (src/rdkafka_feature.c), which sets some minima lower than we use. The
 * ApiVersions answer is built from this table, so what is advertised is what is decoded.
 * Pure constants; imported by the codec's index and by the Kafka door.
 */

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
} as const;
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** The versions decodeRequest accepts and the ApiVersions answer advertises, per API key. */
export const SUPPORTED_VERSIONS: Readonly<Record<number, VersionRange>> = {
  [ApiKey.ApiVersions]: { min: 0, max: 2 },
  [ApiKey.Metadata]: { min: 0, max: 6 },
  [ApiKey.SaslHandshake]: { min: 0, max: 1 },
  [ApiKey.SaslAuthenticate]: { min: 0, max: 1 },
  // The minima are what librdkafka 2.x looks for before it compresses: gzip, snappy and lz4
  // need a Produce range overlapping v0 (rdkafka_msgset_writer.c), its MsgVer1 feature
  // Produce and Fetch overlapping v2 (rdkafka_feature.c). Clients negotiate the maximum, so
  // the low versions are only advertised and decoded; their old MessageSet records (magic
  // 0/1) are refused by decodeRecordBatches as unsupported_magic.
  [ApiKey.Produce]: { min: 0, max: 7 },
  [ApiKey.Fetch]: { min: 2, max: 11 },
  [ApiKey.ListOffsets]: { min: 1, max: 3 },
  [ApiKey.InitProducerId]: { min: 0, max: 1 },
  [ApiKey.FindCoordinator]: { min: 0, max: 2 },
  [ApiKey.JoinGroup]: { min: 0, max: 5 },
  [ApiKey.SyncGroup]: { min: 0, max: 3 },
  [ApiKey.Heartbeat]: { min: 0, max: 3 },
  [ApiKey.LeaveGroup]: { min: 0, max: 3 },
  [ApiKey.OffsetCommit]: { min: 2, max: 5 },
  [ApiKey.OffsetFetch]: { min: 1, max: 4 },
  [ApiKey.CreateTopics]: { min: 0, max: 3 },
  [ApiKey.DeleteTopics]: { min: 0, max: 1 },
  [ApiKey.DescribeConfigs]: { min: 0, max: 2 },
};

/** Whether decodeRequest accepts `apiVersion` of `apiKey`. */
export function isSupported(apiKey: number, apiVersion: number): boolean {
  const range = SUPPORTED_VERSIONS[apiKey];
  return range !== undefined && apiVersion >= range.min && apiVersion <= range.max;
}

/** Name of an API key for messages and logs (`Produce`, …), or `api key N`. */
export function apiName(apiKey: number): string {
  for (const [name, key] of Object.entries(ApiKey)) if (key === apiKey) return name;
  return `api key ${apiKey}`;
}
