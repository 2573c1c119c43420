/** Integer cents (as Lemon Squeezy sends amounts) → exact DECIMAL(10,2) string, without float division. */
export function centsToDecimal(cents: unknown): string {
  const n = typeof cents === 'string' && /^-?\d+$/.test(cents) ? Number(cents) : cents;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new Error(`amount is not a whole number of cents: ${String(cents)}`);
  const abs = Math.abs(n);
  return `${n < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
