import type { Queryable } from './database.ts';
import type { PluginTable, Tables } from './tables.ts';

/** The groups of one user's rows that WordPress's personal data exporter lists. */
export const EXPORT_GROUPS = ['transactions', 'subscriptions', 'enrolments', 'notifications', 'api_keys'] as const;
export type ExportGroup = (typeof EXPORT_GROUPS)[number];

/** Which table holds each group, its columns (never an API key's hash) and whether it lives on the user's billing database. */
const GROUPS: Record<ExportGroup, { table: PluginTable; columns: string; billing: boolean }> = {
  transactions: {
    table: 'transactions',
    columns: 'id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at',
    billing: true,
  },
  subscriptions: {
    table: 'subscriptions',
    columns:
      'id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at',
    billing: true,
  },
  enrolments: { table: 'enrollment_logs', columns: 'id, course_id, action, status, transaction_id, lms, notes, created_at', billing: true },
  notifications: { table: 'notifications', columns: 'id, type, title, message, is_read, created_at', billing: false },
  api_keys: {
    table: 'api_keys',
    columns: 'id, name, api_key, permissions, rate_limit, is_active, last_used_at, expires_at, created_at',
    billing: false,
  },
};

export const isBillingGroup = (g: ExportGroup) => GROUPS[g].billing;

export interface TaskRefRow {
  id: number | string;
  task_type: string;
  task_data: string;
  status: string;
}
export interface LogRow {
  id: number | string;
  payload: string;
}

/**
 * One user's rows across the plugin's tables, for WordPress's personal data exporter and eraser
 * (docs/decisions/0021-store-owner-pages.md). Billing tables are read and written on the user's
 * billing database, the others on the main one; the caller chooses the connection.
 */
export class PersonalDataRepository {
  constructor(private readonly tables: Tables) {}

  private t(table: PluginTable): string {
    return `\`${this.tables.slbp[table]}\``;
  }

  async count(q: Queryable, group: ExportGroup, userId: number): Promise<number> {
    const rows = await q.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${this.t(GROUPS[group].table)} WHERE user_id = ?`, [
      userId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async rows(q: Queryable, group: ExportGroup, userId: number, limit: number, offset: number): Promise<Record<string, unknown>[]> {
    const g = GROUPS[group];
    return q.query(`SELECT ${g.columns} FROM ${this.t(g.table)} WHERE user_id = ? ORDER BY id LIMIT ? OFFSET ?`, [userId, limit, offset]);
  }

  /** Id and metadata of the user's transactions, locked for the erasure's transaction. */
  async lockTransactions(q: Queryable, userId: number): Promise<{ id: number | string; metadata: string | null }[]> {
    return q.query(`SELECT id, metadata FROM ${this.t('transactions')} WHERE user_id = ? ORDER BY id FOR UPDATE`, [userId]);
  }

  /** Detaches one transaction from its buyer; amount, currency, status and both dates stay as they are. */
  async anonymiseTransaction(q: Queryable, id: number | string, metadata: string | null): Promise<void> {
    await q.query(`UPDATE ${this.t('transactions')} SET user_id = 0, metadata = ?, updated_at = updated_at WHERE id = ?`, [metadata, id]);
  }

  /** Statuses of the user's subscriptions, for the eraser's messages. */
  async subscriptionStatuses(q: Queryable, userId: number): Promise<{ status: string; n: number | string }[]> {
    return q.query(`SELECT status, COUNT(*) AS n FROM ${this.t('subscriptions')} WHERE user_id = ? GROUP BY status`, [userId]);
  }

  /** Detaches the user's subscriptions; the gateway id, plan, amounts, statuses and dates stay. */
  async anonymiseSubscriptions(q: Queryable, userId: number): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE ${this.t('subscriptions')} SET user_id = 0, updated_at = updated_at WHERE user_id = ?`,
      [userId],
    );
    return res.affectedRows;
  }

  /** Deletes the user's rows of a table that holds nothing accounting needs. */
  async deleteOwned(q: Queryable, table: 'enrollment_logs' | 'notifications' | 'api_keys', userId: number): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(`DELETE FROM ${this.t(table)} WHERE user_id = ?`, [userId]);
    return res.affectedRows;
  }

  /** Request log rows of the user or made with one of their keys (addresses, user agents). */
  async deleteApiLogs(q: Queryable, userId: number): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM ${this.t('api_logs')} WHERE user_id = ? OR api_key_id IN (SELECT id FROM ${this.t('api_keys')} WHERE user_id = ?)`,
      [userId, userId],
    );
    return res.affectedRows;
  }

  /** Refresh tokens kept in the database (`slbp_session_handler` = database): each holds the user id and the address it was issued to. */
  async deleteRefreshTokens(q: Queryable, userId: number): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM ${this.t('sessions')} WHERE JSON_VALID(session_data) AND JSON_VALUE(session_data, '$.user_id') = ?`,
      [String(userId)],
    );
    return res.affectedRows;
  }

  /** Queued or finished tasks naming the user (`user_id`, or one of `user_ids`); a plain read, so the queue worker is not held up. */
  async tasksNaming(q: Queryable, userId: number): Promise<TaskRefRow[]> {
    return q.query(
      `SELECT id, task_type, task_data, status FROM ${this.t('background_tasks')}
       WHERE JSON_VALID(task_data) AND (JSON_VALUE(task_data, '$.user_id') = ? OR JSON_CONTAINS(JSON_EXTRACT(task_data, '$.user_ids'), ?))`,
      [String(userId), String(userId)],
    );
  }

  async deleteTask(q: Queryable, id: number | string): Promise<void> {
    await q.query(`DELETE FROM ${this.t('background_tasks')} WHERE id = ?`, [id]);
  }

  async rewriteTask(q: Queryable, id: number | string, data: string): Promise<void> {
    await q.query(`UPDATE ${this.t('background_tasks')} SET task_data = ? WHERE id = ?`, [data, id]);
  }

  /**
   * Webhook log rows (incoming deliveries and outgoing attempts) that name the person: their
   * email anywhere in the payload, or their user id where the gateway and the sidecar put it.
   * A full scan of the log, which erasure requests are rare enough to afford; a plain read, not a
   * locking one, so incoming webhooks are never held up by it (log rows are only ever inserted).
   */
  async webhookLogsNaming(q: Queryable, email: string | null, userId: number | null): Promise<LogRow[]> {
    const conds: string[] = [];
    const args: unknown[] = [];
    if (email) {
      conds.push('payload LIKE ?');
      args.push(`%${email.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (userId !== null) {
      conds.push(
        `(JSON_VALID(payload) AND (JSON_VALUE(payload, '$.meta.custom_data.user_id') = ? OR JSON_VALUE(payload, '$.data.user_id') = ? OR JSON_VALUE(payload, '$.data.userId') = ?))`,
      );
      args.push(String(userId), String(userId), String(userId));
    }
    if (!conds.length) return [];
    return q.query(`SELECT id, payload FROM ${this.t('webhook_logs')} WHERE ${conds.join(' OR ')}`, args);
  }

  async rewriteWebhookLog(q: Queryable, id: number | string, payload: string): Promise<void> {
    await q.query(`UPDATE ${this.t('webhook_logs')} SET payload = ? WHERE id = ?`, [payload, id]);
  }
}
