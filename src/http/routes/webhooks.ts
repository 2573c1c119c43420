import { access } from '../../domain/access.ts';
import type { WebhookProcessor } from '../../domain/payments/webhook-processor.ts';
import { defineRoute, type AppContext, type RouteSpec } from '../route.ts';

/**
 * The Lemon Squeezy webhook, at the sidecar's path and at the plugin's URL that stores already
 * configured in Lemon Squeezy. Raw-body routes: the signature covers the exact bytes, and the
 * plugin's own error bodies (`{"error": ...}`) are answered instead of WordPress errors.
 */
export function webhookRoutes(webhooks: WebhookProcessor): RouteSpec[] {
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
    defineRoute({ ...common, path: '/webhooks/lemon-squeezy', summary: 'Lemon Squeezy webhook (signed with slbp_payment_settings.webhook_secret)' }),
    defineRoute({ ...common, path: '/wp-json/slbp/v1/webhook/lemon_squeezy', absolute: true, summary: 'Lemon Squeezy webhook at the plugin\'s URL' }),
  ];
}
