import { z } from 'zod';
import { access } from '../../domain/access.ts';
import { decodeJson } from '../../domain/billing/values.ts';
import type { WebhookLogReader } from '../../domain/payments/webhook-log-reader.ts';
import type { WebhookOutcome, WebhookProcessor } from '../../domain/payments/webhook-processor.ts';
import { collectionParams, paging, sendCollection } from '../collection.ts';
import { idParams, intParam, stringParam } from '../params.ts';
import { SidecarError } from '../../errors.ts';
import { logItem } from '../serializers/webhooks.ts';
import { INCOMING_WEBHOOK_ID } from '../../data/payments/webhook-logs-repository.ts';
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

const REFUSED = {
  content_type: { status: 400, body: { error: 'Invalid content type' } },
  json: { status: 400, body: { error: 'Invalid JSON' } },
  no_signature: { status: 400, body: { error: 'Missing signature' } },
  bad_signature: { status: 401, body: { error: 'Invalid signature' } },
} as const;

/**
 * What Lemon Squeezy is answered for each outcome, with the plugin's statuses and bodies: 200
 * for every delivery it should not send again (the body says whether it was applied), 500 for
 * one that failed (it retries), 400/401 with `{"error": ...}` for one that is not its or not readable.
 */
export function webhookAnswer(outcome: WebhookOutcome): { status: number; body: Record<string, unknown> } {
  switch (outcome.kind) {
    case 'refused':
      return REFUSED[outcome.problem];
    case 'ignored':
      return { status: 200, body: { received: true, processed: false } };
    case 'invalid':
      return { status: 200, body: { received: true, processed: false, reason: outcome.reason } };
    case 'failed':
      return { status: 500, body: { error: 'Webhook processing failed' } };
    case 'unavailable':
      return { status: 503, body: { error: 'Service temporarily unavailable', retry_after: outcome.retryAfterSec } };
    case 'duplicate':
      return { status: 200, body: { received: true, processed: false, duplicate: true } };
    case 'processed':
      return { status: 200, body: { received: true, processed: true } };
  }
}

/**
 * The Lemon Squeezy webhook, at the sidecar's path and at the plugin's URL that stores already
 * configured in Lemon Squeezy. Raw-body routes: the signature covers the exact bytes, and the
 * plugin's own error bodies (`{"error": ...}`) are answered instead of WordPress errors.
 */
export function webhookRoutes({ webhooks, logs, home }: WebhookRouteDeps): RouteSpec[] {
  const handler = async (ctx: AppContext) => {
    const outcome = await webhooks.handle({
      raw: ctx.state.rawBody ?? Buffer.alloc(0),
      contentType: ctx.request.type,
      signature: ctx.get('X-Signature') || undefined,
    });
    const answer = webhookAnswer(outcome);
    ctx.status = answer.status;
    if (outcome.kind === 'unavailable') ctx.set('Retry-After', String(outcome.retryAfterSec));
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
      503: {
        description:
          'the database is unavailable (or lock conflicts outlasted the retries): nothing applied; `Retry-After` says when to send it again',
      },
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
        if (!row) throw new SidecarError('slbp_webhook_log_not_found', 'No webhook log entry with this id.', 404);
        return { ...logItem(row), payload: decodeJson(row.payload) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/webhooks/logs/:id/replay',
      tags: ['webhooks'],
      summary:
        'Applies an incoming delivery of the log again (a `failed` one, typically): once, as any delivery is; the outcome is logged as a new entry',
      access: access.admin,
      params: idParams,
      body: z.object({}),
      errors: ['slbp_webhook_log_not_found', 'slbp_webhook_not_replayable'],
      responses: {
        200: { description: '`{id, replayed: true, outcome, answer}`: `outcome` is processed, duplicate, ignored, invalid or failed' },
        404: { description: 'no such entry' },
        409: { description: 'an outgoing attempt, not an incoming delivery' },
        503: { description: 'the database is unavailable: try again' },
      },
      example: { as: 'admin', params: { id: 999999 }, status: 404 },
      async handler(ctx, { params }) {
        const row = await logs.get(params.id);
        if (!row) throw new SidecarError('slbp_webhook_log_not_found', 'No webhook log entry with this id.', 404);
        if (Number(row.webhook_id) !== INCOMING_WEBHOOK_ID)
          throw new SidecarError('slbp_webhook_not_replayable', 'Only incoming deliveries can be replayed.', 409);
        const outcome = await webhooks.replay(row.payload);
        if (outcome.kind === 'unavailable') {
          ctx.set('Retry-After', String(outcome.retryAfterSec));
          throw new SidecarError('slbp_database_unavailable', 'The database is not available right now. Please try again shortly.', 503);
        }
        return { id: params.id, replayed: true, outcome: outcome.kind, answer: webhookAnswer(outcome).body };
      },
    }),
  ];
}
