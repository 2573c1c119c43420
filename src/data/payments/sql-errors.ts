/** MariaDB error codes the payment writers react to (mysql2 puts them in `code`). */
export const isDuplicateKey = (err: unknown) => (err as { code?: string })?.code === 'ER_DUP_ENTRY';

/** Deadlocks and lock-wait timeouts: the transaction was rolled back and may simply be run again. */
export const isRetryableLock = (err: unknown) =>
  ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'].includes((err as { code?: string })?.code ?? '');

/** `2021-08-11T13:47:29.000000Z` (or any ISO 8601 with a zone) → `2021-08-11 13:47:29` UTC; null stays null. */
export function sqlUtc(iso: string | Date | null | undefined): string | null {
  if (iso === null || iso === undefined || iso === '') return null;
  const d = iso instanceof Date ? iso : new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${String(iso)}`);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Runs `fn` again (up to `attempts` times) when MariaDB rolled it back for a lock conflict. The
 * pause doubles with each attempt (10, 20, 40 ... ms, at most 640 ms) and is drawn at random below
 * that bound, so transactions that deadlocked together do not collide again in step: dozens of
 * concurrent webhooks inserting at the end of the same index keep meeting on its last gap.
 */
export async function withLockRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryableLock(err) || attempt >= attempts) throw err;
      const bound = Math.min(640, 10 * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, 2 + Math.random() * bound));
    }
  }
}
