import { createHash } from 'node:crypto';

/**
 * Which site a sidecar serves, as everything shared between sites (one Redis, one data
 * directory, one bucket) must tell them apart: see docs/decisions/0024-site-identity.md.
 */
export interface SiteIdentity {
  /** 12 hex digits derived from the database name and table prefix; the same on every node of the site. */
  key: string;
  database: string;
  tablePrefix: string;
}

/** The site key of a database and table prefix (no host: nodes reach one database under many names). */
export function siteKeyOf(database: string, tablePrefix: string): string {
  return createHash('sha256').update(`slbp-site\0${database}\0${tablePrefix}`).digest('hex').slice(0, 12);
}

export function siteIdentity(database: string, tablePrefix: string): SiteIdentity {
  return { key: siteKeyOf(database, tablePrefix), database, tablePrefix };
}

/** How a site is named in messages: `database "x", table prefix "wp_" (site key …) on host:3306`. */
export function describeSite(s: { database: string; table_prefix: string; site_key?: string | null; server?: string | null }): string {
  return `database "${s.database}", table prefix "${s.table_prefix}"${s.site_key ? ` (site key ${s.site_key})` : ''}${s.server ? ` on ${s.server}` : ''}`;
}
