import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';
import { Where } from './read-models/where.ts';

export interface NotificationRow {
  id: number | string;
  user_id: number | string;
  type: string;
  title: string;
  message: string;
  data: string | null;
  is_read: number;
  created_at: string | null;
}

export interface NotificationFilter {
  userId: number;
  isRead?: boolean;
  type?: string;
}

const COLUMNS = 'id, user_id, type, title, message, data, is_read, created_at';

/** A notification as jobs and gateway events write it. */
export interface NoticeWrite {
  userId: number;
  type: string;
  title: string;
  message: string;
  data?: Record<string, unknown> | null;
}

/** `{prefix}slbp_notifications`: the user's list, marking rows read, and the notices jobs and events add. */
export class NotificationsRepository {
  constructor(private readonly tables: Tables) {}

  private get t(): string {
    return `\`${this.tables.slbp.notifications}\``;
  }

  private where(f: NotificationFilter): Where {
    return new Where()
      .add('user_id = ?', [f.userId])
      .add('is_read = ?', [f.isRead ? 1 : 0], f.isRead !== undefined)
      .add('type = ?', [f.type], f.type !== undefined);
  }

  async list(q: Queryable, f: NotificationFilter, limit: number, offset: number): Promise<NotificationRow[]> {
    const where = this.where(f);
    return q.query(`SELECT ${COLUMNS} FROM ${this.t} ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, [
      ...where.params,
      limit,
      offset,
    ]);
  }

  async count(q: Queryable, f: NotificationFilter): Promise<number> {
    const where = this.where(f);
    const [row] = await q.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${this.t} ${where.sql}`, where.params);
    return Number(row?.n ?? 0);
  }

  async findById(q: Queryable, id: number): Promise<NotificationRow | null> {
    const rows = await q.query<NotificationRow[]>(`SELECT ${COLUMNS} FROM ${this.t} WHERE id = ?`, [id]);
    return rows[0] ?? null;
  }

  async markRead(q: Queryable, id: number, userId: number): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(`UPDATE ${this.t} SET is_read = 1 WHERE id = ? AND user_id = ?`, [id, userId]);
    return res.affectedRows > 0;
  }

  async insert(q: Queryable, n: NoticeWrite): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO \`${this.tables.slbp.notifications}\` (user_id, type, title, message, data, is_read, created_at) VALUES (?, ?, ?, ?, ?, 0, UTC_TIMESTAMP())`,
      [n.userId, n.type.slice(0, 50), n.title.slice(0, 255), n.message, n.data ? JSON.stringify(n.data) : null],
    );
    return Number(res.insertId);
  }
}
