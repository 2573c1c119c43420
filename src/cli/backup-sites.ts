import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BackupStore, isBackupId } from '../backup/backup-store.ts';
import { describeSite, siteIdentity } from '../config/site-identity.ts';

export interface SiteBackupLine {
  id: string;
  type: string;
  status: string;
  created_at: string;
  size: number;
  from: string;
  dir: string;
}

/**
 * Every backup under the default backup root (each site's directory and the shared pre-#19 one)
 * and in SLBP_BACKUP_DIR, whatever site made it, oldest directory first: what `list --all-sites` prints.
 */
export async function listAllSites(root: string, explicitDir: string): Promise<SiteBackupLine[]> {
  const dirs = [
    root,
    ...(await readdir(root, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory() && /^[0-9a-f]{12}$/.test(e.name))
      .map((e) => path.join(root, e.name)),
  ];
  if (explicitDir) dirs.push(path.resolve(explicitDir));
  const out: SiteBackupLine[] = [];
  // Reading raw entries: the store's site only matters for filtering, which this listing skips.
  const anySite = siteIdentity('', '');
  for (const dir of dirs) {
    const store = new BackupStore(dir, anySite);
    for (const name of (await readdir(dir).catch(() => [] as string[])).filter(isBackupId).sort()) {
      const b = await store.read(name);
      if (!b) continue;
      const from = b.source
        ? describeSite(b.source)
        : b.manifest?.database
          ? `database "${b.manifest.database.name}" (no site recorded)`
          : 'unknown site';
      out.push({ id: b.id, type: b.type, status: b.status, created_at: b.created_at, size: b.size, from, dir });
    }
  }
  return out;
}
