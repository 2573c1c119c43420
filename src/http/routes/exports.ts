import { z } from 'zod';
import { access } from '../../domain/access.ts';
import type { ExportsService } from '../../domain/payments/exports-service.ts';
import { idParams } from '../params.ts';
import { SidecarError } from '../../errors.ts';
import { defineRoute, type AppContext, type RouteSpec } from '../route.ts';

const notFound = () => new SidecarError('slbp_export_not_found', 'Export not found.', 404);

function ownerId(ctx: AppContext): number {
  const c = ctx.state.caller;
  if (c.kind === 'user' || c.kind === 'api_key') return c.userId;
  throw notFound();
}

/** Data exports: ask for a CSV of one's own transactions or subscriptions, then download it. */
export function exportRoutes(exports: ExportsService): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/exports',
      summary: "Queue a CSV export of the caller's transactions or subscriptions",
      access: access.ownerOr('read_billing'),
      body: z.object({ type: z.enum(['transactions', 'subscriptions']).default('transactions') }),
      responses: { 202: { description: 'Queued: `{id, type, status: "pending"}`; fetch GET /exports/{id} once the notification arrives' } },
      async handler(ctx, { body }) {
        const id = await exports.request(ownerId(ctx), body.type);
        ctx.status = 202;
        return { id, type: body.type, status: 'pending' };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/exports/:id',
      summary: 'Download a finished export (its owner only; 404 for anyone else)',
      access: access.ownerOr('read_billing'),
      params: idParams,
      errors: ['slbp_export_not_found', 'slbp_export_not_ready'],
      responses: {
        200: { description: 'The CSV file (text/csv)' },
        404: { description: "No such export, or not the caller's" },
        409: { description: 'Not finished yet' },
      },
      example: { as: 'subscriber', params: { id: 999999 }, status: 404 },
      async handler(ctx, { params }) {
        const found = await exports.find(params.id, ownerId(ctx));
        if (!found) throw notFound();
        if (!found.file)
          throw new SidecarError('slbp_export_not_ready', `The export is ${found.status}.`, 409, { export_status: found.status });
        ctx.set('Content-Type', 'text/csv; charset=UTF-8');
        ctx.set('Content-Disposition', `attachment; filename="${found.kind}-export-${params.id}.csv"`);
        ctx.set('Cache-Control', 'private, no-store');
        ctx.length = found.size!;
        ctx.body = found.file();
        return undefined;
      },
    }),
  ];
}
