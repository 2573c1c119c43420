import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Component } from '../domain/backup-config.ts';
import { SidecarError } from '../errors.ts';
import type { BackupService } from './backup-service.ts';
import type { BackupInfo, BackupStore } from './backup-store.ts';
import type { FileCheck, RestoreService } from './restore-service.ts';

/** The last verification of a backup, kept beside its manifest (`verification.json`). */
export interface Verification {
  state: 'verified' | 'failed';
  verified_at: string;
  files: FileCheck[];
}
export type VerificationState = Pick<Verification, 'state' | 'verified_at'> | { state: 'unverified'; verified_at: null };

const FILE = 'verification.json';

/**
 * Verification on demand (every file re-hashed against the manifest, the result recorded so the
 * list can show it) and downloads of a completed backup's files. Neither changes the backup.
 */
export class BackupVerifications {
  constructor(
    private readonly store: BackupStore,
    private readonly backups: BackupService,
    private readonly restore: RestoreService,
  ) {}

  /** Re-hashes every file now and records the outcome; 404 unknown, 409 not completed. */
  async verify(id: string): Promise<Verification> {
    const v = await this.restore.verify(id);
    const record: Verification = { state: v.ok ? 'verified' : 'failed', verified_at: new Date().toISOString(), files: v.files };
    const dir = this.store.dirOf(id);
    // Written to a temporary name and renamed, like the manifest: a reader never sees half a record.
    const tmp = path.join(dir, `.${FILE}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(record, null, 2));
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(dir, FILE));
    return record;
  }

  /** The recorded state of a backup ('unverified' when never verified). */
  async stateOf(id: string): Promise<VerificationState> {
    try {
      const v = JSON.parse(await readFile(path.join(this.store.dirOf(id), FILE), 'utf8')) as Verification;
      return { state: v.state, verified_at: v.verified_at };
    } catch {
      return { state: 'unverified', verified_at: null };
    }
  }

  /** The list with each completed backup's verification state. */
  async annotate<T extends BackupInfo>(list: T[]): Promise<(T & { verification?: VerificationState })[]> {
    return Promise.all(list.map(async (b) => (b.status === 'completed' ? { ...b, verification: await this.stateOf(b.id) } : b)));
  }

  /** One file of a completed backup, as stored (compressed and encrypted as the manifest says). */
  async download(id: string, component?: Component): Promise<{ name: string; bytes: number; sha256: string; open(): Readable }> {
    const manifest = await this.restore.completed(id);
    const available = Object.keys(manifest.files) as Component[];
    const chosen = component ?? (available.length === 1 ? available[0] : undefined);
    if (!chosen)
      throw new SidecarError('rest_missing_callback_param', `Missing parameter(s): component (one of ${available.join(', ')})`, 400, {
        params: ['component'],
      });
    const f = manifest.files[chosen];
    if (!f)
      throw new SidecarError('rest_invalid_param', 'Invalid parameter(s): component', 400, {
        params: { component: `not in this backup: ${chosen}` },
      });
    const file = this.backups.fileOf(id, f);
    const info = await stat(file).catch(() => null);
    if (!info) throw new SidecarError('slbp_backup_file_missing', `The ${chosen} file of backup ${id} is missing.`, 410);
    return { name: f.name, bytes: info.size, sha256: f.sha256, open: () => createReadStream(file) };
  }
}
