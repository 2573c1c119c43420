import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';

/** `{prefix}slbp_sessions`: the plugin's `database` session handler table. */
export class SessionsRepository {
  constructor(private readonly tables: Tables) {}

  private get t(): string {
    return `\`${this.tables.slbp.sessions}\``;
  }

  async put(q: Queryable, key: string, data: string, ttlSec: number): Promise<void> {
    await q.query(
      `INSERT INTO ${this.t} (session_key, session_data, expires_at, created_at) VALUES (?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, UTC_TIMESTAMP())
       ON DUPLICATE KEY UPDATE session_data = VALUES(session_data), expires_at = VALUES(expires_at)`,
      [key, data, ttlSec],
    );
  }

  /** One unexpired session's data, or null. */
  async get(q: Queryable, key: string): Promise<string | null> {
    const rows = await q.query<{ session_data: string }[]>(
      `SELECT session_data FROM ${this.t} WHERE session_key = ? AND expires_at > UTC_TIMESTAMP()`,
      [key],
    );
    return rows[0]?.session_data ?? null;
  }

  /** Replaces an unexpired session's data if it still holds `expected` (compare-and-set); true when replaced. */
  async replace(q: Queryable, key: string, expected: string, next: string): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE ${this.t} SET session_data = ? WHERE session_key = ? AND session_data = ? AND expires_at > UTC_TIMESTAMP()`,
      [next, key, expected],
    );
    return res.affectedRows === 1;
  }

  async delete(q: Queryable, key: string): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(`DELETE FROM ${this.t} WHERE session_key = ?`, [key]);
    return res.affectedRows > 0;
  }

  async purgeExpired(q: Queryable): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(`DELETE FROM ${this.t} WHERE expires_at <= UTC_TIMESTAMP() LIMIT 1000`);
    return res.affectedRows;
  }
}
