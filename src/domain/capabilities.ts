/** A WordPress role definition as stored in the `{prefix}user_roles` option. */
export interface RoleDefinition {
  name?: string;
  capabilities?: Record<string, unknown>;
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

/**
 * Roles and effective capabilities, computed as WP_User::get_role_caps() does: the user's
 * `{prefix}capabilities` meta names roles (keys that are roles) and per-user grants; role caps
 * are merged first, then per-user entries override them; each role name is itself a capability.
 */
export function resolveCapabilities(
  userCaps: Record<string, unknown>,
  roles: Record<string, unknown>,
): { roles: string[]; capabilities: Record<string, boolean> } {
  const userRoles = Object.keys(userCaps).filter((k) => truthy(userCaps[k]) && roles[k] && typeof roles[k] === 'object');
  const all: Record<string, boolean> = {};
  for (const role of userRoles) {
    const def = roles[role] as RoleDefinition;
    for (const [cap, grant] of Object.entries(def.capabilities ?? {})) all[cap] = truthy(grant);
  }
  for (const [key, grant] of Object.entries(userCaps)) all[key] = truthy(grant);
  return { roles: userRoles, capabilities: Object.fromEntries(Object.entries(all).filter(([, v]) => v)) };
}
