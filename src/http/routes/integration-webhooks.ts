import { z } from 'zod';
import { access } from '../../domain/access.ts';
import type { IntegrationAnswer, IntegrationWebhooks } from '../../domain/integration-webhooks.ts';
import { forbidden, noRoute } from '../../errors.ts';
import { defineRoute, type AppContext, type RouteSpec } from '../route.ts';

/** The plugin's `verify_webhook_permission` (X-SLBP-API-Key), then the answer with its status. */
function answer(ctx: AppContext, hooks: IntegrationWebhooks, run: () => IntegrationAnswer | Promise<IntegrationAnswer>) {
  if (!hooks.permitted(ctx.get('X-SLBP-API-Key') || undefined)) throw forbidden(ctx.state.caller.kind !== 'anonymous');
  return Promise.resolve(run()).then((a) => {
    ctx.status = a.status;
    return a.body;
  });
}

/**
 * `POST /wp-json/slbp/v1/webhook` and `/wp-json/slbp/v1/webhook/{integration}`, the plugin's
 * integration webhooks (Zapier, Mailchimp), served by the sidecar so they work with the plugin
 * deactivated. The Lemon Squeezy one (`.../webhook/lemon_squeezy`) is its own exact route and wins.
 */
export function integrationWebhookRoutes(hooks: IntegrationWebhooks): RouteSpec[] {
  const common = {
    method: 'POST' as const,
    absolute: true,
    plugin: true,
    tags: ['webhooks'],
    access: access.public,
    // Any JSON, as the plugin's get_json_params() took it; the handlers read what they know.
    body: z.unknown(),
    errors: ['rest_forbidden'],
  };
  return [
    defineRoute({
      ...common,
      path: '/wp-json/slbp/v1/webhook',
      summary: "The plugin's generic webhook (X-SLBP-API-Key when slbp_webhook_api_key is set)",
      responses: { 200: { description: '`{success: true, data: null}`' }, 401: { description: 'a wrong X-SLBP-API-Key' } },
      example: { as: 'anonymous', body: { event: 'test' }, status: 200 },
      handler: (ctx) => answer(ctx, hooks, () => hooks.generic()),
    }),
    defineRoute({
      ...common,
      path: '/wp-json/slbp/v1/webhook/:integration',
      summary:
        "An integration's webhook (mailchimp, zapier: active in slbp_integrations_settings): Mailchimp unsubscribes, Zapier create_user, enroll_user, update_subscription",
      params: z.object({ integration: z.string() }),
      responses: {
        200: { description: '`{success: true, data}`' },
        400: { description: '`{"error": "..."}`: the action could not be done' },
        404: { description: '`{"error": "Integration not found or not active"}`' },
      },
      example: { as: 'anonymous', params: { integration: 'mailchimp' }, body: { type: 'profile' }, status: 404 },
      handler(ctx, { params, body }) {
        // The plugin's route pattern: anything else is no route at all.
        if (!/^[A-Za-z0-9_-]+$/.test(params.integration)) throw noRoute();
        return answer(ctx, hooks, () => hooks.integration(params.integration, body));
      },
    }),
  ];
}
