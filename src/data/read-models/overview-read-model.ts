import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { INCOMING_WEBHOOK_ID } from '../payments/webhook-logs-repository.ts';

/** Failed payments since two moments, per currency: counts and DECIMAL sums (as strings). */
export interface FailedPaymentRow {
  currency: string;
  n_short: number | string;
  amount_short: string | null;
  n_long: number | string;
  amount_long: string | null;
}

export interface IncomingWebhookRow {
  id: number | string;
  event: string;
  status: string;
  response_code: number | null;
  created_at: string;
}

/** The store owner's overview figures that no analytics report has: failed payments and the last gateway delivery. */
export class OverviewReadModel {
  constructor(private readonly tables: Tables) {}

  /**
   * Failed transactions created at or after `longSince`, split at `shortSince` (24 h and 7 days),
   * per currency, in one scan of the window (`status` and `created_at` are indexed).
   */
  async failedPayments(q: Queryable, shortSince: string, longSince: string): Promise<FailedPaymentRow[]> {
    return q.query(
      `SELECT currency,
              SUM(created_at >= ?) AS n_short, SUM(IF(created_at >= ?, amount, 0)) AS amount_short,
              COUNT(*) AS n_long, SUM(amount) AS amount_long
       FROM \`${this.tables.slbp.transactions}\` WHERE status = 'failed' AND created_at >= ? GROUP BY currency ORDER BY currency`,
      [shortSince, shortSince, longSince],
    );
  }

  /** The newest logged incoming gateway delivery (webhook id 0), or null. */
  async lastIncomingWebhook(q: Queryable): Promise<IncomingWebhookRow | null> {
    const rows = await q.query<IncomingWebhookRow[]>(
      `SELECT id, event, status, response_code, created_at FROM \`${this.tables.slbp.webhook_logs}\` WHERE webhook_id = ? ORDER BY id DESC LIMIT 1`,
      [INCOMING_WEBHOOK_ID],
    );
    return rows[0] ?? null;
  }
}
