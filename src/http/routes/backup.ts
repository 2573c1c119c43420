import { z } from 'zod';
import type { BackupMaintenance } from '../../backup/backup-maintenance.ts';
import type { BackupService } from '../../backup/backup-service.ts';
import { publicBackupConfig, type BackupSettings } from '../../backup/backup-settings.ts';
import type { BackupVerifications } from '../../backup/backup-verification.ts';
import type { RestoreService } from '../../backup/restore-service.ts';
import { BACKUP_ID, type BackupStore } from '../../backup/backup-store.ts';
import { access } from '../../domain/access.ts';
import { COMPONENTS } from '../../domain/backup-config.ts';
import { isoDateTime } from '../../domain/iso-date-time.ts';
import { phpIso } from '../../domain/plugin-dates.ts';
import { backupOut } from '../serializers/backups.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { SidecarError } from '../../errors.ts';

export const idParams = z.object({ id: z.string().regex(BACKUP_ID, 'not a backup id (backup_YYYY-MM-DD_HH-MM-SS_XXXXXXXX)') });
/**
 * The plugin's `backup_id` path parameter (`[a-zA-Z0-9_-]+`): an id in another form names no
 * backup and is answered as not found, as the plugin did; nothing else can reach a path.
 */
const backupIdParams = z.object({ backup_id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, _ and - only') });
/** The plugin's answer for an id that names no backup: 200 with `success: false`. */
const NOT_FOUND = { success: false, message: 'Backup not found', code: 'slbp_backup_not_found' } as const;
const components = z
  .array(z.enum(COMPONENTS))
  .min(1)
  .transform((a) => [...new Set(a)]);
const flag = z.union([z.literal('1'), z.literal('true'), z.literal('0'), z.literal('false')]).transform((v) => v === '1' || v === 'true');
/** `2026-11-26` or a full ISO 8601 time; a bare date as `to_date` means the end of that day. */
const dateParam = z.string().refine((s) => isoDateTime(s) !== null, 'a date (YYYY-MM-DD) or ISO 8601 time');
/** A well-formed id that names no backup: the documented examples of the id routes answer 404. */
export const UNKNOWN_ID = 'backup_2020-01-01_00-00-00_EXAMPLE0';

/** What the backup routes use. */
export interface BackupRouteDeps {
  backups: BackupService;
  store: BackupStore;
  restore: RestoreService;
  verifications: BackupVerifications;
  maintenance: BackupMaintenance;
  settings: BackupSettings;
  /** The site's time zone, for the plugin's `Y-m-d H:i:s` dates. */
  timeZone(): string;
}

/** The plugin's backup routes, administrators only. */
export function backupRoutes(m: BackupRouteDeps): RouteSpec[] {
  const tags = ['backups'];
  return [
    defineRoute({
      method: 'POST',
      path: '/backup/create',
      plugin: true,
      summary: 'Create a backup (200 when done, with success false when it failed; ?async=1 answers 202 at once)',
      tags,
      access: access.admin,
      query: z.object({ async: flag.optional() }),
      body: z.object({
        type: z
          .string()
          .regex(/^[a-z_]{1,32}$/)
          .optional(),
        components: components.optional(),
      }),
      errors: ['slbp_backup_in_progress'],
      responses: {
        200: {
          description: '`{success, backup_id, message, backup_info}`: `success` false and `backup_info.status` failed when it failed',
        },
        202: { description: 'backup started (?async=1)' },
        409: { description: 'another backup is running' },
      },
      example: { as: 'admin', body: { components: ['config'] }, status: 200 },
      async handler(ctx, { query, body }) {
        const { id, finished } = await m.backups.start({ type: body.type ?? 'full', components: body.components });
        if (query.async) {
          finished.catch(() => undefined);
          ctx.status = 202;
          const started = await m.store.info(id);
          return { success: true, backup_id: id, message: 'Backup started', backup_info: started && backupOut(started, m.timeZone()) };
        }
        const info = await finished;
        const ok = info.status === 'completed';
        // The plugin answered 200 either way; `success` tells a failed backup.
        ctx.status = 200;
        return {
          success: ok,
          backup_id: id,
          message: ok ? 'Backup created successfully' : `Backup failed: ${info.error}`,
          backup_info: backupOut((ok ? await m.store.info(id) : info) ?? info, m.timeZone()),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/backup/list',
      plugin: true,
      summary: 'Backups, newest first',
      tags,
      access: access.admin,
      query: z.object({
        type: z.string().optional(),
        status: z.enum(['in_progress', 'completed', 'failed']).optional(),
        from_date: dateParam.optional(),
        to_date: dateParam.optional(),
      }),
      async handler(_ctx, { query }) {
        const to = query.to_date
          ? isoDateTime(/^\d{4}-\d{2}-\d{2}$/.test(query.to_date) ? `${query.to_date}T23:59:59.999Z` : query.to_date)!
          : undefined;
        const backups = await m.verifications.annotate(
          await m.backups.list({
            type: query.type,
            status: query.status,
            from: query.from_date ? isoDateTime(query.from_date)! : undefined,
            to,
          }),
        );
        const zone = m.timeZone();
        return { backups: backups.map((b) => backupOut(b, zone)), total: backups.length };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/backup/config',
      plugin: true,
      summary: 'Backup settings (slbp_backup_config)',
      tags,
      access: access.admin,
      handler: () => ({ config: publicBackupConfig(m.settings.get()) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/backup/config',
      plugin: true,
      summary: 'Change backup settings (keys not sent keep their value)',
      tags,
      access: access.admin,
      body: z.record(z.string(), z.unknown()),
      async handler(_ctx, { body }) {
        const patch = (body.config && typeof body.config === 'object' ? body.config : body) as Record<string, unknown>;
        const saved = await m.settings.save(patch);
        return { success: true, message: 'Backup configuration saved', config: publicBackupConfig(saved) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/backup/dr-test',
      plugin: true,
      summary: 'Disaster recovery drill: back up, restore into a scratch database, compare, clean up',
      tags,
      access: access.admin,
      body: z.object({}),
      errors: ['slbp_backup_in_progress'],
      responses: {
        200: { description: '{test_results, overall_success, duration_ms, timestamp}' },
        409: { description: 'another backup is running' },
      },
      async handler() {
        const result = await m.restore.drTest();
        // The plugin's timestamp is PHP's `c` format.
        return { ...result, timestamp: phpIso() };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/backup/restore/:backup_id',
      plugin: true,
      summary: 'Restore a backup (checksums first, then a safety backup)',
      tags,
      access: access.admin,
      params: backupIdParams,
      body: z.object({ components: components.optional() }),
      errors: [
        'slbp_backup_not_found',
        'slbp_backup_not_completed',
        'slbp_backup_other_site',
        'slbp_backup_checksum_mismatch',
        'slbp_backup_in_progress',
      ],
      responses: {
        200: {
          description: 'restored; `{success: false, message: "Backup not found"}` for an id that names no backup (the plugin\'s answer)',
        },
        409: {
          description: 'the backup is not completed, was made from another site (database or table prefix), or another one is running',
        },
        422: { description: 'checksum mismatch: nothing was restored' },
      },
      example: { as: 'admin', params: { backup_id: UNKNOWN_ID }, body: {}, status: 200 },
      async handler(_ctx, { params, body }) {
        const id = params.backup_id;
        // Read whoever made it: another site's backup is refused by the restore, naming both sites.
        if (!BACKUP_ID.test(id) || !(await m.store.read(id))) return NOT_FOUND;
        const restore_results = await m.restore.restore(id, body.components);
        return { success: true, message: 'Backup restored successfully', backup_id: id, restore_results };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/backup/delete/:backup_id',
      plugin: true,
      summary: 'Delete a backup here and its remote copy',
      tags,
      access: access.admin,
      // The id comes from the path only: the plugin let `?backup_id=` override it (path traversal).
      params: backupIdParams,
      errors: ['slbp_backup_in_progress'],
      responses: {
        200: { description: 'deleted here and remotely; `{success: false, message: "Backup not found"}` for an id that names no backup' },
        409: { description: 'the backup is still running' },
      },
      example: { as: 'admin', params: { backup_id: UNKNOWN_ID }, status: 200 },
      async handler(_ctx, { params }) {
        const id = params.backup_id;
        const info = BACKUP_ID.test(id) ? await m.store.info(id) : null;
        if (!info) return NOT_FOUND;
        if (info.status === 'in_progress' && m.backups.isRunning(id))
          throw new SidecarError('slbp_backup_in_progress', 'The backup is still running.', 409);
        const { remote } = await m.maintenance.removeEverywhere(id);
        return { success: true, backup_id: id, message: 'Backup deleted', remote_deleted: remote };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/backup/:id',
      summary: 'One backup with its manifest (files, bytes, sha256)',
      tags,
      access: access.admin,
      params: idParams,
      errors: ['slbp_backup_not_found'],
      responses: { 200: { description: 'backup_info with its manifest' }, 404: { description: 'unknown backup id' } },
      example: { as: 'admin', params: { id: UNKNOWN_ID }, status: 404 },
      async handler(_ctx, { params }) {
        const info = await m.store.info(params.id);
        if (!info) throw new SidecarError('slbp_backup_not_found', 'Backup not found', 404);
        return { success: true, backup_info: backupOut(info, m.timeZone()) };
      },
    }),
  ];
}
