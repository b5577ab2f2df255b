/** The group coordinator's numbered DDL files, imported as text (wrangler `Text` rule). */
import m0001 from "../../migrations/group-coordinator/0001_init.sql";

import type { Migration } from "../storage/migrations.ts";

export const GROUP_COORDINATOR_MIGRATIONS: readonly Migration[] = [{ name: "0001_init", sql: m0001 }];
