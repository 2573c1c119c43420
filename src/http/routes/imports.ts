import { z } from 'zod';
import { access } from '../../domain/access.ts';
import type { PluginImportService } from '../../domain/payments/plugin-import-service.ts';
import { intParam } from '../params.ts';
import { SidecarError } from '../../errors.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

/** Import of the PHP plugin's option-stored Lemon Squeezy history, as a background task (docs/decisions/0018-plugin-data-import.md). */
export function importRoutes(imports: PluginImportService): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/import/plugin-data',
      summary: "Queue the import of the PHP plugin's stored orders, subscriptions and enrolments (idempotent)",
      tags: ['admin'],
      access: access.admin,
      body: z.object({ dry_run: z.boolean().default(false) }),
      responses: { 202: { description: 'Queued: `{task_id, status: "pending", dry_run}`; follow GET /import/plugin-data/{task_id}' } },
      example: { as: 'admin', body: { dry_run: true }, status: 202 },
      async handler(ctx, { body }) {
        const taskId = await imports.request(body.dry_run);
        ctx.status = 202;
        return { task_id: taskId, status: 'pending', dry_run: body.dry_run };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/import/plugin-data/:taskId',
      summary: 'Progress of a plugin-data import, and its summary once finished',
      tags: ['admin'],
      access: access.admin,
      params: z.object({ taskId: intParam() }),
      errors: ['slbp_import_not_found'],
      responses: {
        200: {
          description:
            '`{task_id, status, dry_run, progress: {phase, done, total} | null, summary: {orders, subscriptions, enrolments, unmatched, malformed, warnings} | null, error}`',
        },
        404: { description: 'No plugin-data import task with this id' },
      },
      example: { as: 'admin', params: { taskId: 999999 }, status: 404 },
      async handler(_ctx, { params }) {
        const view = await imports.status(params.taskId);
        if (!view) throw new SidecarError('slbp_import_not_found', 'Import task not found.', 404);
        return view;
      },
    }),
  ];
}
