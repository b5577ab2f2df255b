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

/** Prices of the alternatives, as found (null: not found in the stored pages; see note). */
export const PEERS: PeerPrice[] = [
  {
    service: "Cloudflare Queues",
    usd_per_m_messages: 1.2,
    usd_per_gb_in_read_month: null,
    note: "$0.40 per million operations, an operation per 64 KB written, read or deleted; 3 per delivered message",
    source: "https://developers.cloudflare.com/queues/pricing/",
  },
  {
    service: "Amazon MSK Serverless",
    usd_per_m_messages: null,
    usd_per_gb_in_read_month: null,
    note: "billed per cluster-hour, partition-hour, GB in, GB out and GB-month; the unit prices were not in the stored pages",
    source: "https://aws.amazon.com/msk/pricing/ (dimensions only, via a stored copy)",
  },
  {
    service: "Confluent Cloud",
    usd_per_m_messages: null,
    usd_per_gb_in_read_month: null,
    note: "billed per eCKU-hour, GB ingress, GB egress and GB-hour stored; the unit prices were not in the stored pages",
    source: "https://docs.confluent.io/cloud/current/billing/billing-dimensions.html (dimensions only)",
  },
  {
    service: "WarpStream",
    usd_per_m_messages: null,
    usd_per_gb_in_read_month: null,
    note: "billed per cluster-minute, uncompressed GiB written and GiB stored; the unit prices were not in the stored pages",
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
