/** API key permissions (DATA.md). `read`/`write` cover every read_* / write_*; `admin` covers all. */
export const API_PERMISSIONS = [
  'read',
  'write',
  'admin',
  'read_billing',
  'write_billing',
  'read_subscriptions',
  'write_subscriptions',
  'read_users',
  'write_users',
  'read_courses',
  'write_courses',
  'read_analytics',
  'manage_webhooks',
] as const;
export type ApiPermission = (typeof API_PERMISSIONS)[number];

/** Who is calling, resolved once per request by the identity middleware. */
export type Caller =
  | { kind: 'anonymous' }
  /** The shim acting for WordPress itself (signed request with user id 0), e.g. cache invalidation hooks. */
  | { kind: 'system'; via: 'shim' }
  | {
      kind: 'user';
      via: 'shim' | 'token' | 'application_password' | 'cookie';
      userId: number;
      roles: string[];
      capabilities: Record<string, boolean>;
    }
  | {
      kind: 'api_key';
      userId: number;
      keyId: number;
      permissions: string[];
      roles: string[];
      capabilities: Record<string, boolean>;
      rateLimitPerHour: number;
    };

/** Network-level facts about the request, resolved before identity. */
export interface RequestOrigin {
  ip: string;
  /** The address is in slbp_health_check_ips (or the config's list). */
  healthCheckAddress: boolean;
  /** The address is in slbp_monitoring_ips (or the config's list). */
  monitoringAddress: boolean;
  /** A configured bearer token (metrics or health) was presented. */
  metricsToken: boolean;
  healthToken: boolean;
}

export const ANONYMOUS: Caller = { kind: 'anonymous' };

export function isSignedIn(c: Caller): boolean {
  return c.kind !== 'anonymous';
}

/** Whether an API key's permission list grants `needed`. */
export function keyAllows(permissions: string[], needed: ApiPermission): boolean {
  if (permissions.includes('admin') || permissions.includes(needed)) return true;
  if (needed.startsWith('read_') && permissions.includes('read')) return true;
  if (needed.startsWith('write_') && permissions.includes('write')) return true;
  return false;
}

/** "Admin" = capability manage_options, or an API key with the `admin` permission. */
export function isAdmin(c: Caller): boolean {
  if (c.kind === 'user') return c.capabilities.manage_options === true;
  if (c.kind === 'api_key') return c.permissions.includes('admin');
  return false;
}
