import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { isoDateTime } from '../iso-date-time.ts';

/** Every Lemon Squeezy event the sidecar applies; anything else is acknowledged and ignored. */
export const HANDLED_EVENTS = [
  'order_created',
  'order_refunded',
  'subscription_created',
  'subscription_updated',
  'subscription_cancelled',
  'subscription_resumed',
  'subscription_expired',
  'subscription_paused',
  'subscription_unpaused',
  'subscription_payment_success',
  'subscription_payment_failed',
  'subscription_payment_refunded',
] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

export const isHandled = (name: unknown): name is HandledEvent =>
  typeof name === 'string' && (HANDLED_EVENTS as readonly string[]).includes(name);

/** Hex HMAC-SHA256 of the exact body bytes, compared in constant time. */
export function verifySignature(raw: Buffer, secret: string, signature: string): boolean {
  if (!secret || !/^[0-9a-f]+$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A gateway id: a positive whole number (digits), as Lemon Squeezy numbers its objects. */
const id = z
  .union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,20}$/, 'must be a whole number')])
  .transform(String);
/** The largest amount `DECIMAL(10,2)` holds, in cents. */
export const MAX_CENTS = 9_999_999_999;
/** An amount in cents: a whole, non-negative number that the amount columns hold ("49.00", 1e20, -1 and null are refused). */
const cents = z.union([
  z.number().int().min(0).max(MAX_CENTS),
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be whole cents')
    .transform(Number)
    .pipe(z.number().max(MAX_CENTS)),
]);
/** Free text bounded by the column it goes to; no control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) => z.string().max(max).regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');
/** `wp_users.user_email` is 100 characters. */
const email = z
  .string()
  .max(100)
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address');
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 currency code (three letters)')
  .transform((c) => c.toUpperCase());
const status = z.string().regex(/^[a-z_]{1,20}$/, 'must be a status name');
/** ISO 8601, every part in range, within what a DATETIME column holds. */
const date = z
  .string()
  .refine((v) => {
    const d = isoDateTime(v);
    return d !== null && d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999;
  }, 'must be an ISO 8601 date-time')
  .nullable()
  .optional();

/** The parts of the webhook envelope the sidecar reads (shapes per the official SDK's types). */
export const envelopeSchema = z.object({
  meta: z.object({
    event_name: z.string().max(50),
    custom_data: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
  data: z.object({ type: z.string().max(50), id, attributes: z.record(z.string(), z.unknown()) }),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const orderSchema = z.object({
  identifier: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1 to 100 letters, digits, dots, dashes or underscores'),
  order_number: z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,20}$/)]).optional(),
  customer_id: id.nullable().optional(),
  user_name: text(250).nullable().optional(),
  user_email: email,
  currency,
  total: cents,
  refunded_amount: cents.optional(),
  status,
  refunded: z.boolean().optional(),
  first_order_item: z
    .object({ product_id: id, variant_id: id, product_name: text(255).optional(), variant_name: text(255).optional() })
    .nullable()
    .optional(),
  test_mode: z.boolean().optional(),
  created_at: date,
  updated_at: date,
});

export const subscriptionSchema = z.object({
  order_id: id.nullable().optional(),
  customer_id: id.nullable().optional(),
  product_id: id,
  variant_id: id,
  product_name: text(255).optional(),
  variant_name: text(255).optional(),
  user_name: text(250).nullable().optional(),
  user_email: email,
  status,
  cancelled: z.boolean().optional(),
  trial_ends_at: date,
  renews_at: date,
  ends_at: date,
  test_mode: z.boolean().optional(),
  created_at: date,
  updated_at: date,
});

export const invoiceSchema = z.object({
  subscription_id: id,
  customer_id: id.nullable().optional(),
  user_name: text(250).nullable().optional(),
  user_email: email,
  billing_reason: text(50).optional(),
  currency,
  status,
  total: cents,
  refunded_amount: cents.optional(),
  test_mode: z.boolean().optional(),
  created_at: date,
  updated_at: date,
});

/** What a handled event is about: an order, a subscription invoice, or a subscription. */
export type EventKind = 'order' | 'invoice' | 'subscription';

export const eventKind = (event: HandledEvent): EventKind =>
  event === 'order_created' || event === 'order_refunded'
    ? 'order'
    : event.startsWith('subscription_payment_')
      ? 'invoice'
      : 'subscription';

/** The schema of the attributes an event of this kind carries. */
export const attributesSchema = (kind: EventKind) =>
  kind === 'order' ? orderSchema : kind === 'invoice' ? invoiceSchema : subscriptionSchema;

/**
 * The idempotency key of a delivery (docs/decisions/0013-webhook-idempotency.md): the event name, the gateway object's
 * type and id, and its `updated_at`; an object without `updated_at` falls back to a hash of the
 * attributes. Lemon Squeezy's retries and manual resends therefore map to one key.
 */
export function idempotencyKey(env: Envelope): string {
  const version =
    typeof env.data.attributes.updated_at === 'string' && env.data.attributes.updated_at
      ? env.data.attributes.updated_at
      : createHash('sha256').update(JSON.stringify(env.data.attributes)).digest('hex');
  return createHash('sha256').update([env.meta.event_name, env.data.type, env.data.id, version].join('\n')).digest('hex');
}

/** Lemon Squeezy order status → stored transaction status (`paid` is stored as `completed`). */
export function orderStatus(status: string, refunded?: boolean): string {
  if (refunded || status === 'refunded') return 'refunded';
  return (
    (
      { paid: 'completed', pending: 'pending', failed: 'failed', fraudulent: 'failed', partial_refund: 'completed' } as Record<
        string,
        string
      >
    )[status] ?? status.slice(0, 20)
  );
}

/** Buyer's WordPress user id from `meta.custom_data.user_id`, when it is a positive integer. */
export function customUserId(env: Envelope): number | null {
  const v = env.meta.custom_data?.user_id;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * The named locks an event is applied under: its buyer's email (one writer creates a new buyer)
 * and the gateway objects whose rows it may insert (one writer per order, subscription and
 * invoice), so that READ COMMITTED, which takes no gap locks, never lets two events insert one
 * row twice (docs/decisions/0030-webhook-contention-and-bulkheads.md). `buyerOnly`: just the email.
 */
export function eventLocks(event: HandledEvent, env: Envelope, buyerOnly = false): string[] {
  const kind = eventKind(event);
  const a = attributesSchema(kind).parse(env.data.attributes) as { user_email: string; order_id?: unknown; subscription_id?: unknown };
  const locks = [`buyer:${a.user_email.trim().toLowerCase()}`];
  if (buyerOnly) return locks;
  if (kind === 'order') locks.push(`order:${env.data.id}`);
  else if (kind === 'subscription') {
    locks.push(`subscription:${env.data.id}`);
    if (a.order_id !== null && a.order_id !== undefined) locks.push(`order:${String(a.order_id)}`);
  } else locks.push(`subscription:${String(a.subscription_id)}`, `order:invoice_${env.data.id}`);
  return locks;
}
