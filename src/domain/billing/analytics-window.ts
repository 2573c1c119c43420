import type { BucketSize } from '../../data/read-models/local-buckets.ts';
import { SidecarError } from '../../errors.ts';
import type { SiteCalendar } from './site-calendar.ts';

export const PERIODS = ['7d', '30d', '90d', '12m', 'custom'] as const;
export type Period = (typeof PERIODS)[number];
export interface WindowQuery {
  period: Period;
  dateFrom?: string;
  dateTo?: string;
  groupBy?: BucketSize;
}
export interface AnalyticsWindow {
  from: Date;
  to: Date;
  size: BucketSize;
}

const DAYS: Record<string, number> = { '7d': 7, '30d': 30, '90d': 90 };
const MAX_CUSTOM_DAYS = 3 * 366;

/**
 * The period as whole local days in the site's time zone: `7d` is today and the six days before,
 * `12m` this month and the eleven before, `custom` from `date_from` through `date_to` inclusive.
 */
export function analyticsWindow(cal: SiteCalendar, q: WindowQuery, now = new Date()): AnalyticsWindow {
  const today = cal.localDate(now.getTime());
  let from: Date;
  let to: Date;
  let size: BucketSize;
  if (q.period === 'custom') {
    if (!q.dateFrom || !q.dateTo) {
      const missing = [!q.dateFrom && 'date_from', !q.dateTo && 'date_to'].filter(Boolean) as string[];
      throw new SidecarError('rest_missing_callback_param', `Missing parameter(s): ${missing.join(', ')}`, 400, { params: missing });
    }
    const [fy, fm, fd] = q.dateFrom.split('-').map(Number) as [number, number, number];
    const [ty, tm, td] = q.dateTo.split('-').map(Number) as [number, number, number];
    const days = (Date.UTC(ty, tm - 1, td) - Date.UTC(fy, fm - 1, fd)) / 86_400_000 + 1;
    if (days < 1)
      throw new SidecarError('rest_invalid_param', 'Invalid parameter(s): date_to', 400, {
        params: { date_to: 'must not be before date_from' },
      });
    if (days > MAX_CUSTOM_DAYS)
      throw new SidecarError('rest_invalid_param', 'Invalid parameter(s): date_to', 400, {
        params: { date_to: `the range may span at most ${MAX_CUSTOM_DAYS} days` },
      });
    from = cal.startOfDay(fy, fm, fd);
    to = cal.startOfDay(ty, tm, td + 1);
    size = days <= 62 ? 'day' : days <= 366 ? 'week' : 'month';
  } else if (q.period === '12m') {
    from = cal.startOfDay(today.y, today.m - 11, 1);
    to = cal.startOfDay(today.y, today.m + 1, 1);
    size = 'month';
  } else {
    const n = DAYS[q.period]!;
    from = cal.startOfDay(today.y, today.m, today.d - (n - 1));
    to = cal.startOfDay(today.y, today.m, today.d + 1);
    size = n <= 30 ? 'day' : 'week';
  }
  return { from, to, size: q.groupBy ?? size };
}

/** A report's window and the cache key derived from it. */
export interface ReportPlan {
  w: AnalyticsWindow;
  key: string;
}

/**
 * Report windows and their cache keys, remembered per query until the site's next local
 * midnight: a window depends on the query, the time zone and the local date only, and working it
 * out (calendar arithmetic, a digest) was most of a warm report's own cost. A time-zone change
 * is noticed on the next call. Bounded: custom ranges are many.
 */
export class ReportPlans {
  private readonly plans = new Map<string, ReportPlan & { zone: string; until: number }>();

  constructor(private readonly max = 256) {}

  /** `keyOf` turns the window into the cache key; it runs only when the plan is made. */
  plan(
    cal: SiteCalendar,
    kind: string,
    q: WindowQuery & { currency?: string },
    keyOf: (w: AnalyticsWindow) => string,
    now = Date.now(),
  ): ReportPlan {
    const id = `${kind} ${q.period} ${q.dateFrom ?? ''} ${q.dateTo ?? ''} ${q.groupBy ?? ''} ${q.currency ?? ''}`;
    const known = this.plans.get(id);
    if (known && known.zone === cal.zone && now < known.until) return known;
    const w = analyticsWindow(cal, q, new Date(now));
    const today = cal.localDate(now);
    const plan = { w, key: keyOf(w), zone: cal.zone, until: cal.startOfDay(today.y, today.m, today.d + 1).getTime() };
    if (this.plans.size >= this.max) this.plans.clear();
    this.plans.set(id, plan);
    return plan;
  }
}
