/**
 * Value rules from DATA.md: UTC ISO dates without millis, DECIMAL strings turned into numbers
 * only at the edge, integer cents for any arithmetic, and normalised statuses.
 */

export const TRANSACTION_STATUSES = ['pending', 'processing', 'completed', 'failed', 'refunded', 'cancelled'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];
export const SUBSCRIPTION_STATUSES = ['on_trial', 'active', 'paused', 'past_due', 'unpaid', 'cancelled', 'expired'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** Stored status values that read as the given normalised one (`paid` is `completed`, `trialing` is `on_trial`). */
export const STORED_TRANSACTION_STATUS: Record<string, string[]> = { completed: ['completed', 'paid'], paid: ['completed', 'paid'] };
export const STORED_SUBSCRIPTION_STATUS: Record<string, string[]> = {
  on_trial: ['on_trial', 'trialing'],
  trialing: ['on_trial', 'trialing'],
};

export function storedStatuses(wanted: string[], aliases: Record<string, string[]>): string[] {
  return [...new Set(wanted.flatMap((s) => aliases[s] ?? [s]))];
}

export function normaliseTransactionStatus(s: string): string {
  return s === 'paid' ? 'completed' : s;
}

export function normaliseSubscriptionStatus(s: string): string {
  return s === 'trialing' ? 'on_trial' : s;
}

/** `2026-11-26 10:58:19` (UTC, as stored) → `2026-11-26T10:58:19Z`; null stays null. */
export function isoFromDb(v: string | null | undefined): string | null {
  if (!v || v.startsWith('0000-00-00')) return null;
  return `${v.slice(0, 10)}T${v.slice(11, 19) || '00:00:00'}Z`;
}

/** Date → `YYYY-MM-DD HH:MM:SS` in UTC for a DATETIME parameter. */
export function dbFromDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Date → ISO 8601 UTC without millis. */
export function isoFromDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Exact integer cents from a DECIMAL string such as `-12.5` or `149.00`. */
export function centsOf(v: string | number | null | undefined): number {
  if (v === null || v === undefined) return 0;
  const s = String(v).trim();
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) throw new Error(`not a decimal amount: ${s}`);
  const frac = ((m[3] ?? '') + '00').slice(0, 2);
  // Round half away from zero on a third decimal, as DECIMAL(10,2) arithmetic would.
  const third = Number((m[3] ?? '')[2] ?? '0');
  const abs = Number(m[2] || '0') * 100 + Number(frac) + (third >= 5 ? 1 : 0);
  return m[1] ? -abs : abs;
}

/** Integer cents → JSON number (the edge). */
export function moneyFromCents(cents: number): number {
  return Math.round(cents) / 100;
}

/** DECIMAL string → JSON number (the edge). */
export function money(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  return moneyFromCents(centsOf(v));
}

/** BIGINT as returned by the driver: a number when safe, else the exact string. */
export function idOf(v: number | string | null | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/** JSON text column → value; text that is not JSON is returned as is rather than dropped. */
export function decodeJson(v: string | null | undefined): unknown {
  if (v === null || v === undefined || v === '') return null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
