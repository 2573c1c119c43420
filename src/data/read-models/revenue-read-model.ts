import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { localDaySql, type OffsetSegment } from './local-buckets.ts';

export interface RevenueWindow { from: string; to: string; currency?: string; segments: OffsetSegment[] }
/** `day` is the local day number (days since 1970-01-01 in the site's zone). */
export interface RevenueDayRow { day: number | string; currency: string; gross: string; refunds: string; n: number | string }
export interface MrrRow { currency: string; active: number | string; mrr: string; arr: string }

/** Stored statuses that count as revenue: completed (and the old `paid`) plus refunded. */
export const REVENUE_STATUSES = ['completed', 'paid', 'refunded'];

/**
 * Analytics aggregates, summed by MariaDB in DECIMAL and grouped by currency. The revenue query is
 * served by the `(status, created_at, currency, amount)` index from migration 0001.
 */
export class RevenueReadModel {
  constructor(private readonly tables: Tables) {}

  /** Revenue per local day and currency; the caller folds days into weeks or months. */
  async revenueByDay(q: Queryable, w: RevenueWindow): Promise<RevenueDayRow[]> {
    const day = localDaySql('created_at', w.segments);
    const params: unknown[] = [...day.params, ...REVENUE_STATUSES, w.from, w.to];
    let currency = '';
    if (w.currency) {
      currency = 'AND currency = ?';
      params.push(w.currency);
    }
    return q.query(
      `SELECT ${day.sql} AS day, currency, SUM(amount) AS gross, SUM(IF(status = 'refunded', amount, 0)) AS refunds, COUNT(*) AS n
       FROM \`${this.tables.slbp.transactions}\`
       WHERE status IN (?, ?, ?) AND created_at >= ? AND created_at < ? ${currency}
       GROUP BY day, currency`,
      params,
    );
  }

  /**
   * Monthly-normalised amounts of active subscriptions per currency: yearly ÷ 12, weekly × 52 ÷ 12,
   * quarterly ÷ 3, anything else monthly. One exact DECIMAL division per currency, then rounding.
   */
  async mrr(q: Queryable, currency?: string): Promise<MrrRow[]> {
    const t = `\`${this.tables.slbp.subscriptions}\``;
    const twelfths = `CASE WHEN billing_cycle IN ('yearly', 'annual', 'annually', 'year') THEN amount
      WHEN billing_cycle IN ('weekly', 'week') THEN amount * 52 WHEN billing_cycle IN ('quarterly', 'quarter') THEN amount * 4 ELSE amount * 12 END`;
    return q.query(
      `SELECT currency, COUNT(*) AS active, ROUND(SUM(${twelfths}) / 12, 2) AS mrr, ROUND(SUM(${twelfths}), 2) AS arr
       FROM ${t} WHERE status = 'active' ${currency ? 'AND currency = ?' : ''} GROUP BY currency ORDER BY currency`,
      currency ? [currency] : [],
    );
  }

  /** Subscriptions that ended (cancelled or expired) with their last change inside the window. */
  async churned(q: Queryable, from: string, to: string, currency?: string): Promise<number> {
    const [row] = await q.query<{ n: number | string }[]>(
      `SELECT COUNT(*) AS n FROM \`${this.tables.slbp.subscriptions}\` WHERE status IN ('cancelled', 'expired') AND updated_at >= ? AND updated_at < ? ${currency ? 'AND currency = ?' : ''}`,
      currency ? [from, to, currency] : [from, to],
    );
    return Number(row?.n ?? 0);
  }
}
