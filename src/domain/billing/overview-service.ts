import { cacheKeys, cacheTags } from '../../cache/keys.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { Queryable } from '../../data/database.ts';
import type { OverviewReadModel } from '../../data/read-models/overview-read-model.ts';
import type { AnalyticsService } from './analytics-service.ts';
import type { BillingReads } from './billing-reads.ts';
import { centsOf, dbFromDate, isoFromDb, moneyFromCents } from './values.ts';
import type { Viewer } from './viewer.ts';

type PerCurrency = Record<string, number>;
interface RevenueBucket {
  date: string;
  gross: PerCurrency;
  refunds: PerCurrency;
  net: PerCurrency;
  transactions: number;
}
interface RevenueReport {
  from: string;
  to: string;
  timezone: string;
  totals: Omit<RevenueBucket, 'date'>;
  series: RevenueBucket[];
  mrr: PerCurrency;
  arr: PerCurrency;
  active_subscriptions: number;
  churn_rate: number;
}

/** The statuses the store owner's page always shows, in its order; others present are added after them. */
export const OVERVIEW_STATES = ['active', 'on_trial', 'past_due', 'paused', 'cancelled', 'expired'] as const;

/** Sums the last `days` day buckets of a daily series, per currency, in integer cents. */
function lastDays(series: RevenueBucket[], days: number) {
  const part = series.slice(-days);
  const sum = (pick: (b: RevenueBucket) => PerCurrency) => {
    const cents = new Map<string, number>();
    for (const b of part) for (const [cur, v] of Object.entries(pick(b))) cents.set(cur, (cents.get(cur) ?? 0) + centsOf(v.toFixed(2)));
    return Object.fromEntries([...cents.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([cur, c]) => [cur, moneyFromCents(c)]));
  };
  const gross = sum((b) => b.gross);
  const refunds = sum((b) => b.refunds);
  const net = Object.fromEntries(
    Object.keys(gross).map((cur) => [cur, moneyFromCents(centsOf(gross[cur]!.toFixed(2)) - centsOf((refunds[cur] ?? 0).toFixed(2)))]),
  );
  return {
    from_date: part[0]?.date ?? null,
    to_date: part.at(-1)?.date ?? null,
    gross,
    refunds,
    net,
    transactions: part.reduce((n, b) => n + b.transactions, 0),
  };
}

/**
 * Everything the store owner's Overview shows, in one answer: revenue today, over 7 and 30 days
 * and per month for 12 months (the same cached reports `/analytics/revenue` serves, so the figures
 * are equal to its), MRR, subscriptions by state, failed payments, the last gateway webhook.
 */
export class OverviewService {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly reads: BillingReads,
    private readonly model: OverviewReadModel,
    private readonly db: DatabaseRouter,
    /** Where the webhook log lives (the main database's reader). */
    private readonly main: () => Queryable,
    private readonly ttlSec: number,
  ) {}

  async overview(v: Viewer, now = new Date()) {
    const [month, year, subs, failed, webhook] = await Promise.all([
      this.analytics.revenueReport(v, { period: '30d', groupBy: 'day' }) as Promise<RevenueReport> | RevenueReport,
      this.analytics.revenueReport(v, { period: '12m', groupBy: 'month' }) as Promise<RevenueReport> | RevenueReport,
      this.analytics.subscriptionReport(v, { period: '30d' }),
      this.failedPayments(v, now),
      this.model.lastIncomingWebhook(this.main()),
    ]);
    const byStatus: Record<string, number> = Object.fromEntries(OVERVIEW_STATES.map((s) => [s, 0]));
    for (const [s, n] of Object.entries(subs.by_status)) byStatus[s] = n;
    const currencies = [...new Set([...Object.keys(year.totals.gross), ...Object.keys(month.mrr)])].sort();
    return {
      generated_at: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timezone: month.timezone,
      currencies,
      revenue: {
        today: lastDays(month.series, 1),
        '7d': lastDays(month.series, 7),
        '30d': { from_date: month.series[0]?.date ?? null, to_date: month.series.at(-1)?.date ?? null, ...month.totals },
      },
      mrr: month.mrr,
      arr: month.arr,
      active_subscriptions: month.active_subscriptions,
      churn_rate: month.churn_rate,
      subscriptions: { total: subs.total, by_status: byStatus },
      failed_payments: failed,
      last_webhook: webhook && {
        id: Number(webhook.id),
        received_at: isoFromDb(webhook.created_at),
        event: webhook.event,
        status: webhook.status,
        response_code: webhook.response_code,
      },
      revenue_12m: {
        from: year.from,
        to: year.to,
        series: year.series.map((b) => ({
          month: b.date.slice(0, 7),
          gross: b.gross,
          refunds: b.refunds,
          net: b.net,
          transactions: b.transactions,
        })),
      },
    };
  }

  /** Failed payments in the last 24 hours and 7 days (rolling), per currency; cached like analytics. */
  private async failedPayments(v: Viewer, now: Date) {
    // Rounded to the minute so the cache key is shared by every request within it.
    const at = Math.floor(now.getTime() / 60_000) * 60_000;
    const short = dbFromDate(new Date(at - 86_400_000));
    const long = dbFromDate(new Date(at - 7 * 86_400_000));
    const rows = await this.reads.read(
      v,
      cacheKeys.analytics('failed-payments', String(at)),
      [cacheTags.analytics],
      async (caller) => {
        return (await Promise.all(this.db.allForRead(caller).map((b) => this.model.failedPayments(b, short, long)))).flat();
      },
      this.ttlSec,
    );
    const window = (n: 'n_short' | 'n_long', amount: 'amount_short' | 'amount_long') => {
      const cents = new Map<string, number>();
      let count = 0;
      for (const r of rows) {
        count += Number(r[n]);
        if (Number(r[n]) > 0) cents.set(r.currency, (cents.get(r.currency) ?? 0) + centsOf(r[amount]));
      }
      return {
        count,
        amount: Object.fromEntries([...cents.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, v]) => [c, moneyFromCents(v)])),
      };
    };
    return {
      '24h': { since: isoFromDb(short), ...window('n_short', 'amount_short') },
      '7d': { since: isoFromDb(long), ...window('n_long', 'amount_long') },
    };
  }
}
