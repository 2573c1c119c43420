import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { isDuplicateKey } from './sql-errors.ts';

/** Name prefix of ledger rows in `{prefix}options`; the unique `option_name` index is the guard. */
export const LEDGER_PREFIX = '_slbp_ls_event_';

/**
 * The idempotency ledger for incoming gateway events (docs/decisions/0013-webhook-idempotency.md). One row per applied
 * event in `{prefix}options` (autoload off), claimed inside the event's own transaction: a second
 * claim of the same key waits on the first one's row lock and then fails as a duplicate, so
 * concurrent and later redeliveries change nothing, across restarts and Redis flushes.
 */
export class EventLedgerRepository {
  constructor(private readonly tables: Tables) {}

  /** True when this transaction now owns `key`; false when it was applied before. */
  async claim(q: Queryable, key: string, note: string): Promise<boolean> {
    try {
      await q.query(`INSERT INTO \`${this.tables.core.options}\` (option_name, option_value, autoload) VALUES (?, ?, 'no')`, [
        `${LEDGER_PREFIX}${key}`,
        JSON.stringify({ event: note, at: new Date().toISOString() }),
      ]);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Whether `key` was claimed on this database (a plain read: for ledgers no event claims on any more). */
  async has(q: Queryable, key: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT option_id FROM \`${this.tables.core.options}\` WHERE option_name = ?`, [
      `${LEDGER_PREFIX}${key}`,
    ]);
    return rows.length > 0;
  }

  /** Drops ledger rows older than `days` (gateways stop redelivering long before). */
  async prune(q: Queryable, days: number): Promise<number> {
    const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM \`${this.tables.core.options}\` WHERE option_name LIKE ? AND JSON_VALUE(option_value, '$.at') < ?`,
      [`${LEDGER_PREFIX}%`, cutoff],
    );
    return res.affectedRows;
  }
}
