import { cacheKeys, cacheTags } from '../../cache/keys.ts';
import { mrrFromSums, type RevenueReadModel } from '../../data/read-models/revenue-read-model.ts';
import type { Queryable } from '../../data/database.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { SubscriptionStatsReadModel } from '../../data/read-models/subscription-stats-read-model.ts';
import { ReportPlans, type WindowQuery } from './analytics-window.ts';
import type { BillingReads } from './billing-reads.ts';
import { SiteCalendar } from './site-calendar.ts';
import { centsOf, dbFromDate, isoFromDate, moneyFromCents } from './values.ts';
import { queryDigest, type Viewer } from './viewer.ts';

/** The fields both analytics answers start with: the period asked for and the window it covers. */
function windowFields(period: string, w: { from: Date; to: Date; size: string }, zone: string) {
  return { period, from: isoFromDate(w.from), to: isoFromDate(w.to), group_by: w.size, timezone: zone };
}

interface Cents {
  gross: number;
  refunds: number;
  n: number;
}
type Money = number | Record<string, number>;

/** [from, to) cut into `n` consecutive slices on whole seconds. */
function timeSlices(from: Date, to: Date, n: number): [Date, Date][] {
  const step = Math.ceil((to.getTime() - from.getTime()) / n / 1000) * 1000;
  const out: [Date, Date][] = [];
  for (let t = from.getTime(); t < to.getTime(); t += step) out.push([new Date(t), new Date(Math.min(t + step, to.getTime()))]);
  return out;
}

/**
 * Revenue and subscription analytics, aggregated by MariaDB over the local-calendar buckets of
 * the site's time zone, cached with a TTL under the `analytics` tag (dropped by any billing change).
 * Without a `currency` filter every amount is an object keyed by currency: sums are never mixed.
 */
export class AnalyticsService {
  private calendar: SiteCalendar | null = null;
  private readonly plans = new ReportPlans();

  constructor(
    private readonly reads: BillingReads,
    private readonly revenue: RevenueReadModel,
    private readonly subs: SubscriptionStatsReadModel,
    private readonly timeZone: () => string,
    private readonly ttlSec: number,
    /** Revenue and subscription figures come from every billing database (the groups and sums add up). */
    private readonly db: DatabaseRouter,
  ) {}

  private cal(): SiteCalendar {
    const zone = this.timeZone();
    if (this.calendar?.zone !== zone) this.calendar = new SiteCalendar(zone);
    return this.calendar;
  }

  revenueReport(v: Viewer, q: WindowQuery & { currency?: string }) {
    const cal = this.cal();
    const { w, key } = this.plans.plan(cal, 'revenue', q, (w) =>
      cacheKeys.analytics(
        'revenue',
        queryDigest({ zone: cal.zone, from: w.from.getTime(), to: w.to.getTime(), size: w.size, currency: q.currency ?? null }),
      ),
    );
    return this.reads.read(
      v,
      key,
      [cacheTags.analytics],
      async (caller) => {
        const from = dbFromDate(w.from);
        const to = dbFromDate(w.to);
        const segments = cal.segments(w.from, w.to);
        // A long window is scanned as a few time slices on separate connections: MariaDB runs each
        // query on one core, so a cold 12-month report finishes sooner; the day groups add up exactly.
        const slices = timeSlices(w.from, w.to, w.to.getTime() - w.from.getTime() > 92 * 86_400_000 ? 4 : 1);
        const billing = this.db.allForRead(caller);
        const [parts, sums, ended] = await Promise.all([
          Promise.all(
            billing.flatMap((tx) =>
              slices.map(([a, b]) =>
                this.revenue.revenueByDay(tx, { from: dbFromDate(a), to: dbFromDate(b), currency: q.currency, segments }),
              ),
            ),
          ),
          Promise.all(billing.map((b) => this.revenue.mrrSums(b, q.currency))),
          Promise.all(billing.map((b) => this.revenue.churned(b, from, to, q.currency))),
        ]);
        const mrr = mrrFromSums(sums.flat());
        const churned = ended.reduce((n, c) => n + c, 0);
        const rows = parts.flat();
        const byBucket = new Map<string, Map<string, Cents>>();
        const totals = new Map<string, Cents>();
        const add = (m: Map<string, Cents>, currency: string, c: Cents) => {
          const t = m.get(currency) ?? { gross: 0, refunds: 0, n: 0 };
          m.set(currency, { gross: t.gross + c.gross, refunds: t.refunds + c.refunds, n: t.n + c.n });
        };
        for (const r of rows) {
          const c: Cents = { gross: centsOf(r.gross), refunds: centsOf(r.refunds), n: Number(r.n) };
          const bucket = SiteCalendar.bucketOfDay(Number(r.day), w.size);
          if (!byBucket.has(bucket)) byBucket.set(bucket, new Map());
          add(byBucket.get(bucket)!, r.currency, c);
          add(totals, r.currency, c);
        }
        const shape = (m: Map<string, Cents> | undefined) => this.money(m ?? new Map(), q.currency);
        const active = mrr.reduce((n, r) => n + Number(r.active), 0);
        const perCurrency = (pick: (r: (typeof mrr)[number]) => string): Money =>
          q.currency
            ? moneyFromCents(centsOf(mrr[0] ? pick(mrr[0]) : '0'))
            : Object.fromEntries(mrr.map((r) => [r.currency, moneyFromCents(centsOf(pick(r)))]));
        return {
          ...windowFields(q.period, w, cal.zone),
          currency: q.currency ?? null,
          totals: shape(totals),
          series: cal.bucketLabels(w.from, w.to, w.size).map((date) => ({ date, ...shape(byBucket.get(date)) })),
          mrr: perCurrency((r) => r.mrr),
          arr: perCurrency((r) => r.arr),
          active_subscriptions: active,
          // Ended in the period over those active now plus those that ended (no history table exists).
          churn_rate: active + churned ? Math.round((churned / (active + churned)) * 10_000) / 10_000 : 0,
        };
      },
      this.ttlSec,
    );
  }

  private money(m: Map<string, Cents>, currency?: string): { gross: Money; refunds: Money; net: Money; transactions: number } {
    const n = [...m.values()].reduce((s, c) => s + c.n, 0);
    if (currency) {
      const c = m.get(currency) ?? { gross: 0, refunds: 0, n: 0 };
      return {
        gross: moneyFromCents(c.gross),
        refunds: moneyFromCents(c.refunds),
        net: moneyFromCents(c.gross - c.refunds),
        transactions: n,
      };
    }
    const each = (f: (c: Cents) => number) =>
      Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([cur, c]) => [cur, moneyFromCents(f(c))]));
    return { gross: each((c) => c.gross), refunds: each((c) => c.refunds), net: each((c) => c.gross - c.refunds), transactions: n };
  }

  subscriptionReport(v: Viewer, q: WindowQuery) {
    const cal = this.cal();
    const { w, key } = this.plans.plan(cal, 'subscriptions', q, (w) =>
      cacheKeys.analytics('subscriptions', queryDigest({ zone: cal.zone, from: w.from.getTime(), to: w.to.getTime(), size: w.size })),
    );
    return this.reads.read(
      v,
      key,
      [cacheTags.analytics],
      async (caller) => {
        const from = dbFromDate(w.from);
        const to = dbFromDate(w.to);
        const segments = cal.segments(w.from, w.to);
        // Counts from every shard simply add up (the folds below sum rows with the same key).
        const billing = this.db.allForRead(caller);
        const each = <R>(f: (b: Queryable) => Promise<R[]>) => Promise.all(billing.map(f)).then((p) => p.flat());
        const [groups, created, churned] = await Promise.all([
          each((b) => this.subs.groupCounts(b)),
          each((b) => this.subs.createdByDay(b, from, to, segments)),
          each((b) => this.subs.churnedByDay(b, from, to, segments)),
        ]);
        const count = (pick: (g: (typeof groups)[number]) => string) => {
          const out: Record<string, number> = {};
          for (const g of groups) out[pick(g)] = (out[pick(g)] ?? 0) + Number(g.n);
          return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
        };
        const fold = (rows: { day: number | string; n: number | string }[]) => {
          const out = new Map<string, number>();
          for (const r of rows) {
            const b = SiteCalendar.bucketOfDay(Number(r.day), w.size);
            out.set(b, (out.get(b) ?? 0) + Number(r.n));
          }
          return out;
        };
        const newBy = fold(created);
        const churnBy = fold(churned);
        return {
          ...windowFields(q.period, w, cal.zone),
          total: groups.reduce((n, g) => n + Number(g.n), 0),
          by_status: count((g) => g.status),
          by_plan: count((g) => g.plan_id),
          by_gateway: count((g) => g.payment_gateway),
          series: cal
            .bucketLabels(w.from, w.to, w.size)
            .map((date) => ({ date, new: newBy.get(date) ?? 0, churned: churnBy.get(date) ?? 0 })),
        };
      },
      this.ttlSec,
    );
  }
}
