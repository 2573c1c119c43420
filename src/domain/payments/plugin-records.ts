import { sqlUtc } from '../../data/payments/sql-errors.ts';
import { centsToDecimal } from './money.ts';
import { orderStatus } from './lemon-squeezy-event.ts';

/** A plugin record that cannot be imported as stored; the message names what is wrong. */
export class MalformedRecord extends Error {}

export interface PluginOrder {
  id: string;
  customerEmail: string | null;
  customerName: string | null;
  productId: string | null;
  variantId: string | null;
  orderNumber: unknown;
  status: string;
  currency: string;
  total: string;
  subtotal: string | null;
  discountTotal: string | null;
  tax: string | null;
  refundedAmount: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  testMode: boolean;
}

export interface PluginSubscription {
  id: string;
  orderId: string | null;
  productId: string | null;
  variantId: string;
  status: string;
  trialEndsAt: string | null;
  billingAnchor: number | null;
  renewsAt: string | null;
  endsAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface PluginEnrolment {
  transactionId: string | null;
  subscriptionId: string | null;
  enrolledDate: string | null;
  source: string;
  lms: string;
}

const SUB_STATUSES = new Set(['on_trial', 'active', 'paused', 'past_due', 'unpaid', 'cancelled', 'expired']);

const asRecord = (v: unknown): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new MalformedRecord('not a PHP array with named keys');
  return v as Record<string, unknown>;
};

/** A gateway id: a positive whole number, kept as a string (BIGINT-safe). */
function gatewayId(v: unknown, field: string): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^[1-9]\d{0,19}$/.test(s)) throw new MalformedRecord(`${field} is missing or not a positive integer`);
  return s;
}
const optionalId = (v: unknown, field: string) => (v === null || v === undefined || v === '' ? null : gatewayId(v, field));
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);
// PHP stores true as b:1, but plugins also wrote "1"/1; WordPress treats those as true too.
const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';

function date(v: unknown, field: string): string | null {
  if (v === null || v === undefined || v === '' || v === false) return null;
  if (typeof v !== 'string') throw new MalformedRecord(`${field} is not a date`);
  try {
    // The plugin copied Lemon Squeezy's ISO 8601 strings; a bare "Y-m-d H:i:s" is read as UTC (DATA.md).
    return sqlUtc(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v) ? `${v.replace(' ', 'T')}Z` : v);
  } catch {
    throw new MalformedRecord(`${field} is not a date: ${v.slice(0, 40)}`);
  }
}

/**
 * An amount the plugin stored in major units (`total / 100`, so PHP wrote an int or a float such
 * as d:49.99) → exact DECIMAL(10,2) string. Floats are rounded to whole cents once and formatted
 * from the integer, so 0.1 + 0.2-style drift never reaches the table.
 */
export function majorToDecimal(v: unknown, field: string): string {
  if (typeof v === 'string' && /^-?\d{1,8}(\.\d{1,2})?$/.test(v.trim())) {
    const [whole, frac = ''] = v.trim().split('.');
    return `${whole}.${frac.padEnd(2, '0')}`;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) >= 1e8) throw new MalformedRecord(`${field} is not an amount`);
  return centsToDecimal(Math.round(v * 100));
}

const optionalAmount = (v: unknown, field: string) => (v === null || v === undefined || v === '' ? null : majorToDecimal(v, field));

/** `slbp_order_{id}` as the plugin's webhook stored it. */
export function parseOrder(raw: unknown): PluginOrder {
  const a = asRecord(raw);
  const currency = typeof a.currency === 'string' ? a.currency.trim().toUpperCase() : '';
  if (!/^[A-Z]{3}$/.test(currency)) throw new MalformedRecord('currency is missing or not a 3-letter code');
  if (typeof a.status !== 'string' || !a.status) throw new MalformedRecord('status is missing');
  return {
    id: gatewayId(a.id, 'id'),
    customerEmail: text(a.customer_email)?.toLowerCase() ?? null,
    customerName: text(a.customer_name),
    productId: optionalId(a.product_id, 'product_id'),
    variantId: optionalId(a.variant_id, 'variant_id'),
    orderNumber: a.order_number ?? null,
    status: orderStatus(a.status, truthy(a.refunded)),
    currency,
    total: majorToDecimal(a.total, 'total'),
    subtotal: optionalAmount(a.subtotal, 'subtotal'),
    discountTotal: optionalAmount(a.discount_total, 'discount_total'),
    tax: optionalAmount(a.tax, 'tax'),
    refundedAmount: optionalAmount(a.refunded_amount, 'refunded_amount'),
    createdAt: date(a.created_at, 'created_at'),
    updatedAt: date(a.updated_at, 'updated_at'),
    testMode: truthy(a.test_mode),
  };
}

/** `slbp_subscription_{id}` as the plugin's webhook stored it. */
export function parseSubscription(raw: unknown): PluginSubscription {
  const a = asRecord(raw);
  const status = a.status === 'trialing' ? 'on_trial' : a.status;
  if (typeof status !== 'string' || !SUB_STATUSES.has(status))
    throw new MalformedRecord(`status ${JSON.stringify(a.status ?? null)} is not a Lemon Squeezy subscription status`);
  const anchor = Number(a.billing_anchor);
  return {
    id: gatewayId(a.id, 'id'),
    orderId: optionalId(a.order_id, 'order_id'),
    productId: optionalId(a.product_id, 'product_id'),
    variantId: gatewayId(a.variant_id, 'variant_id'),
    status,
    trialEndsAt: date(a.trial_ends_at, 'trial_ends_at'),
    billingAnchor: Number.isInteger(anchor) && anchor >= 1 && anchor <= 31 ? anchor : null,
    renewsAt: date(a.renews_at, 'renews_at'),
    endsAt: date(a.ends_at, 'ends_at'),
    createdAt: date(a.created_at, 'created_at'),
    updatedAt: date(a.updated_at, 'updated_at'),
  };
}

/** User meta `slbp_enrollment_{course}`: `{transaction_id, subscription_id, enrolled_date, source, lms, metadata}`. */
export function parseEnrolment(raw: unknown): PluginEnrolment {
  const a = asRecord(raw);
  return {
    transactionId: text(a.transaction_id),
    subscriptionId: text(a.subscription_id),
    enrolledDate: date(a.enrolled_date, 'enrolled_date'),
    source: text(a.source) ?? 'plugin',
    lms: (text(a.lms) ?? 'learndash').slice(0, 50),
  };
}

const DAY = 86_400_000;
const parse = (sql: string) => new Date(`${sql.replace(' ', 'T')}Z`);

/**
 * The billing cycle, which the plugin never stored (docs/decisions/0018-plugin-data-import.md):
 * measured from the period start (trial end when there was a trial, else `created_at`) to
 * `renews_at`. Same month and day a whole number of years later → yearly; the same day of the
 * month (or the `billing_anchor` day, clamped to short months) → monthly; a whole number of weeks
 * → weekly; otherwise the nearest of the three. Still in the trial, no `renews_at`, or none after
 * the start → monthly (the plugin's default plan length).
 */
export function inferCycle(
  s: Pick<PluginSubscription, 'createdAt' | 'trialEndsAt' | 'renewsAt' | 'billingAnchor'>,
): 'weekly' | 'monthly' | 'yearly' {
  // During a trial renews_at is the trial's end: no paid period to measure yet.
  if (s.trialEndsAt && s.renewsAt && s.renewsAt <= s.trialEndsAt) return 'monthly';
  const startSql = s.trialEndsAt ?? s.createdAt;
  if (!startSql || !s.renewsAt || s.renewsAt <= startSql) return 'monthly';
  const start = parse(startSql);
  const renews = parse(s.renewsAt);
  const days = Math.round((renews.getTime() - start.getTime()) / DAY);
  const sameTime = start.toISOString().slice(11, 16) === renews.toISOString().slice(11, 16);
  const months = (renews.getUTCFullYear() - start.getUTCFullYear()) * 12 + renews.getUTCMonth() - start.getUTCMonth();
  if (sameTime && months >= 12 && months % 12 === 0 && renews.getUTCDate() === start.getUTCDate()) return 'yearly';
  const monthEnd = new Date(Date.UTC(renews.getUTCFullYear(), renews.getUTCMonth() + 1, 0)).getUTCDate();
  const anchor = Math.min(s.billingAnchor ?? start.getUTCDate(), monthEnd);
  if (sameTime && months >= 1 && renews.getUTCDate() === anchor) return 'monthly';
  if (days >= 7 && days % 7 === 0 && sameTime) return 'weekly';
  return days >= 200 ? 'yearly' : days <= 10 ? 'weekly' : 'monthly';
}
