import { z } from 'zod';
import { access } from '../../domain/access.ts';
import { TIMEFRAMES, type MonitoringService } from '../../monitoring/monitoring-service.ts';
import type { Metrics } from '../../monitoring/metrics.ts';
import { alertConfigBody, DEFAULT_ALERT_CONFIG } from '../../monitoring/alert-config.ts';
import { pageLinks } from '../collection.ts';
import { intParam } from '../params.ts';
import { invalidParams, SidecarError } from '../../errors.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

export interface MonitoringRouteDeps {
  metrics: Metrics;
  monitoring: MonitoringService;
  /** The site's home URL (WordPress's `home` option), the base of Link URLs. */
  home(): string;
}

const positive = (max?: number) => intParam({ min: 1, max });

/** /metrics (Prometheus text), /metrics/dashboard, /alerts and /alerts/config. */
export function monitoringRoutes({ metrics, monitoring, home }: MonitoringRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/metrics',
      plugin: true,
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      tags: ['monitoring'],
      access: access.monitoring,
      responses: { 200: { description: 'text/plain; version=0.0.4' } },
      errors: ['rest_forbidden'],
      async handler(ctx) {
        const { body, contentType } = await metrics.expose();
        ctx.status = 200;
        ctx.set('Content-Type', contentType);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = body;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics/dashboard',
      plugin: true,
      summary: 'Stored metric snapshots, their summary and the active alerts',
      tags: ['monitoring'],
      access: access.monitoring,
      responses: {
        200: {
          description: `\`{timeframe, timeframe_applied, metrics[], summary{}, alerts[]}\` from wp_slbp_metrics; timeframes ${Object.keys(TIMEFRAMES).join(', ')} (any other: 1h)`,
        },
      },
      // Like the plugin, a timeframe it does not know is answered for 1 hour and named as asked.
      query: z.object({ timeframe: z.string().max(32).default('1h') }),
      errors: ['rest_forbidden', 'rest_invalid_param'],
      handler: (_ctx, { query }) => monitoring.dashboard(query.timeframe),
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts',
      plugin: true,
      summary: 'Alerts by status, newest first',
      tags: ['monitoring'],
      access: access.monitoring,
      responses: { 200: { description: '`{alerts, total, status}`; X-WP-Total and X-WP-TotalPages headers' } },
      query: z.object({
        status: z.enum(['active', 'resolved', 'all']).default('active'),
        page: positive().default(1),
        per_page: positive(100).optional(),
        limit: positive(100).optional(),
      }),
      errors: ['rest_forbidden', 'rest_invalid_param', 'rest_post_invalid_page_number'],
      async handler(ctx, { query }) {
        const perPage = query.per_page ?? query.limit ?? 10;
        const out = await monitoring.alerts(query.status, perPage, query.page);
        const pages = Math.max(1, Math.ceil(out.total / perPage));
        if (query.page > pages && out.total > 0)
          throw new SidecarError(
            'rest_post_invalid_page_number',
            'The page number requested is larger than the number of pages available.',
            400,
          );
        ctx.set('X-WP-Total', String(out.total));
        ctx.set('X-WP-TotalPages', String(pages));
        const links = pageLinks(ctx, home(), query.page, pages);
        if (links) ctx.set('Link', links);
        return out;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/config',
      plugin: true,
      summary: 'The alert rules (slbp_alert_config)',
      tags: ['monitoring'],
      access: access.admin,
      responses: {
        200: {
          description:
            '`{config: {<rule>: {enabled, metric, condition, threshold, severity, message, cooldown, email_recipients, webhook_url, slack_webhook}}}`',
        },
      },
      errors: ['rest_forbidden'],
      handler: () => ({ config: monitoring.config() }),
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/config',
      plugin: true,
      summary: 'Replace the whole alert configuration',
      tags: ['monitoring'],
      access: access.admin,
      // The plugin's body is the rule map itself; `{config: {...}}` is accepted too.
      body: z.record(z.string(), z.unknown()),
      responses: {
        200: { description: '`{success: true, message, config}`' },
        400: { description: 'rest_invalid_param naming each bad entry (`config.<rule>.<field>`), with `success: false`' },
      },
      example: {
        as: 'admin',
        status: 200,
        body: { config: { high_memory_usage: DEFAULT_ALERT_CONFIG.high_memory_usage } },
      },
      errors: ['rest_forbidden', 'rest_invalid_param', 'rest_missing_callback_param'],
      async handler(_ctx, { body }) {
        const result = await monitoring.replaceConfig(alertConfigBody(body));
        if ('problems' in result) {
          const params: Record<string, string> = {};
          for (const p of result.problems) params[`config.${p.entry}${p.field ? `.${p.field}` : ''}`] ??= p.message;
          throw invalidParams(params, { config: result.problems });
        }
        return { success: true, message: 'Alert configuration updated successfully', config: result.config };
      },
    }),
  ];
}
