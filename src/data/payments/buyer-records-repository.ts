import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

/**
 * The records SkyLearn Billing Pro's PHP helpers read (test/fixtures/wordpress/PLUGIN-API-READS.md):
 * user meta lists of ids (`slbp_orders`, `slbp_subscriptions`, one row per key, as
 * get_user_meta(..., true) reads only the first) and one option per order and subscription
 * (`slbp_order_{id}`, `slbp_subscription_{id}`). Values are PHP-serialized by the caller.
 */
export class BuyerRecordsRepository {
  constructor(private readonly tables: Tables) {}

  private get usermeta() {
    return `\`${this.tables.core.usermeta}\``;
  }
  private get options() {
    return `\`${this.tables.core.options}\``;
  }

  /** The first value of the user's meta `key`, its rows locked until the transaction ends (null: none). */
  async lockMeta(q: Queryable, userId: number, key: string): Promise<string | null> {
    const rows = await q.query<{ meta_value: string }[]>(
      `SELECT meta_value FROM ${this.usermeta} WHERE user_id = ? AND meta_key = ? ORDER BY umeta_id FOR UPDATE`,
      [userId, key],
    );
    return rows[0]?.meta_value ?? null;
  }

  /** Replaces every row of the user's meta `key` with one row holding `value`. */
  async setMeta(q: Queryable, userId: number, key: string, value: string): Promise<void> {
    await q.query(`DELETE FROM ${this.usermeta} WHERE user_id = ? AND meta_key = ?`, [userId, key]);
    await q.query(`INSERT INTO ${this.usermeta} (user_id, meta_key, meta_value) VALUES (?, ?, ?)`, [userId, key, value]);
  }

  /** The user's meta rows with exactly these keys, oldest first. */
  async meta(q: Queryable, userId: number, keys: string[]): Promise<{ meta_key: string; meta_value: string }[]> {
    if (!keys.length) return [];
    return q.query(
      `SELECT meta_key, meta_value FROM ${this.usermeta} WHERE user_id = ? AND meta_key IN (${keys.map(() => '?').join(',')}) ORDER BY umeta_id`,
      [userId, ...keys],
    );
  }

  /** The user's `slbp_enrollment_{course}` meta rows, oldest first. */
  async enrolmentMeta(q: Queryable, userId: number): Promise<{ meta_key: string; meta_value: string }[]> {
    return q.query(
      `SELECT meta_key, meta_value FROM ${this.usermeta} WHERE user_id = ? AND meta_key LIKE 'slbp\\_enrollment\\_%' AND meta_key REGEXP '^slbp_enrollment_[0-9]+$' ORDER BY umeta_id`,
      [userId],
    );
  }

  async deleteMeta(q: Queryable, userId: number, keys: string[]): Promise<number> {
    if (!keys.length) return 0;
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM ${this.usermeta} WHERE user_id = ? AND meta_key IN (${keys.map(() => '?').join(',')})`,
      [userId, ...keys],
    );
    return res.affectedRows;
  }

  /** Writes an option as update_option() creates one (autoload `yes`). */
  async putOption(q: Queryable, name: string, value: string): Promise<void> {
    await q.query(
      `INSERT INTO ${this.options} (option_name, option_value, autoload) VALUES (?, ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [name, value],
    );
  }

  /** The option's value, its row locked until the transaction ends (null: none). */
  async lockOption(q: Queryable, name: string): Promise<string | null> {
    const rows = await q.query<{ option_value: string }[]>(`SELECT option_value FROM ${this.options} WHERE option_name = ? FOR UPDATE`, [
      name,
    ]);
    return rows[0]?.option_value ?? null;
  }

  async optionValues(q: Queryable, names: string[]): Promise<Map<string, string>> {
    if (!names.length) return new Map();
    const rows = await q.query<{ option_name: string; option_value: string }[]>(
      `SELECT option_name, option_value FROM ${this.options} WHERE option_name IN (${names.map(() => '?').join(',')})`,
      names,
    );
    return new Map(rows.map((r) => [r.option_name, r.option_value]));
  }

  /**
   * `slbp_order_{id}` options whose text contains `email` (the plugin's webhook stored the buyer's
   * email in them without listing them under any user); the caller checks the decoded field.
   */
  async ordersMentioning(q: Queryable, email: string): Promise<{ option_name: string; option_value: string }[]> {
    return q.query(
      `SELECT option_name, option_value FROM ${this.options} WHERE option_name LIKE 'slbp\\_order\\_%' AND option_name REGEXP '^slbp_order_[0-9]+$' AND option_value LIKE ? ORDER BY option_id`,
      [`%${email.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
    );
  }

  /**
   * `slbp_subscription_{id}` options whose `order_id` is one of these orders (a text match on the
   * serialized value narrows the scan; the caller's decoding is what counts).
   */
  async subscriptionsOfOrders(q: Queryable, orderIds: string[]): Promise<Map<string, string>> {
    if (!orderIds.length) return new Map();
    const rows = await q.query<{ option_name: string; option_value: string }[]>(
      `SELECT option_name, option_value FROM ${this.options} WHERE option_name LIKE 'slbp\\_subscription\\_%' AND option_name REGEXP '^slbp_subscription_[0-9]+$'
       AND (${orderIds.map(() => 'option_value LIKE ?').join(' OR ')})`,
      orderIds.map((id) => `%"order_id";%${id}%`),
    );
    return new Map(rows.map((r) => [r.option_name, r.option_value]));
  }

  /** Names of the plugin's `slbp_subscription_user_{id}` options that point at this user. */
  async subscriptionUserLinks(q: Queryable, userId: number): Promise<string[]> {
    const rows = await q.query<{ option_name: string }[]>(
      `SELECT option_name FROM ${this.options} WHERE option_name LIKE 'slbp\\_subscription\\_user\\_%' AND option_value IN (?, ?)`,
      [String(userId), `i:${userId};`],
    );
    return rows.map((r) => r.option_name);
  }

  async deleteOptions(q: Queryable, names: string[]): Promise<number> {
    if (!names.length) return 0;
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM ${this.options} WHERE option_name IN (${names.map(() => '?').join(',')})`,
      names,
    );
    return res.affectedRows;
  }
}
