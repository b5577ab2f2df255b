/** The cluster coordinator's numbered DDL files, imported as text (wrangler `Text` rule). */
import m0001 from "../../migrations/cluster-coordinator/0001_init.sql";
import m0002 from "../../migrations/cluster-coordinator/0002_producers.sql";
import m0003 from "../../migrations/cluster-coordinator/0003_groups.sql";

import type { Migration } from "../storage/migrations.ts";

export const CLUSTER_COORDINATOR_MIGRATIONS: readonly Migration[] = [
  { name: "0001_init", sql: m0001 },
  { name: "0002_producers", sql: m0002 },
  { name: "0003_groups", sql: m0003 },
];

import t0001 from "../../migrations/tenant-directory/0001_init.sql";
import t0002 from "../../migrations/tenant-directory/0002_key_quotas.sql";
import t0003 from "../../migrations/tenant-directory/0003_tenant_cors.sql";
import t0004 from "../../migrations/tenant-directory/0004_ds_anonymous.sql";

/** The tenant directory's DDL (TenantDirectoryDO). */
export const TENANT_DIRECTORY_MIGRATIONS: readonly Migration[] = [
  { name: "0001_init", sql: t0001 },
  { name: "0002_key_quotas", sql: t0002 },
  { name: "0003_tenant_cors", sql: t0003 },
  { name: "0004_ds_anonymous", sql: t0004 },
];
