import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';

/** What the plugin's Mailchimp and Zapier webhooks write: user meta and a subscription's status. */
export class IntegrationsRepository {
  constructor(private readonly tables: Tables) {}

  /** The user with this email (get_user_by('email')), or null. */
  async userIdByEmail(q: Queryable, email: string): Promise<number | null> {
    const rows = await q.query<{ ID: number }[]>(`SELECT ID FROM \`${this.tables.core.users}\` WHERE user_email = ? ORDER BY ID LIMIT 1`, [
      email,
    ]);
    return rows[0] ? Number(rows[0].ID) : null;
  }

  /** update_user_meta(): one row for the key, holding `value`. */
  async setUserMeta(q: Queryable, userId: number, key: string, value: string): Promise<void> {
    await q.query(`DELETE FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key = ?`, [userId, key]);
    await q.query(`INSERT INTO \`${this.tables.core.usermeta}\` (user_id, meta_key, meta_value) VALUES (?, ?, ?)`, [userId, key, value]);
  }

  /** Sets the status of the subscription with this gateway id; answers the owners of the rows changed. */
  async setSubscriptionStatus(q: Queryable, subscriptionId: string, status: string): Promise<number[]> {
    const t = this.tables.slbp.subscriptions;
    const owners = await q.query<{ user_id: number }[]>(`SELECT DISTINCT user_id FROM \`${t}\` WHERE subscription_id = ?`, [
      subscriptionId,
    ]);
    await q.query(`UPDATE \`${t}\` SET status = ?, updated_at = UTC_TIMESTAMP() WHERE subscription_id = ?`, [status, subscriptionId]);
    return owners.map((o) => Number(o.user_id));
  }
}
