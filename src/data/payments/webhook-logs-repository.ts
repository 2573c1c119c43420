import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

/** `webhook_id` of incoming gateway deliveries; outgoing attempts carry their webhook's id. */
export const INCOMING_WEBHOOK_ID = 0;

export interface WebhookLogEntry {
  webhookId: number;
  event: string;
  payload: string;
  responseCode: number | null;
  responseBody: string | null;
  status: string;
  attempts?: number;
}

export interface WebhookLogRow {
  id: number;
  webhook_id: number;
  event: string;
  payload: string;
  response_code: number | null;
  response_body: string | null;
  status: string;
  attempts: number;
  created_at: string;
}

/** `{prefix}slbp_webhook_logs`: every incoming delivery and every outgoing attempt. */
export class WebhookLogsRepository {
  constructor(private readonly tables: Tables) {}

  async insert(q: Queryable, e: WebhookLogEntry): Promise<void> {
    await q.query(
      `INSERT INTO \`${this.tables.slbp.webhook_logs}\` (webhook_id, event, payload, response_code, response_body, status, attempts, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())`,
      [e.webhookId, e.event.slice(0, 50), e.payload, e.responseCode, e.responseBody?.slice(0, 65_000) ?? null, e.status, e.attempts ?? 1],
    );
  }

  async list(q: Queryable, filter: { webhookId?: number; event?: string } = {}): Promise<WebhookLogRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.webhookId !== undefined) {
      where.push('webhook_id = ?');
      args.push(filter.webhookId);
    }
    if (filter.event) {
      where.push('event = ?');
      args.push(filter.event);
    }
    return q.query(
      `SELECT * FROM \`${this.tables.slbp.webhook_logs}\` ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
      args,
    );
  }

  /** One page of log rows, newest first, without their payloads, and how many rows match. */
  async page(
    q: Queryable,
    filter: { webhookId?: number; event?: string; status?: string },
    limit: number,
    offset: number,
  ): Promise<{ rows: Omit<WebhookLogRow, 'payload'>[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.webhookId !== undefined) {
      where.push('webhook_id = ?');
      args.push(filter.webhookId);
    }
    if (filter.event) {
      where.push('event = ?');
      args.push(filter.event);
    }
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const sql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const t = `\`${this.tables.slbp.webhook_logs}\``;
    const [rows, count] = await Promise.all([
      q.query<Omit<WebhookLogRow, 'payload'>[]>(
        `SELECT id, webhook_id, event, response_code, response_body, status, attempts, created_at FROM ${t} ${sql} ORDER BY id DESC LIMIT ? OFFSET ?`,
        [...args, limit, offset],
      ),
      q.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${t} ${sql}`, args),
    ]);
    return { rows, total: Number(count[0]?.n ?? 0) };
  }

  async findById(q: Queryable, id: number): Promise<WebhookLogRow | null> {
    const rows = await q.query<WebhookLogRow[]>(`SELECT * FROM \`${this.tables.slbp.webhook_logs}\` WHERE id = ?`, [id]);
    return rows[0] ?? null;
  }

  async deleteOlderThan(q: Queryable, days: number): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(
      `DELETE FROM \`${this.tables.slbp.webhook_logs}\` WHERE created_at < UTC_TIMESTAMP() - INTERVAL ? DAY`,
      [days],
    );
    return res.affectedRows;
  }
}
