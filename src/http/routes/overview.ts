import { access } from '../../domain/access.ts';
import type { OverviewService } from '../../domain/billing/overview-service.ts';
import { viewerOf } from '../../domain/billing/viewer.ts';
import type { MonitoringService } from '../../monitoring/monitoring-service.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

export interface OverviewRouteDeps {
  overview: OverviewService;
  monitoring: MonitoringService;
}

/** Most active alerts listed in the overview (`alerts.total` counts them all). */
const ALERTS_SHOWN = 10;

/** GET /analytics/overview: the store owner's Overview page (and the dashboard widget) in one call. */
export function overviewRoutes({ overview, monitoring }: OverviewRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/analytics/overview',
      tags: ['analytics'],
      summary:
        'Revenue today, 7 and 30 days and per month over 12 months, MRR, subscriptions by state, failed payments, the last gateway webhook and active alerts',
      access: access.admin,
      responses: {
        200: {
          description:
            '`{generated_at, timezone, currencies[], revenue{today, 7d, 30d}, mrr, arr, active_subscriptions, churn_rate, subscriptions{total, by_status}, ' +
            'failed_payments{24h, 7d}, last_webhook, revenue_12m{from, to, series[{month, gross, refunds, net, transactions}]}, alerts{total, items[]}}`; ' +
            'the revenue figures are those of `/analytics/revenue` (30d by day, 12m by month); amounts are per currency',
        },
      },
      errors: ['rest_forbidden'],
      async handler(ctx) {
        const [figures, alerts] = await Promise.all([
          overview.overview(viewerOf(ctx.state.caller)),
          monitoring.alerts('active', ALERTS_SHOWN, 1),
        ]);
        return { ...figures, alerts: { total: alerts.total, items: alerts.alerts } };
      },
    }),
  ];
}
