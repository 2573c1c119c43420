import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';

export interface UserRow {
  ID: number;
  user_login: string;
  user_email: string;
  user_pass: string;
  display_name: string;
  user_registered: string;
}

/** Reads `{prefix}users` and `{prefix}usermeta`. */
export class UsersRepository {
  constructor(private readonly tables: Tables) {}

  async findById(q: Queryable, id: number): Promise<UserRow | null> {
    const rows = await q.query<UserRow[]>(
      `SELECT ID, user_login, user_email, user_pass, display_name, user_registered FROM \`${this.tables.core.users}\` WHERE ID = ?`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** By login, or by email when the given name contains `@` (as wp_authenticate does). */
  async findByLoginOrEmail(q: Queryable, name: string): Promise<UserRow | null> {
    const column = name.includes('@') ? 'user_email' : 'user_login';
    const rows = await q.query<UserRow[]>(
      `SELECT ID, user_login, user_email, user_pass, display_name, user_registered FROM \`${this.tables.core.users}\` WHERE ${column} = ? ORDER BY ID LIMIT 1`,
      [name],
    );
    return rows[0] ?? null;
  }

  /**
   * The beginnings of the password hashes the site's accounts hold, one per algorithm and cost
   * (`$wp$2y$10$`, `$2y$12$`, `$P$B`, `$generic$`, or `md5` for legacy md5 hashes): enough for
   * hashKind(). One scan of the users table.
   */
  async passwordHashPrefixes(q: Queryable): Promise<string[]> {
    const rows = await q.query<{ prefix: string }[]>(
      `SELECT CASE
         WHEN user_pass LIKE '$wp$2%' THEN LEFT(user_pass, 10)
         WHEN user_pass LIKE '$2%' THEN LEFT(user_pass, 7)
         WHEN user_pass LIKE '$P$%' OR user_pass LIKE '$H$%' THEN LEFT(user_pass, 4)
         WHEN user_pass LIKE '$generic$%' THEN '$generic$'
         WHEN user_pass REGEXP '^[a-fA-F0-9]{32}$' THEN 'md5'
         ELSE '' END AS prefix
       FROM \`${this.tables.core.users}\` GROUP BY prefix`,
    );
    return rows.map((r) => r.prefix).filter(Boolean);
  }

  /** Raw meta values for the given keys (first value per key, as get_user_meta($id, $key, true)). */
  async getMeta(q: Queryable, userId: number, keys: string[]): Promise<Map<string, string>> {
    if (!keys.length) return new Map();
    const rows = await q.query<{ meta_key: string; meta_value: string }[]>(
      `SELECT meta_key, meta_value FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key IN (${keys.map(() => '?').join(',')}) ORDER BY umeta_id`,
      [userId, ...keys],
    );
    const out = new Map<string, string>();
    for (const r of rows) if (!out.has(r.meta_key)) out.set(r.meta_key, r.meta_value);
    return out;
  }

  /**
   * Replaces one meta value only if it still holds `expected` (compare-and-set), so a value
   * WordPress changed in the meantime is never overwritten with a stale copy. True when written.
   */
  async replaceMetaIfUnchanged(q: Queryable, userId: number, key: string, expected: string, next: string): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE \`${this.tables.core.usermeta}\` SET meta_value = ? WHERE user_id = ? AND meta_key = ? AND meta_value = ?`,
      [next, userId, key, expected],
    );
    return res.affectedRows > 0;
  }
}
