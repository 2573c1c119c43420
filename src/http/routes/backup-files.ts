import { z } from 'zod';
import type { BackupVerifications } from '../../backup/backup-verification.ts';
import { access } from '../../domain/access.ts';
import { COMPONENTS } from '../../domain/backup-config.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { idParams, UNKNOWN_ID } from './backup.ts';

/** Verify a backup on demand and download its files (administrators only; never a public URL). */
export function backupFileRoutes(files: BackupVerifications): RouteSpec[] {
  const tags = ['backups'];
  return [
    defineRoute({
      method: 'POST',
      path: '/backup/verify/:id',
      summary: 'Re-hash every file of a backup against its manifest and record the result',
      tags,
      access: access.admin,
      params: idParams,
      body: z.object({}),
      errors: ['slbp_backup_not_found', 'slbp_backup_not_completed'],
      responses: {
        200: { description: '`{success, backup_id, verification: {state: verified|failed, verified_at, files[]}}`' },
        404: { description: 'unknown backup id' },
        409: { description: 'the backup is not completed' },
      },
      example: { as: 'admin', params: { id: UNKNOWN_ID }, body: {}, status: 404 },
      async handler(ctx, { params }) {
        const verification = await files.verify(params.id);
        if (verification.state !== 'verified')
          ctx.state.logger.warn('backup failed verification', {
            backup_id: params.id,
            files: verification.files.filter((f) => !f.ok).map((f) => f.file),
          });
        return { success: verification.state === 'verified', backup_id: params.id, verification };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/backup/download/:id',
      summary: 'Download one file of a completed backup, as stored (streamed)',
      tags,
      access: access.admin,
      params: idParams,
      query: z.object({ component: z.enum(COMPONENTS).optional().describe('which file; required when the backup has more than one') }),
      errors: ['slbp_backup_not_found', 'slbp_backup_not_completed', 'slbp_backup_file_missing'],
      responses: {
        200: { description: 'the file (application/octet-stream) with `X-SLBP-SHA256`' },
        404: { description: 'unknown backup id' },
        409: { description: 'the backup is not completed' },
      },
      example: { as: 'admin', params: { id: UNKNOWN_ID }, status: 404 },
      async handler(ctx, { params, query }) {
        const file = await files.download(params.id, query.component);
        ctx.set('Content-Type', 'application/octet-stream');
        ctx.set('Content-Disposition', `attachment; filename="${params.id}-${file.name}"`);
        ctx.set('Cache-Control', 'private, no-store');
        ctx.set('X-SLBP-SHA256', file.sha256);
        ctx.length = file.bytes;
        ctx.body = file.open();
        ctx.state.logger.info('backup file downloaded', { backup_id: params.id, file: file.name, bytes: file.bytes });
        return undefined;
      },
    }),
  ];
}
