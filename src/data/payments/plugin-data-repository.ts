import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface OptionRow {
  option_id: number;
  option_name: string;
  option_value: string;
}
export interface MetaRow {
  umeta_id: number;
  user_id: number;
  meta_key: string;
  meta_value: string;
}

/** Record kinds the PHP plugin stored in `{prefix}options` as `slbp_{kind}_{gateway id}`. */
export type PluginKind = 'order' | 'subscription';

/**
 * Read access to what the PHP plugin stored outside its tables (order and subscription options,
 * user links, enrolment meta), plus the enrolment-log writes the import needs. Never writes options.
 */
export class PluginDataRepository {
  constructor(private readonly tables: Tables) {}

  // `_` is a LIKE wildcard, so the patterns escape it; the REGEXP keeps `slbp_order_user_*` out.
  private recordFilter = 'option_name LIKE ? AND option_name REGEXP ?';
  private recordArgs = (kind: PluginKind) => [`slbp\\_${kind}\\_%`, `^slbp_${kind}_[0-9]+$`];

  async countRecords(q: Queryable, kind: PluginKind): Promise<number> {
    const [row] = await q.query<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM \`${this.tables.core.options}\` WHERE ${this.recordFilter}`,
      this.recordArgs(kind),
    );
    return Number(row?.n ?? 0);
  }

  /** One page of `slbp_{kind}_{id}` options after `afterId`, in option_id order (keyset paging). */
  async recordPage(q: Queryable, kind: PluginKind, afterId: number, limit: number): Promise<OptionRow[]> {
    return q.query(
      `SELECT option_id, option_name, option_value FROM \`${this.tables.core.options}\` WHERE ${this.recordFilter} AND option_id > ? ORDER BY option_id LIMIT ?`,
      [...this.recordArgs(kind), afterId, limit],
    );
  }

  async optionValues(q: Queryable, names: string[]): Promise<Map<string, string>> {
    if (!names.length) return new Map();
    const rows = await q.query<OptionRow[]>(
      `SELECT option_name, option_value FROM \`${this.tables.core.options}\` WHERE option_name IN (${names.map(() => '?').join(',')})`,
      names,
    );
    return new Map(rows.map((r) => [r.option_name, r.option_value]));
  }

  /** Every `slbp_{kind}_user_{id}` option (the plugin's gateway id → WordPress user links). */
  async userLinks(q: Queryable, kind: PluginKind): Promise<OptionRow[]> {
    return q.query(
      `SELECT option_id, option_name, option_value FROM \`${this.tables.core.options}\` WHERE option_name LIKE ? ORDER BY option_id`,
      [`slbp\\_${kind}\\_user\\_%`],
    );
  }

  /** User meta rows with exactly this key (`slbp_orders`, `slbp_subscriptions`). */
  async metaByKey(q: Queryable, key: string): Promise<MetaRow[]> {
    return q.query(
      `SELECT umeta_id, user_id, meta_key, meta_value FROM \`${this.tables.core.usermeta}\` WHERE meta_key = ? ORDER BY umeta_id`,
      [key],
    );
  }

  /** Every `slbp_enrollment_{course}` meta row. */
  async enrolmentMeta(q: Queryable): Promise<MetaRow[]> {
    return q.query(
      `SELECT umeta_id, user_id, meta_key, meta_value FROM \`${this.tables.core.usermeta}\` WHERE meta_key LIKE 'slbp\\_enrollment\\_%' AND meta_key REGEXP '^slbp_enrollment_[0-9]+$' ORDER BY umeta_id`,
    );
  }

  /** Which of these user ids exist. */
  async existingUsers(q: Queryable, ids: number[]): Promise<Set<number>> {
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await q.query<{ ID: number }[]>(
        `SELECT ID FROM \`${this.tables.core.users}\` WHERE ID IN (${chunk.map(() => '?').join(',')})`,
        chunk,
      );
      for (const r of rows) out.add(Number(r.ID));
    }
    return out;
  }

  /** The oldest user with this email (WordPress compares emails case-insensitively), or null. */
  async userByEmail(q: Queryable, email: string): Promise<number | null> {
    const rows = await q.query<{ ID: number }[]>(`SELECT ID FROM \`${this.tables.core.users}\` WHERE user_email = ? ORDER BY ID LIMIT 1`, [
      email,
    ]);
    return rows[0] ? Number(rows[0].ID) : null;
  }

  /** Locks and tells whether an `enrolled` log row for this user, course and transaction exists. */
  async lockEnrolmentLog(q: Queryable, userId: number, courseId: number, transactionId: string | null): Promise<boolean> {
    const rows = await q.query<unknown[]>(
      `SELECT id FROM \`${this.tables.slbp.enrollment_logs}\` WHERE user_id = ? AND course_id = ? AND action = 'enrolled' AND transaction_id <=> ? LIMIT 1 FOR UPDATE`,
      [userId, courseId, transactionId],
    );
    return rows.length > 0;
  }

  async insertEnrolmentLog(
    q: Queryable,
    e: { userId: number; courseId: number; transactionId: string | null; lms: string; notes: string; createdAt: string | null },
  ): Promise<void> {
    await q.query(
      `INSERT INTO \`${this.tables.slbp.enrollment_logs}\` (user_id, course_id, action, status, transaction_id, lms, notes, created_at)
       VALUES (?, ?, 'enrolled', 'success', ?, ?, ?, COALESCE(?, UTC_TIMESTAMP()))`,
      [e.userId, e.courseId, e.transactionId, e.lms, e.notes, e.createdAt],
    );
  }

  /** The import's own progress/summary row (`_slbp_plugin_import_{task}`), never autoloaded. */
  async saveProgress(q: Queryable, taskId: number, json: string): Promise<void> {
    await q.query(
      `INSERT INTO \`${this.tables.core.options}\` (option_name, option_value, autoload) VALUES (?, ?, 'no') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [`_slbp_plugin_import_${taskId}`, json],
    );
  }

  async loadProgress(q: Queryable, taskId: number): Promise<string | null> {
    return (await this.optionValues(q, [`_slbp_plugin_import_${taskId}`])).get(`_slbp_plugin_import_${taskId}`) ?? null;
  }
}
