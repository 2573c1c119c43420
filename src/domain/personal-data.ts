/**
 * What counts as personal data in the plugin's free-form columns, for the eraser
 * (docs/decisions/0021-store-owner-pages.md). Transaction metadata keeps an allowlist of
 * accounting keys; webhook payloads lose every field that names, locates or reaches a person.
 */

/** Metadata keys accounting needs (what the webhook and the plugin import write); everything else goes. */
const ACCOUNTING_KEYS = [
  'source',
  'kind',
  'order_number',
  'product_id',
  'variant_id',
  'product_name',
  'variant_name',
  'invoice_id',
  'subscription_id',
  'billing_reason',
  'invoice_status',
  'subtotal',
  'discount_total',
  'tax',
  'tax_rate',
  'total',
  'refunded_amount',
  'currency',
  'test_mode',
];

/** Gateway payload fields that identify or reach the buyer (Lemon Squeezy order, subscription and customer objects). */
const PERSONAL_KEYS = new Set([
  'user_name',
  'user_email',
  'customer_name',
  'customer_email',
  'email',
  'name',
  'first_name',
  'last_name',
  'full_name',
  'phone',
  'address',
  'address_1',
  'address_2',
  'line1',
  'line2',
  'city',
  'region',
  'state',
  'zip',
  'postcode',
  'postal_code',
  'ip',
  'ip_address',
  'user_agent',
  'card_brand',
  'card_last_four',
  'urls',
  'receipt',
  'customer_portal',
  'update_payment_method',
  'billing_address',
  'shipping_address',
  'notes',
  'note',
  'custom_data',
]);

export const ERASED = '[erased]';

/** Transaction metadata reduced to its accounting keys, marked as erased; text that is not a JSON object becomes null. */
export function anonymisedMetadata(raw: string | null, at = new Date()): string | null {
  if (raw === null || raw === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return JSON.stringify({ personal_data_erased_at: at.toISOString() });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify({ personal_data_erased_at: at.toISOString() });
  const kept = Object.fromEntries(
    ACCOUNTING_KEYS.filter((k) => k in (value as object))
      .map((k) => [k, (value as Record<string, unknown>)[k]])
      .filter(([, v]) => v === null || typeof v !== 'object'),
  );
  return JSON.stringify({ ...kept, personal_data_erased_at: at.toISOString() });
}

/**
 * A webhook payload with every personal field replaced by `[erased]`, every string mentioning one
 * of `names` (email, login, display name) erased, and the user id where the gateway and the
 * sidecar put it set to null. A payload that is not JSON is erased whole.
 */
export function redactPersonal(raw: string, names: string[], userId: number | null): string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return JSON.stringify({ erased: true });
  }
  const lowered = names.map((n) => n.toLowerCase());
  const walk = (v: unknown, key: string | null): unknown => {
    if (key !== null && PERSONAL_KEYS.has(key.toLowerCase())) return v === null ? null : ERASED;
    if (typeof v === 'string') return lowered.some((n) => v.toLowerCase().includes(n)) ? ERASED : v;
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          const isUserRef = (k === 'user_id' || k === 'userId') && userId !== null && Number(x) === userId;
          return [k, isUserRef ? null : walk(x, k)];
        }),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value, null));
}
