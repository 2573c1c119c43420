import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface NoticeWrite {
  userId: number;
  type: string;
  title: string;
  message: string;
  data?: Record<string, unknown> | null;
}

/** Inserts rows into `{prefix}slbp_notifications` for jobs (reading and marking read is the billing module's). */
export class NoticesRepository {
  constructor(private readonly tables: Tables) {}

  async insert(q: Queryable, n: NoticeWrite): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO \`${this.tables.slbp.notifications}\` (user_id, type, title, message, data, is_read, created_at) VALUES (?, ?, ?, ?, ?, 0, UTC_TIMESTAMP())`,
      [n.userId, n.type.slice(0, 50), n.title.slice(0, 255), n.message, n.data ? JSON.stringify(n.data) : null],
    );
    return Number(res.insertId);
  }
}
