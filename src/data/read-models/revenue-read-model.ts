import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { localBucketSql, type BucketSize, type OffsetSegment } from './local-buckets.ts';

export interface RevenueWindow { from: string; to: string; currency?: string; segments: OffsetSegment[]; size: BucketSize }
export interface RevenueBucketRow { bucket: string; currency: string; gross: string; refunds: string; n: number | string }
export interface MrrRow { currency: string; active: number | string; mrr: string; arr: string }

/** Stored statuses that count as revenue: completed (and the old `paid`) plus refunded. */
export const REVENUE_STATUSES = ['completed', 'paid', 'refunded'];

/**
 * Analytics aggregates, summed by MariaDB in DECIMAL and grouped by currency. The revenue query is
 * served by the `(status, created_at, currency, amount)` index from migration 0001.
 */
export class RevenueReadModel {
  constructor(private readonly tables: Tables) {}

  async revenueBuckets(q: Queryable, w: RevenueWindow): Promise<RevenueBucketRow[]> {
    const bucket = localBucketSql('created_at', w.segments, w.size);
    const params: unknown[] = [...bucket.params, ...REVENUE_STATUSES, w.from, w.to];
    let currency = '';
    if (w.currency) {
      currency = 'AND currency = ?';
      params.push(w.currency);
    }
    return q.query(
      `SELECT bucket, currency, SUM(amount) AS gross, SUM(CASE WHEN status = 'refunded' THEN amount ELSE 0 END) AS refunds, COUNT(*) AS n
       FROM (SELECT ${bucket.sql} AS bucket, currency, amount, status FROM \`${this.tables.slbp.transactions}\`
             WHERE status IN (?, ?, ?) AND created_at >= ? AND created_at < ? ${currency}) x
       GROUP BY bucket, currency ORDER BY bucket, currency`,
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
