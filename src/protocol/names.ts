/**
 * The one module that builds Durable Object names. Every name carries the tenant; a replica's
 * name carries the topic's id (a UUID given at creation), never its name, so a deleted and
 * re-created topic can never reach the old topic's data.
 *
 * Tenants and topic names are restricted to `[a-zA-Z0-9._-]`, so "/" cannot appear inside a
 * component and names cannot collide.
 */

export const names = {
  clusterCoordinator: (tenant: string): string => `cluster/${tenant}`,
  groupCoordinator: (tenant: string, group: string): string => `group/${tenant}/${encodeURIComponent(group)}`,
  partitionReplica: (tenant: string, topicId: string, partition: number, replica: number): string =>
    `replica/${tenant}/${topicId}/${partition}/${replica}`,
};

/** The tenant a coordinator serves, read back from its own name. */
export function tenantOfCoordinator(name: string): string {
  if (!name.startsWith("cluster/")) throw new Error(`not a cluster coordinator name: "${name}"`);
  return name.slice("cluster/".length);
}

/** The tenant and group a group coordinator serves, read back from its own name. */
export function groupOfCoordinator(name: string): { tenant: string; group: string } {
  const m = /^group\/([^/]+)\/(.+)$/.exec(name);
  if (!m) throw new Error(`not a group coordinator name: "${name}"`);
  return { tenant: m[1]!, group: decodeURIComponent(m[2]!) };
}

export const DEFAULT_TENANT = "default";
