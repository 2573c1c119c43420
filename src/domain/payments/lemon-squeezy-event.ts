import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Every Lemon Squeezy event the sidecar applies; anything else is acknowledged and ignored. */
export const HANDLED_EVENTS = [
  'order_created', 'order_refunded',
  'subscription_created', 'subscription_updated', 'subscription_cancelled', 'subscription_resumed',
  'subscription_expired', 'subscription_paused', 'subscription_unpaused',
  'subscription_payment_success', 'subscription_payment_failed', 'subscription_payment_refunded',
] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

export const isHandled = (name: unknown): name is HandledEvent => typeof name === 'string' && (HANDLED_EVENTS as readonly string[]).includes(name);

/** Hex HMAC-SHA256 of the exact body bytes, compared in constant time. */
export function verifySignature(raw: Buffer, secret: string, signature: string): boolean {
  if (!secret || !/^[0-9a-f]+$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const id = z.union([z.string(), z.number()]).transform(String);
const cents = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);
const date = z.string().nullable().optional();

/** The parts of the webhook envelope the sidecar reads (shapes per the official SDK's types). */
export const envelopeSchema = z.object({
  meta: z.object({
    event_name: z.string(),
    custom_data: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
  data: z.object({ type: z.string(), id, attributes: z.record(z.string(), z.unknown()) }),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const orderSchema = z.object({
  identifier: z.string(),
  order_number: z.union([z.number(), z.string()]).optional(),
  user_name: z.string().nullable().optional(),
  user_email: z.string(),
  currency: z.string().length(3),
  total: cents,
  refunded_amount: cents.optional(),
  status: z.string(),
  refunded: z.boolean().optional(),
  first_order_item: z.object({ product_id: id, variant_id: id, product_name: z.string().optional(), variant_name: z.string().optional() }).nullable().optional(),
  test_mode: z.boolean().optional(),
  created_at: date,
  updated_at: date,
});

export const subscriptionSchema = z.object({
  order_id: id.nullable().optional(),
  product_id: id,
  variant_id: id,
  product_name: z.string().optional(),
  variant_name: z.string().optional(),
  user_name: z.string().nullable().optional(),
  user_email: z.string(),
  status: z.string(),
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
  user_name: z.string().nullable().optional(),
  user_email: z.string(),
  billing_reason: z.string().optional(),
  currency: z.string().length(3),
  status: z.string(),
  total: cents,
  refunded_amount: cents.optional(),
  test_mode: z.boolean().optional(),
  created_at: date,
  updated_at: date,
});

/**
 * The idempotency key of a delivery (docs/decisions/0013-webhook-idempotency.md): the event name, the gateway object's
 * type and id, and its `updated_at`; an object without `updated_at` falls back to a hash of the
 * attributes. Lemon Squeezy's retries and manual resends therefore map to one key.
 */
export function idempotencyKey(env: Envelope): string {
  const version = typeof env.data.attributes.updated_at === 'string' && env.data.attributes.updated_at
    ? env.data.attributes.updated_at
    : createHash('sha256').update(JSON.stringify(env.data.attributes)).digest('hex');
  return createHash('sha256').update([env.meta.event_name, env.data.type, env.data.id, version].join('\n')).digest('hex');
}

/** Lemon Squeezy order status → stored transaction status (`paid` is stored as `completed`). */
export function orderStatus(status: string, refunded?: boolean): string {
  if (refunded || status === 'refunded') return 'refunded';
  return ({ paid: 'completed', pending: 'pending', failed: 'failed', fraudulent: 'failed', partial_refund: 'completed' } as Record<string, string>)[status] ?? status.slice(0, 20);
}

/** Buyer's WordPress user id from `meta.custom_data.user_id`, when it is a positive integer. */
export function customUserId(env: Envelope): number | null {
  const v = env.meta.custom_data?.user_id;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
