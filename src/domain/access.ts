import { isAdmin, isSignedIn, keyAllows, type ApiPermission, type Caller, type RequestOrigin } from './caller.ts';

/** A route's access rule: a name for docs, and the check itself. */
export interface AccessRule {
  name: string;
  description: string;
  allows(caller: Caller, origin: RequestOrigin): boolean;
}

export const access = {
  public: { name: 'public', description: 'anyone', allows: () => true } as AccessRule,
  signedIn: { name: 'signed_in', description: 'any signed-in caller', allows: (c) => isSignedIn(c) } as AccessRule,
  admin: {
    name: 'admin',
    description: 'administrators (manage_options) and API keys with `admin`',
    allows: (c) => isAdmin(c),
  } as AccessRule,
  /** Administrators, and the shim acting for WordPress itself (signed, user id 0). */
  adminOrShim: {
    name: 'admin_or_shim',
    description: 'administrators, and the WordPress shim (signed request)',
    allows: (c) => isAdmin(c) || c.kind === 'system',
  } as AccessRule,
  healthDetailed: {
    name: 'health_detailed',
    description: 'administrators, load balancer addresses (slbp_health_check_ips) and the health token',
    allows: (c, o) => isAdmin(c) || o.healthCheckAddress || o.healthToken,
  } as AccessRule,
  monitoring: {
    name: 'monitoring',
    description: 'administrators, monitoring addresses (slbp_monitoring_ips) and the metrics token',
    allows: (c, o) => isAdmin(c) || o.monitoringAddress || o.metricsToken,
  } as AccessRule,
  /** Signed-in users act on their own rows; API keys additionally need `permission`. */
  ownerOr(permission: ApiPermission): AccessRule {
    return {
      name: `owner_or_${permission}`,
      description: `signed-in users for their own rows, administrators for all; API keys need \`${permission}\``,
      allows: (c) => (c.kind === 'api_key' ? keyAllows(c.permissions, permission) : isSignedIn(c)),
    };
  },
  /** Administrators, or API keys holding `permission`. */
  adminOr(permission: ApiPermission): AccessRule {
    return {
      name: `admin_or_${permission}`,
      description: `administrators, and API keys with \`${permission}\``,
      allows: (c) => (c.kind === 'api_key' ? keyAllows(c.permissions, permission) : isAdmin(c)),
    };
  },
};
