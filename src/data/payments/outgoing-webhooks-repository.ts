import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface OutgoingWebhookRow {
  id: number;
  user_id: number;
  name: string;
  url: string;
  events: string;
  secret: string;
  is_active: number;
  failed_attempts: number;
}

/** `{prefix}slbp_webhooks`: the site's outgoing webhook subscriptions. */
export class OutgoingWebhooksRepository {
  constructor(private readonly tables: Tables) {}

  async active(q: Queryable): Promise<OutgoingWebhookRow[]> {
    return q.query(
      `SELECT id, user_id, name, url, events, secret, is_active, failed_attempts FROM \`${this.tables.slbp.webhooks}\` WHERE is_active = 1 ORDER BY id`,
    );
  }

  async get(q: Queryable, id: number): Promise<OutgoingWebhookRow | null> {
    const rows = await q.query<OutgoingWebhookRow[]>(
      `SELECT id, user_id, name, url, events, secret, is_active, failed_attempts FROM \`${this.tables.slbp.webhooks}\` WHERE id = ?`,
      [id],
    );
    return rows[0] ?? null;
  }

  async recordSuccess(q: Queryable, id: number): Promise<void> {
    await q.query(`UPDATE \`${this.tables.slbp.webhooks}\` SET failed_attempts = 0, last_success_at = UTC_TIMESTAMP() WHERE id = ?`, [id]);
  }

  /** Counts one failed delivery; the webhook is switched off when it reaches `disableAfter`. Returns whether it now is. */
  async recordFailure(q: Queryable, id: number, disableAfter: number): Promise<boolean> {
    await q.query(
      `UPDATE \`${this.tables.slbp.webhooks}\` SET failed_attempts = failed_attempts + 1, last_failure_at = UTC_TIMESTAMP(),
         is_active = IF(failed_attempts >= ?, 0, is_active) WHERE id = ?`,
      [disableAfter, id],
    );
    const row = await this.get(q, id);
    return row ? Number(row.is_active) === 0 : true;
  }
}
