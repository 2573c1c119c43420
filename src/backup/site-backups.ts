import { access, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeSite, type SiteIdentity } from '../config/site-identity.ts';
import { SidecarError } from '../errors.ts';

/** Which site a backup was made from; in every manifest and progress or failure record. */
export interface BackupSource {
  site_key: string;
  database: string;
  table_prefix: string;
  server: string | null;
}

/** What a stored backup says about its origin (manifests before #19 have only `database`). */
interface Attributable {
  source?: BackupSource | null;
  manifest?: { database?: { name: string } | null } | null;
}

export function sourceOf(site: SiteIdentity, server: string | null): BackupSource {
  return { site_key: site.key, database: site.database, table_prefix: site.tablePrefix, server };
}

/**
 * Whether a backup is this site's: its source names this site key. A backup made before sources
 * were recorded counts as this site's when its database dump names this database; a record
 * without either (an old failure record, a config-only backup) belongs to no site anyone can tell.
 */
export function belongsTo(site: SiteIdentity, b: Attributable): boolean {
  if (b.source) return b.source.site_key === site.key;
  return b.manifest?.database?.name === site.database;
}

/** The refusal of a backup from another site, naming both (REST: 409; the CLI can override). */
export function otherSiteError(id: string, site: SiteIdentity, b: Attributable): SidecarError {
  const from = b.source
    ? describeSite(b.source)
    : `database "${b.manifest?.database?.name ?? 'unknown'}" (made before backups named their site)`;
  const here = describeSite({ database: site.database, table_prefix: site.tablePrefix, site_key: site.key });
  return new SidecarError(
    'slbp_backup_other_site',
    `Backup ${id} was made from ${from}; this site is ${here}. Restoring another site's backup here is refused (the backup command line can do it with --allow-other-site).`,
    409,
    {
      backup_source: b.source ?? { database: b.manifest?.database?.name ?? null },
      this_site: { site_key: site.key, database: site.database, table_prefix: site.tablePrefix },
    },
  );
}

/** Writes `site.json` into a site's backup directory, so an operator browsing the disk can tell them apart. */
export async function labelSiteDirectory(dir: string, site: SiteIdentity): Promise<void> {
  await writeFile(
    path.join(dir, 'site.json'),
    `${JSON.stringify({ site_key: site.key, database: site.database, table_prefix: site.tablePrefix }, null, 2)}\n`,
    { mode: 0o600 },
  );
}

/**
 * Backups written before backups were kept per site sit directly in the shared `legacyRoot`.
 * Completed ones whose dump names this site's database move into the site's directory (a rename
 * on the same disk); everything else stays where it is and is counted, so the caller can say so.
 */
export async function adoptLegacyBackups(
  legacyRoot: string,
  siteRoot: string,
  site: SiteIdentity,
  isBackupId: (name: string) => boolean,
): Promise<{ moved: string[]; left: string[] }> {
  const moved: string[] = [];
  const left: string[] = [];
  for (const name of (await readdir(legacyRoot).catch(() => [] as string[])).filter(isBackupId)) {
    let manifest: { source?: unknown; database?: { name: string } | null } | null;
    try {
      manifest = JSON.parse(await readFile(path.join(legacyRoot, name, 'manifest.json'), 'utf8'));
    } catch {
      manifest = null;
    }
    if (!manifest || manifest.source || manifest.database?.name !== site.database) {
      left.push(name);
      continue;
    }
    try {
      await rename(path.join(legacyRoot, name), path.join(siteRoot, name));
      moved.push(name);
    } catch (err) {
      // Another node of the site moved it first.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { moved, left };
}

/**
 * The other sites' backup directories next to this one (`site.json` says whose), so the first
 * start under a new site key (a renamed database or prefix) can point at the backups it no longer lists.
 */
export async function otherSiteDirectories(root: string, site: SiteIdentity): Promise<{ dir: string; site: unknown }[]> {
  const out: { dir: string; site: unknown }[] = [];
  for (const name of (await readdir(root).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{12}$/.test(n) && n !== site.key)) {
    const label = await readFile(path.join(root, name, 'site.json'), 'utf8').then(
      (t) => JSON.parse(t) as unknown,
      () => null,
    );
    out.push({ dir: path.join(root, name), site: label });
  }
  return out;
}

/** Whether a path exists. */
export const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );
