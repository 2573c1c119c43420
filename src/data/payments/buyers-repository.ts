import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface NewUser {
  login: string;
  email: string;
  passHash: string;
  displayName: string;
  firstName: string;
  lastName: string;
  capabilities: string;
}

/** Finds and creates the WordPress users that gateway events belong to. */
export class BuyersRepository {
  constructor(private readonly tables: Tables) {}

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
