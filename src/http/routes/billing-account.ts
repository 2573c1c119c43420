import { access } from '../../domain/access.ts';
import { billingAccess } from '../../domain/billing/access-rules.ts';
import type { AccountService } from '../../domain/billing/account-service.ts';
import { viewerOf } from '../../domain/billing/viewer.ts';
import { collectionParams, paging, sendCollection } from '../collection.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { courseItem, notificationItem, subscriptionItem, transactionItem } from '../serializers/billing.ts';
import { idParams, notificationQuery, userQuery } from './billing-params.ts';
import { z } from 'zod';

const coursesQuery = userQuery.extend(collectionParams);

export interface AccountRouteDeps {
  account: AccountService;
  /** The site's home URL (WordPress's `home` option): the base of Link URLs. */
  home(): string;
}

/** The caller's own overview: dashboard, enrolled courses, notifications. */
export function billingAccountRoutes(m: AccountRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/dashboard',
      summary: "The caller's overview",
      tags: ['billing'],
      access: access.signedIn,
      async handler(ctx) {
        const d = await m.account.dashboard(viewerOf(ctx.state.caller));
        return {
          user_id: d.userId,
          active_subscriptions: d.subscriptions.rows.map(subscriptionItem),
          next_billing_date: d.summary.next_billing_date,
          lifetime_value: d.summary.lifetime_value,
          recent_transactions: d.recent.rows.map(transactionItem),
          enrolled_courses: d.courses.map(courseItem),
          unread_notifications: d.unread.total,
          notifications: d.unread.rows.map(notificationItem),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/courses/enrolled',
      summary: 'Courses the caller is enrolled in (administrators: any user_id)',
      tags: ['billing'],
      access: billingAccess.courses,
      query: coursesQuery,
      async handler(ctx, { query }) {
        const p = paging(query);
        const all = await m.account.enrolledCourses(viewerOf(ctx.state.caller), query.user_id);
        return sendCollection(ctx, all.slice(p.offset, p.offset + p.perPage).map(courseItem), all.length, p, m.home());
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/notifications',
      summary: "The caller's notifications, newest first",
      tags: ['billing'],
      access: billingAccess.readOwn,
      query: notificationQuery,
      async handler(ctx, { query }) {
        const p = paging(query);
        const page = await m.account.listNotifications(viewerOf(ctx.state.caller), {
          isRead: query.is_read,
          type: query.type,
          limit: p.perPage,
          offset: p.offset,
        });
        return sendCollection(ctx, page.rows.map(notificationItem), page.total, p, m.home());
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/notifications/:id/read',
      summary: "Mark one of the caller's notifications read",
      tags: ['billing'],
      errors: ['slbp_notification_not_found'],
      access: billingAccess.writeOwn,
      params: idParams,
      body: z.object({}),
      async handler(ctx, { params }) {
        return notificationItem(await m.account.markRead(viewerOf(ctx.state.caller), params.id));
      },
    }),
  ];
}
