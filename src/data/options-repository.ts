import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';
import { maybeSerialize } from './php-serialize.ts';

/** Reads and writes rows of `{prefix}options` (raw strings; decoding is the caller's). */
export class OptionsRepository {
  constructor(private readonly tables: Tables) {}

  async getMany(q: Queryable, names: string[]): Promise<Map<string, string>> {
    if (!names.length) return new Map();
    const rows = await q.query<{ option_name: string; option_value: string }[]>(
      `SELECT option_name, option_value FROM \`${this.tables.core.options}\` WHERE option_name IN (${names.map(() => '?').join(',')})`,
      names,
    );
    return new Map(rows.map((r) => [r.option_name, r.option_value]));
  }

  async get(q: Queryable, name: string): Promise<string | null> {
    return (await this.getMany(q, [name])).get(name) ?? null;
  }

  /** Names of options matching a LIKE pattern (already escaped by the caller). */
  async listLike(q: Queryable, pattern: string): Promise<{ option_name: string; option_value: string }[]> {
    return q.query(`SELECT option_name, option_value FROM \`${this.tables.core.options}\` WHERE option_name LIKE ? ORDER BY option_id`, [
      pattern,
    ]);
  }

  /** Insert or update an option, encoded as WordPress's maybe_serialize() would. */
  async set(q: Queryable, name: string, value: unknown, autoload = 'yes'): Promise<void> {
    await q.query(
      `INSERT INTO \`${this.tables.core.options}\` (option_name, option_value, autoload) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [name, maybeSerialize(value), autoload],
    );
  }
}
