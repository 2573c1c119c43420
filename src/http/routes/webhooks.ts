import { z } from 'zod';
import { access } from '../../domain/access.ts';
import { decodeJson } from '../../domain/billing/values.ts';
import type { WebhookLogReader } from '../../domain/payments/webhook-log-reader.ts';
import type { WebhookProcessor } from '../../domain/payments/webhook-processor.ts';
import { collectionParams, paging, sendCollection } from '../collection.ts';
import { idParams, intParam, stringParam } from '../params.ts';
import { RestError } from '../rest-error.ts';
import { logItem } from '../serializers/webhooks.ts';
import { defineRoute, type AppContext, type RouteSpec } from '../route.ts';

export interface WebhookRouteDeps {
  webhooks: WebhookProcessor;
  logs: WebhookLogReader;
  /** The site's home URL, the base of Link URLs. */
  home(): string;
}

const logQuery = z.object({
  ...collectionParams,
  webhook_id: intParam({ min: 0 }).optional(),
  event: stringParam({ max: 50 }).optional(),
  status: stringParam({ max: 20, pattern: /^[a-z_]+$/ }).optional(),
});

/**
 * The Lemon Squeezy webhook, at the sidecar's path and at the plugin's URL that stores already
 * configured in Lemon Squeezy. Raw-body routes: the signature covers the exact bytes, and the
 * plugin's own error bodies (`{"error": ...}`) are answered instead of WordPress errors.
 */
export function webhookRoutes({ webhooks, logs, home }: WebhookRouteDeps): RouteSpec[] {
  const handler = async (ctx: AppContext) => {
    const answer = await webhooks.handle({
      raw: ctx.state.rawBody ?? Buffer.alloc(0),
      contentType: ctx.request.type,
      signature: ctx.get('X-Signature') || undefined,
    });
    ctx.status = answer.status;
    return answer.body;
  };
  const common = {
    method: 'POST' as const,
    access: access.public,
    rawBody: true,
    tags: ['webhooks'],
    responses: {
      200: { description: '`{received: true, processed}`; `duplicate: true` for a delivery already applied' },
      400: { description: '`{"error": "Invalid content type" | "Invalid JSON" | "Missing signature"}`' },
      401: { description: '`{"error": "Invalid signature"}`' },
    },
    // Unsigned, so the documented example shows the plugin's answer to a delivery without X-Signature.
    example: { as: 'anonymous' as const, body: { meta: { event_name: 'order_created' }, data: { type: 'orders', id: '1' } }, status: 400 },
    handler,
  };
  return [
    defineRoute({
      ...common,
      path: '/webhooks/lemon-squeezy',
      summary: 'Lemon Squeezy webhook (signed with slbp_payment_settings.webhook_secret)',
    }),
    defineRoute({
      ...common,
      path: '/wp-json/slbp/v1/webhook/lemon_squeezy',
      absolute: true,
      summary: "Lemon Squeezy webhook at the plugin's URL",
    }),
    defineRoute({
      method: 'GET',
      path: '/webhooks/logs',
      tags: ['webhooks'],
      summary:
        'The webhook log, newest first: incoming deliveries (webhook_id 0) and outgoing attempts; `status=invalid` lists signed deliveries not applied, with their reason',
      access: access.admin,
      query: logQuery,
      responses: {
        200: {
          description:
            '`[{id, webhook_id, direction, event, status, response_code, response, attempts, created_at}]`; X-WP-Total, X-WP-TotalPages, Link',
        },
      },
      async handler(ctx, { query }) {
        const p = paging(query);
        const page = await logs.list({ webhookId: query.webhook_id, event: query.event, status: query.status }, p.perPage, p.offset);
        return sendCollection(ctx, page.rows.map(logItem), page.total, p, home());
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/webhooks/logs/:id',
      tags: ['webhooks'],
      summary: 'One webhook log entry with the payload as received or sent',
      access: access.admin,
      params: idParams,
      errors: ['slbp_webhook_log_not_found'],
      responses: { 200: { description: 'the entry and its `payload`' }, 404: { description: 'no such entry' } },
      example: { as: 'admin', params: { id: 999999 }, status: 404 },
      async handler(_ctx, { params }) {
        const row = await logs.get(params.id);
        if (!row) throw new RestError('slbp_webhook_log_not_found', 'No webhook log entry with this id.', 404);
        return { ...logItem(row), payload: decodeJson(row.payload) };
      },
    }),
  ];
}
