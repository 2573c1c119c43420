import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { localDaySql, type OffsetSegment } from './local-buckets.ts';

export interface RevenueWindow {
  from: string;
  to: string;
  currency?: string;
  segments: OffsetSegment[];
}
/** `day` is the local day number (days since 1970-01-01 in the site's zone). */
export interface RevenueDayRow {
  day: number | string;
  currency: string;
  gross: string;
  refunds: string;
  n: number | string;
}
export interface MrrRow {
  currency: string;
  active: number | string;
  mrr: string;
  arr: string;
}
export interface MrrSumRow {
  currency: string;
  active: number | string;
  twelfths: string;
}

/** Exact cents of a DECIMAL(…, 2) string such as `-1234.50`. */
const cents = (v: string): number => {
  const [int = '0', frac = ''] = v.trim().replace(/^-/, '').split('.');
  const n = Number(int) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
  return v.trim().startsWith('-') ? -n : n;
};
const decimal = (c: number): string => `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

/**
 * MRR and ARR per currency (sorted) from the `mrrSums` of one or more databases: the values
 * `ROUND(SUM(x) / 12, 2)` and `ROUND(SUM(x), 2)` give over all rows at once. The sums add up
 * exactly in cents; MRR rounds half away from zero, as MariaDB rounds DECIMAL.
 */
export function mrrFromSums(parts: MrrSumRow[]): MrrRow[] {
  const by = new Map<string, { active: number; twelfths: number }>();
  for (const p of parts) {
    const t = by.get(p.currency) ?? { active: 0, twelfths: 0 };
    by.set(p.currency, { active: t.active + Number(p.active), twelfths: t.twelfths + cents(String(p.twelfths ?? '0')) });
  }
  return [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, t]) => ({
      currency,
      active: t.active,
      mrr: decimal(Math.sign(t.twelfths) * Math.round(Math.abs(t.twelfths) / 12)),
      arr: decimal(t.twelfths),
    }));
}

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
   * Per currency, the active subscriptions and the exact sum of their yearly-normalised amounts:
   * yearly × 1, weekly × 52, quarterly × 4, anything else monthly × 12 (`mrrFromSums` turns the
   * sums of one or more databases into MRR and ARR).
   */
  async mrrSums(q: Queryable, currency?: string): Promise<MrrSumRow[]> {
    const t = `\`${this.tables.slbp.subscriptions}\``;
    const twelfths = `CASE WHEN billing_cycle IN ('yearly', 'annual', 'annually', 'year') THEN amount
      WHEN billing_cycle IN ('weekly', 'week') THEN amount * 52 WHEN billing_cycle IN ('quarterly', 'quarter') THEN amount * 4 ELSE amount * 12 END`;
    return q.query(
      `SELECT currency, COUNT(*) AS active, SUM(${twelfths}) AS twelfths
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
