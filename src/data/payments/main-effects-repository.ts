import { createHash } from 'node:crypto';
import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

/** Name prefix of the records in `{prefix}options`; the rest is a sha256 of the write's key. */
export const MAIN_EFFECTS_PREFIX = '_slbp_main_fx_';

/**
 * What the main-database part of a split write did (SLBP_SHARDS: enrolment meta, a notice),
 * stored in `{prefix}options` (autoload off) in that part's own transaction. When the shard part
 * then fails to commit, the retry finds the record, does not repeat the main part and writes the
 * shard rows the record describes (docs/decisions/0019-shard-writes.md).
 */
export class MainEffectsRepository {
  constructor(private readonly tables: Tables) {}

  private name(key: string): string {
    return `${MAIN_EFFECTS_PREFIX}${createHash('sha256').update(key).digest('hex')}`;
  }

  /** The record saved for `key`, or null when the main part has not committed before. */
  async load<T>(q: Queryable, key: string): Promise<T | null> {
    const rows = await q.query<{ option_value: string }[]>(
      `SELECT option_value FROM \`${this.tables.core.options}\` WHERE option_name = ?`,
      [this.name(key)],
    );
    return rows[0] ? (JSON.parse(rows[0].option_value).effects as T) : null;
  }

  /** Saves the record inside the caller's main-database transaction. */
  async save(q: Queryable, key: string, effects: unknown): Promise<void> {
    await q.query(`INSERT INTO \`${this.tables.core.options}\` (option_name, option_value, autoload) VALUES (?, ?, 'no')`, [
      this.name(key),
      JSON.stringify({ key: key.slice(0, 200), at: new Date().toISOString(), effects }),
    ]);
  }

  /** Drops records older than `days` (a retry comes within hours, never after weeks). */
  async prune(q: Queryable, days: number): Promise<number> {
    const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM \`${this.tables.core.options}\` WHERE option_name LIKE ? AND JSON_VALUE(option_value, '$.at') < ?`,
      [`${MAIN_EFFECTS_PREFIX.replaceAll('_', '\\_')}%`, cutoff],
    );
    return res.affectedRows;
  }
}
