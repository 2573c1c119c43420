import { billingAccess } from '../../domain/billing/access-rules.ts';
import type { AnalyticsService } from '../../domain/billing/analytics-service.ts';
import { whenReady } from '../../domain/billing/billing-reads.ts';
import { viewerOf } from '../../domain/billing/viewer.ts';
import { renderOnce } from '../middleware/respond.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { analyticsQuery } from './billing-params.ts';

/** Revenue and subscription analytics for administrators and `read_analytics` keys. */
export function analyticsRoutes(m: { analytics: AnalyticsService }): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/analytics/revenue',
      summary: 'Revenue per local-calendar bucket, per currency, with MRR and churn',
      tags: ['analytics'],
      access: billingAccess.analytics,
      query: analyticsQuery,
      handler: (ctx, { query }) =>
        whenReady(
          m.analytics.revenueReport(viewerOf(ctx.state.caller), {
            period: query.period,
            dateFrom: query.date_from,
            dateTo: query.date_to,
            groupBy: query.group_by,
            currency: query.currency,
          }),
          (report) => renderOnce(report),
        ),
    }),
    defineRoute({
      method: 'GET',
      path: '/analytics/subscriptions',
      summary: 'Subscription counts by status, plan and gateway; new and churned per bucket',
      tags: ['analytics'],
      access: billingAccess.analytics,
      query: analyticsQuery.omit({ currency: true }),
      handler: (ctx, { query }) =>
        whenReady(
          m.analytics.subscriptionReport(viewerOf(ctx.state.caller), {
            period: query.period,
            dateFrom: query.date_from,
            dateTo: query.date_to,
            groupBy: query.group_by,
          }),
          (report) => renderOnce(report),
        ),
    }),
  ];
}
