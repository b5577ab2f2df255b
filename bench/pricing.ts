/**
 * Published prices the cost scenario (bench/cost.ts) converts billed units with, and the prices
 * of the services a user would pick instead, each with the page it was read from and the date it
 * was read. Only prices found in a stored copy of the provider's page are filled in; a service
 * whose price could not be found there says so (`usd: null`), nothing is invented.
 * Node 24 type stripping: erasable TypeScript only.
 */

/** The day these pages were read (the bench's own clock; the pages carry their own dates). */
export const PRICES_READ = "2026-12-05";

/** Cloudflare Workers Paid + Durable Objects (SQLite backend), USD, beyond the included amounts. */
export const CLOUDFLARE = {
  workerRequestPerM: 0.3,
  workerCpuMsPerM: 0.02,
  doRequestPerM: 0.15,
  doGbSecondPerM: 12.5,
  /** Duration is billed for 128 MB per active object, whatever it uses. */
  doGb: 0.128,
  rowsReadPerM: 0.001,
  rowsWrittenPerM: 1.0,
  storedGbMonth: 0.2,
  sources: [
    "https://developers.cloudflare.com/durable-objects/platform/pricing/ (requests $0.15/M incl. RPC calls and alarms; duration $12.50/M GB-s at 128 MB; SQLite rows read $0.001/M, rows written $1.00/M, stored $0.20/GB-month; each setAlarm() one row written)",
    "https://developers.cloudflare.com/workflows/reference/pricing/ (\"identical to Workers Standard pricing\": requests $0.30/M beyond 10 M, CPU $0.02 per M CPU-ms beyond 30 M)",
  ],
};

export interface PeerPrice {
  service: string;
  /** $ per million messages of up to 64 KB, produced once and consumed once, when priced per message. */
  usd_per_m_messages: number | null;
  /** $ per GB written, read once and stored a month, from per-GB prices (fixed hourly fees left out). */
  usd_per_gb_in_read_month: number | null;
  note: string;
  source: string;
}

/** GiB of 100-byte values in a million messages (MSK and Confluent bill binary GB). */
const GIB_PER_M_100B = 1e8 / 2 ** 30;

/**
 * Prices of the alternatives, as found; per-GB fees only (fixed hourly cluster and partition
 * fees are in the notes). `usd_per_m_messages`: a million 100-byte messages written and read
 * once. null: not found in the stored pages (see note).
 */
export const PEERS: PeerPrice[] = [
  {
    service: "Cloudflare Queues",
    usd_per_m_messages: 1.2,
    usd_per_gb_in_read_month: 12,
    note: "$0.40 per million operations, one per 64 KB written, read or deleted: 3 per delivered message, so 100-byte messages are $12 per GB; retention at most 14 days, no storage fee",
    source: "https://developers.cloudflare.com/queues/pricing/",
  },
  {
    service: "Amazon MSK Serverless",
    usd_per_m_messages: Number(((0.1 + 0.05) * GIB_PER_M_100B).toFixed(4)),
    usd_per_gb_in_read_month: 0.25,
    note: "$0.10/GiB in, $0.05/GiB out, $0.10/GiB-month; plus $0.75 per cluster-hour (~$540 a month) and $0.0015 per partition-hour (secondary source, 2022: a copy of the AWS price table; the AWS page itself was not in the stored pages)",
    source: "https://gist.github.com/EverettBerry/d24aa940ad43c313803248cea6366682 (of https://aws.amazon.com/msk/pricing/)",
  },
  {
    service: "Confluent Cloud (Basic)",
    usd_per_m_messages: Number(((0.05 + 0.05) * GIB_PER_M_100B).toFixed(4)),
    usd_per_gb_in_read_month: 0.18,
    note: "$0.05/GB in, $0.05/GB out, $0.08/GB-month (GB = GiB); first eCKU free, then $0.14 per eCKU-hour (secondary source: a transcription of confluent.io/pricing dated 2026-09-05)",
    source: "https://raw.githubusercontent.com/api-evangelist/confluent-the-data-streaming-platform/refs/heads/main/plans/confluent-the-data-streaming-platform-plans-pricing.yml (of https://www.confluent.io/pricing/)",
  },
  {
    service: "WarpStream",
    usd_per_m_messages: null,
    usd_per_gb_in_read_month: null,
    note: "billed per cluster-minute (tiers), uncompressed GiB written and GiB stored; the per-GiB prices were not in the stored pages",
    source: "https://docs.warpstream.com/warpstream/reference/billing (dimensions only)",
  },
  {
    service: "Upstash Kafka (last price list)",
    usd_per_m_messages: null,
    usd_per_gb_in_read_month: null,
    note: "the Kafka price list was not in the stored pages (only QStash's, $1 per 100K messages, a different product)",
    source: "https://upstash.com/pricing (not found for Kafka)",
  },
];
