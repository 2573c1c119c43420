import { z } from 'zod';
import { collectionParams, dateTimeParam, listParam, type Paging } from '../collection.ts';
import { SUBSCRIPTION_STATUSES, TRANSACTION_STATUSES } from '../../domain/billing/values.ts';

import { intParam } from '../params.ts';

export { idParams } from '../params.ts';
const positiveId = intParam();
const order = z.enum(['asc', 'desc']).optional();
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code')
  .transform((v) => v.toUpperCase());
/** An order, transaction or subscription id of the gateway, matched exactly. */
const search = z.string().trim().min(1).max(100).describe('the gateway id of an order, transaction or subscription (exact match)');

export const transactionQuery = z.object({
  ...collectionParams,
  status: listParam([...TRANSACTION_STATUSES, 'paid']).optional(),
  gateway: z.string().min(1).max(50).optional(),
  user_id: positiveId.optional(),
  course_id: positiveId.optional(),
  currency: currency.optional(),
  search: search.optional(),
  after: dateTimeParam.optional(),
  before: dateTimeParam.optional(),
  orderby: z.enum(['created_at', 'amount', 'id']).optional(),
  order,
});

export const subscriptionQuery = z.object({
  ...collectionParams,
  status: listParam([...SUBSCRIPTION_STATUSES, 'trialing']).optional(),
  gateway: z.string().min(1).max(50).optional(),
  plan_id: z.string().min(1).max(100).optional(),
  user_id: positiveId.optional(),
  currency: currency.optional(),
  search: search.optional(),
  after: dateTimeParam.optional(),
  before: dateTimeParam.optional(),
  orderby: z.enum(['created_at', 'amount', 'id', 'next_billing_date']).optional(),
  order,
});

export const userQuery = z.object({ user_id: positiveId.optional() });

export const notificationQuery = z.object({
  ...collectionParams,
  is_read: z
    .enum(['0', '1', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .optional(),
  type: z.string().min(1).max(50).optional(),
});

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, 'must be a valid date');

export const analyticsQuery = z.object({
  period: z.enum(['7d', '30d', '90d', '12m', 'custom']).default('30d'),
  date_from: localDate.optional(),
  date_to: localDate.optional(),
  group_by: z.enum(['day', 'week', 'month']).optional(),
  currency: currency.optional(),
});

/** The LIMIT/OFFSET window of a billing list: newest first unless the caller orders otherwise. */
export function listWindow<O extends string>(
  query: { orderby?: O; order?: 'asc' | 'desc' },
  p: Paging,
): { orderby: O | 'created_at'; order: 'asc' | 'desc'; limit: number; offset: number } {
  return { orderby: query.orderby ?? 'created_at', order: query.order ?? 'desc', limit: p.perPage, offset: p.offset };
}
