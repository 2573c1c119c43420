import type { Database, Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface TaskRow {
  id: number;
  task_type: string;
  task_data: string;
  priority: number;
  status: string;
  retry_count: number;
  scheduled_at: string;
  started_at: string | null;
  completed_at: string | null;
  error_message: string | null;
}

/** `{prefix}slbp_background_tasks`, the job queue shared by every node. */
export class TasksRepository {
  constructor(private readonly tables: Tables) {}

  private get t() {
    return `\`${this.tables.slbp.background_tasks}\``;
  }

  async enqueue(q: Queryable, type: string, data: unknown, opts: { priority?: number; delaySec?: number } = {}): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO ${this.t} (task_type, task_data, priority, status, retry_count, scheduled_at, created_at)
       VALUES (?, ?, ?, 'pending', 0, UTC_TIMESTAMP() + INTERVAL ? SECOND, UTC_TIMESTAMP())`,
      [type, JSON.stringify(data ?? {}), opts.priority ?? 10, opts.delaySec ?? 0],
    );
    return Number(res.insertId);
  }

  /**
   * Claims up to `limit` due tasks of the given types, lowest priority first. `FOR UPDATE SKIP
   * LOCKED` lets every node claim at once without waiting on or double-claiming a row another
   * node is taking; the status change commits before any task runs. Tasks of other types (the
   * plugin's own `billing_run`, `email_campaign`, ...) are never touched.
   */
  async claim(db: Database, limit: number, types: string[]): Promise<TaskRow[]> {
    if (!types.length) return [];
    return db.transaction(async (q) => {
      const rows = await q.query<TaskRow[]>(
        `SELECT * FROM ${this.t} WHERE status = 'pending' AND scheduled_at <= UTC_TIMESTAMP() AND task_type IN (${types.map(() => '?').join(',')})
         ORDER BY priority, scheduled_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
        [...types, limit],
      );
      if (!rows.length) return [];
      await q.query(
        `UPDATE ${this.t} SET status = 'processing', started_at = UTC_TIMESTAMP() WHERE id IN (${rows.map(() => '?').join(',')})`,
        rows.map((r) => r.id),
      );
      return rows.map((r) => ({ ...r, status: 'processing' }));
    });
  }

  async complete(q: Queryable, id: number): Promise<void> {
    await q.query(
      `UPDATE ${this.t} SET status = 'completed', completed_at = UTC_TIMESTAMP(), error_message = NULL WHERE id = ? AND status = 'processing'`,
      [id],
    );
  }

  /** Records a failed attempt: back to `pending` after `delaySec`, or `failed` when no attempt is left. */
  async fail(q: Queryable, id: number, message: string, retry: { delaySec: number } | null): Promise<void> {
    if (retry) {
      await q.query(
        `UPDATE ${this.t} SET status = 'pending', retry_count = retry_count + 1, error_message = ?, started_at = NULL,
        scheduled_at = UTC_TIMESTAMP() + INTERVAL ? SECOND WHERE id = ? AND status = 'processing'`,
        [message.slice(0, 60_000), retry.delaySec, id],
      );
    } else {
      await q.query(
        `UPDATE ${this.t} SET status = 'failed', retry_count = retry_count + 1, error_message = ?, completed_at = UTC_TIMESTAMP()
        WHERE id = ? AND status = 'processing'`,
        [message.slice(0, 60_000), id],
      );
    }
  }

  /**
   * Tasks left in `processing` longer than `timeoutSec` (their node died): counted as a failed
   * attempt and made pending again, or failed when they have no attempt left. The candidates are
   * found with a plain read and updated by primary key, so the recovery never locks the rows
   * other nodes are busy completing. Only the given types: the plugin's own tasks are its business.
   */
  async recoverStuck(q: Queryable, timeoutSec: number, maxAttempts: number, types: string[]): Promise<number> {
    if (!types.length) return 0;
    const stale = await q.query<{ id: number }[]>(
      `SELECT id FROM ${this.t} WHERE status = 'processing' AND started_at < UTC_TIMESTAMP() - INTERVAL ? SECOND
         AND task_type IN (${types.map(() => '?').join(',')}) LIMIT 100`,
      [timeoutSec, ...types],
    );
    let recovered = 0;
    for (const { id } of stale) {
      // MariaDB assigns left to right, so status and completed_at see the incremented retry_count.
      const res = await q.query<{ affectedRows: number }>(
        `UPDATE ${this.t} SET retry_count = retry_count + 1, status = IF(retry_count >= ?, 'failed', 'pending'),
           error_message = CONCAT('timed out in processing after ', ?, ' s'), completed_at = IF(status = 'failed', UTC_TIMESTAMP(), NULL), started_at = NULL
         WHERE id = ? AND status = 'processing' AND started_at < UTC_TIMESTAMP() - INTERVAL ? SECOND`,
        [maxAttempts, timeoutSec, id, timeoutSec],
      );
      recovered += res.affectedRows;
    }
    return recovered;
  }

  async get(q: Queryable, id: number): Promise<TaskRow | null> {
    const rows = await q.query<TaskRow[]>(`SELECT * FROM ${this.t} WHERE id = ?`, [id]);
    return rows[0] ?? null;
  }

  /** True when a task of this type is waiting or was created since `sinceSql` (UTC). */
  async hasSince(q: Queryable, type: string, sinceSql: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(
      `SELECT id FROM ${this.t} WHERE task_type = ? AND (status IN ('pending', 'processing') OR created_at >= ?) LIMIT 1`,
      [type, sinceSql],
    );
    return rows.length > 0;
  }

  /** Removes finished tasks older than `days`. */
  async deleteFinishedOlderThan(q: Queryable, days: number): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM ${this.t} WHERE status IN ('completed', 'failed') AND completed_at < UTC_TIMESTAMP() - INTERVAL ? DAY AND task_type <> 'data_export'`,
      [days],
    );
    return res.affectedRows;
  }
}
