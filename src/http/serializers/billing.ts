import type { NotificationRow } from '../../data/notifications-repository.ts';
import type { EnrolledCourseRow } from '../../data/read-models/enrolled-courses-read-model.ts';
import type { SubscriptionRow } from '../../data/subscriptions-repository.ts';
import type { TransactionRow } from '../../data/transactions-repository.ts';
import {
  decodeJson,
  idOf,
  isoFromDb,
  money,
  normaliseSubscriptionStatus,
  normaliseTransactionStatus,
} from '../../domain/billing/values.ts';

/** Row → the transaction item of ROUTES.md. */
export function transactionItem(r: TransactionRow) {
  return {
    id: idOf(r.id),
    user_id: idOf(r.user_id),
    order_id: r.order_id,
    transaction_id: r.transaction_id,
    gateway: r.payment_gateway,
    amount: money(r.amount),
    currency: r.currency,
    status: normaliseTransactionStatus(r.status),
    course_id: idOf(r.course_id),
    metadata: decodeJson(r.metadata),
    created_at: isoFromDb(r.created_at),
    updated_at: isoFromDb(r.updated_at),
  };
}

/** Row → the subscription item of ROUTES.md. */
export function subscriptionItem(r: SubscriptionRow) {
  return {
    id: idOf(r.id),
    user_id: idOf(r.user_id),
    subscription_id: r.subscription_id,
    gateway: r.payment_gateway,
    plan_id: r.plan_id,
    status: normaliseSubscriptionStatus(r.status),
    amount: money(r.amount),
    currency: r.currency,
    billing_cycle: r.billing_cycle,
    next_billing_date: isoFromDb(r.next_billing_date),
    expires_at: isoFromDb(r.expires_at),
    created_at: isoFromDb(r.created_at),
    updated_at: isoFromDb(r.updated_at),
  };
}

export function notificationItem(r: NotificationRow) {
  return {
    id: idOf(r.id),
    user_id: idOf(r.user_id),
    type: r.type,
    title: r.title,
    message: r.message,
    data: decodeJson(r.data),
    is_read: Boolean(Number(r.is_read)),
    created_at: isoFromDb(r.created_at),
  };
}

export function courseItem(r: EnrolledCourseRow) {
  return {
    course_id: r.course_id,
    title: r.title,
    url: r.url,
    enrolled_at:
      isoFromDb(r.enrolled_at) ?? (r.access_from ? new Date(r.access_from * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null),
    access_from: r.access_from ? new Date(r.access_from * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
    source: r.source,
  };
}
