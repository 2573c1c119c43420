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

/** A subscriber created for a buyer, as wp_insert_user() writes one. */
export interface NewUser {
  login: string;
  email: string;
  passHash: string;
  displayName: string;
  firstName: string;
  lastName: string;
  capabilities: string;
}

/** `{prefix}users` (and the meta WordPress keeps beside a user): sign-in, identity, and the buyers gateway events create. */
export class UsersRepository {
  constructor(private readonly tables: Tables) {}

  async findById(q: Queryable, id: number): Promise<UserRow | null> {
    const rows = await q.query<UserRow[]>(
      `SELECT ID, user_login, user_email, user_pass, display_name, user_registered FROM \`${this.tables.core.users}\` WHERE ID = ?`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** By login only (get_user_by('login')), as WordPress reads the name in its auth cookie. */
  async findByLogin(q: Queryable, login: string): Promise<UserRow | null> {
    const rows = await q.query<UserRow[]>(
      `SELECT ID, user_login, user_email, user_pass, display_name, user_registered FROM \`${this.tables.core.users}\` WHERE user_login = ? ORDER BY ID LIMIT 1`,
      [login],
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

  /** The user's email, or null when there is no such user. */
  async emailOf(q: Queryable, id: number): Promise<string | null> {
    const rows = await q.query<{ user_email: string }[]>(`SELECT user_email FROM \`${this.tables.core.users}\` WHERE ID = ?`, [id]);
    return rows[0] ? rows[0].user_email : null;
  }

  /**
   * The oldest user with this email, locked. With no such user the lookup still takes a gap lock
   * on the email index, so two transactions creating the same buyer collide (one deadlocks and is
   * retried) instead of creating two accounts.
   */
  async lockByEmail(q: Queryable, email: string): Promise<number | null> {
    const rows = await q.query<{ ID: number }[]>(
      `SELECT ID FROM \`${this.tables.core.users}\` WHERE user_email = ? ORDER BY ID LIMIT 1 FOR UPDATE`,
      [email],
    );
    return rows[0] ? Number(rows[0].ID) : null;
  }

  async loginTaken(q: Queryable, login: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT ID FROM \`${this.tables.core.users}\` WHERE user_login = ? LIMIT 1`, [login]);
    return rows.length > 0;
  }

  /** Inserts the user and the meta wp_insert_user() writes for a new subscriber. */
  async create(q: Queryable, u: NewUser): Promise<number> {
    const nicename = u.login
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .slice(0, 50);
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO \`${this.tables.core.users}\` (user_login, user_pass, user_nicename, user_email, user_url, user_registered, user_activation_key, user_status, display_name)
       VALUES (?, ?, ?, ?, '', UTC_TIMESTAMP(), '', 0, ?)`,
      [u.login, u.passHash, nicename, u.email, u.displayName],
    );
    const id = Number(res.insertId);
    const meta: [string, string][] = [
      [this.tables.capabilitiesMeta, u.capabilities],
      [`${this.tables.prefix}user_level`, '0'],
      ['nickname', u.login],
      ['first_name', u.firstName],
      ['last_name', u.lastName],
      ['rich_editing', 'true'],
      ['show_admin_bar_front', 'true'],
    ];
    await q.query(
      `INSERT INTO \`${this.tables.core.usermeta}\` (user_id, meta_key, meta_value) VALUES ${meta.map(() => '(?, ?, ?)').join(',')}`,
      meta.flatMap(([k, v]) => [id, k, v]),
    );
    return id;
  }
}
