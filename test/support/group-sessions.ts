/**
 * Session time for the workers tests' consumer groups, without waiting on the wall clock.
 *
 * A test that lets a short session (a few hundred ms) run out for real also needs every live
 * member to heartbeat within that window, which a loaded machine does not promise (issue 13:
 * such a test failed in a full run and passed alone). Instead, members join with long sessions
 * and a test ends one member's session on purpose: `sessionRunsOut` moves that member's session
 * deadline into the past in the group Durable Object's stored state and restarts the object
 * from storage (`evictDurableObject`), which is what time passing without its heartbeats does
 * to it; the other members' deadlines are untouched. The object's own session alarm
 * (`runDurableObjectAlarm`) or its next request then removes the member, through the same
 * expiry code as in production.
 *
 * Workers project only (`cloudflare:test`). Reads and writes the `consumer_group` row the
 * GroupCoordinatorDO persists (its state as JSON, members by id, `sessionDeadlineMs`).
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { names } from "../../src/protocol/names.ts";

export function groupStub(group: string, tenant = "default") {
  return env.GROUP_COORDINATOR.getByName(names.groupCoordinator(tenant, group));
}

/** The group's stored state (JSON text), as the object last wrote it. */
export function storedGroupState(group: string): Promise<string> {
  return runInDurableObject(groupStub(group), (_i, state) => state.storage.sql.exec("SELECT state FROM consumer_group WHERE id = 1").one().state as string);
}

/**
 * Ends `memberId`'s session: its deadline is now in the past, as if its session timeout had
 * passed without a heartbeat. Nothing else changes until the alarm or a request expires it.
 */
export async function sessionRunsOut(group: string, memberId: string): Promise<void> {
  const stub = groupStub(group);
  await runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql;
    const stored = JSON.parse(sql.exec("SELECT state FROM consumer_group WHERE id = 1").one().state as string) as {
      members: Record<string, { sessionDeadlineMs: number }>;
    };
    const member = stored.members[memberId];
    if (member === undefined) throw new Error(`member ${memberId} is not in group ${group}`);
    member.sessionDeadlineMs = Date.now() - 1;
    sql.exec("UPDATE consumer_group SET state = ? WHERE id = 1", JSON.stringify(stored));
  });
  // The object holds the group in memory: a restart reads the changed deadline back.
  await evictDurableObject(stub);
}

/** `sessionRunsOut`, then the group object's session alarm, run now (it must be armed). */
export async function expireSession(group: string, memberId: string): Promise<void> {
  await sessionRunsOut(group, memberId);
  if (!(await runDurableObjectAlarm(groupStub(group)))) throw new Error(`group ${group} has no session alarm armed`);
}
