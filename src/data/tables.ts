/** Plugin table suffixes (after `{prefix}slbp_`), as in the plugin's schema. */
export const PLUGIN_TABLES = [
  'alerts',
  'api_keys',
  'api_logs',
  'background_tasks',
  'enrollment_logs',
  'licenses',
  'metrics',
  'notifications',
  'rate_limits',
  'sessions',
  'subscriptions',
  'transactions',
  'webhook_logs',
  'webhooks',
] as const;

/** WordPress core tables the sidecar reads. */
export const CORE_TABLES = ['users', 'usermeta', 'options', 'posts'] as const;

export type PluginTable = (typeof PLUGIN_TABLES)[number];
export type CoreTable = (typeof CORE_TABLES)[number];

export interface Tables {
  prefix: string;
  core: Record<CoreTable, string>;
  slbp: Record<PluginTable, string>;
  /** `{prefix}user_roles` option name. */
  userRolesOption: string;
  /** `{prefix}capabilities` user meta key. */
  capabilitiesMeta: string;
  /** Every table /ready requires. */
  required: string[];
}

/** Table and meta names derived from the configured prefix; never hard-code `wp_`. */
export function createTables(prefix: string): Tables {
  if (!/^[A-Za-z0-9_]+$/.test(prefix)) throw new Error(`invalid table prefix "${prefix}"`);
  const core = Object.fromEntries(CORE_TABLES.map((t) => [t, `${prefix}${t}`])) as Record<CoreTable, string>;
  const slbp = Object.fromEntries(PLUGIN_TABLES.map((t) => [t, `${prefix}slbp_${t}`])) as Record<PluginTable, string>;
  return {
    prefix,
    core,
    slbp,
    userRolesOption: `${prefix}user_roles`,
    capabilitiesMeta: `${prefix}capabilities`,
    required: [...Object.values(core), ...Object.values(slbp)],
  };
}
