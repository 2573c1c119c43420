import { z } from 'zod';
import type { BillingService } from '../../domain/billing/billing-service.ts';
import type { InvoiceService } from '../../domain/billing/invoice-service.ts';
import type { SubscriptionActions } from '../../domain/billing/subscription-actions.ts';
import { billingAccess } from '../../domain/billing/access-rules.ts';
import { whenReady } from '../../domain/billing/billing-reads.ts';
import { viewerOf } from '../../domain/billing/viewer.ts';
import { paging, sendCollection } from '../collection.ts';
import { renderOnce } from '../middleware/respond.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { subscriptionItem, transactionItem } from '../serializers/billing.ts';
import { idParams, listWindow, subscriptionQuery, transactionQuery, userQuery } from './billing-params.ts';

export interface BillingRouteDeps {
  billing: BillingService;
  actions: SubscriptionActions;
  invoices: InvoiceService;
  /** The site's home URL (WordPress's `home` option): the base of Link URLs. */
  home(): string;
}

/** Transactions, subscriptions (with cancel/resume), invoices and the billing summary. */
export function billingRoutes(m: BillingRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/transactions',
      summary: 'List transactions (own rows; administrators all, filter by user_id)',
      tags: ['billing'],
      access: billingAccess.readTransactions,
      query: transactionQuery,
      handler(ctx, { query }) {
        const p = paging(query);
        const page = m.billing.listTransactions(viewerOf(ctx.state.caller), {
          userId: query.user_id,
          statuses: query.status,
          gateway: query.gateway,
          courseId: query.course_id,
          currency: query.currency,
          search: query.search,
          after: query.after,
          before: query.before,
          window: listWindow(query, p),
        });
        return whenReady(page, ({ rows, total }) =>
          sendCollection(
            ctx,
            renderOnce(rows, (r) => r.map(transactionItem)),
            total,
            p,
            m.home(),
          ),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/transactions/:id',
      summary: 'One transaction',
      tags: ['billing'],
      errors: ['slbp_transaction_not_found'],
      access: billingAccess.readTransactions,
      params: idParams,
      async handler(ctx, { params }) {
        return transactionItem(await m.billing.getTransaction(viewerOf(ctx.state.caller), params.id));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/transactions/:id/invoice',
      summary: 'Invoice data for a completed transaction',
      tags: ['billing'],
      errors: ['slbp_transaction_not_found', 'slbp_invoice_unavailable'],
      access: billingAccess.readTransactions,
      params: idParams,
      handler: (ctx, { params }) => m.invoices.invoice(viewerOf(ctx.state.caller), params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions',
      summary: 'List subscriptions (own rows; administrators all, filter by user_id)',
      tags: ['billing'],
      access: billingAccess.readSubscriptions,
      query: subscriptionQuery,
      handler(ctx, { query }) {
        const p = paging(query);
        const page = m.billing.listSubscriptions(viewerOf(ctx.state.caller), {
          userId: query.user_id,
          statuses: query.status,
          gateway: query.gateway,
          planId: query.plan_id,
          currency: query.currency,
          search: query.search,
          after: query.after,
          before: query.before,
          window: listWindow(query, p),
        });
        return whenReady(page, ({ rows, total }) =>
          sendCollection(
            ctx,
            renderOnce(rows, (r) => r.map(subscriptionItem)),
            total,
            p,
            m.home(),
          ),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions/:id',
      summary: 'One subscription',
      tags: ['billing'],
      errors: ['slbp_subscription_not_found'],
      access: billingAccess.readSubscriptions,
      params: idParams,
      async handler(ctx, { params }) {
        return subscriptionItem(await m.billing.getSubscription(viewerOf(ctx.state.caller), params.id));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/:id/cancel',
      summary: 'Cancel a subscription (at the gateway when configured)',
      tags: ['billing'],
      errors: ['slbp_subscription_not_found', 'slbp_invalid_transition', 'slbp_gateway_error'],
      access: billingAccess.writeSubscriptions,
      params: idParams,
      body: z.object({}),
      async handler(ctx, { params }) {
        const r = await m.actions.cancel(viewerOf(ctx.state.caller), params.id);
        return { ...subscriptionItem(r.row), gateway_sync: r.gatewaySync };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/:id/resume',
      summary: 'Resume a cancelled subscription in its grace period',
      tags: ['billing'],
      errors: ['slbp_subscription_not_found', 'slbp_invalid_transition', 'slbp_gateway_error'],
      access: billingAccess.writeSubscriptions,
      params: idParams,
      body: z.object({}),
      async handler(ctx, { params }) {
        const r = await m.actions.resume(viewerOf(ctx.state.caller), params.id);
        return { ...subscriptionItem(r.row), gateway_sync: r.gatewaySync };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/billing/summary',
      summary: 'Active subscriptions, next billing date, lifetime value, last payment',
      tags: ['billing'],
      access: billingAccess.readTransactions,
      query: userQuery,
      async handler(ctx, { query }) {
        const s = await m.billing.summary(viewerOf(ctx.state.caller), query.user_id);
        return { ...s, last_payment: s.last_payment ? transactionItem(s.last_payment) : null };
      },
    }),
  ];
}
