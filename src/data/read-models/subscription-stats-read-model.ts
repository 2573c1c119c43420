import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { localDaySql, type OffsetSegment } from './local-buckets.ts';

export interface GroupCountRow {
  status: string;
  plan_id: string;
  payment_gateway: string;
  n: number | string;
}
/** `day` is the local day number (days since 1970-01-01 in the site's zone). */
export interface DayCountRow {
  day: number | string;
  n: number | string;
}

/** Subscription counts for `/analytics/subscriptions`. */
export class SubscriptionStatsReadModel {
  constructor(private readonly tables: Tables) {}

  private get t(): string {
    return `\`${this.tables.slbp.subscriptions}\``;
  }

  /** Counts per (normalised status, plan, gateway); the plugin's `trialing` counts as `on_trial`. */
  async groupCounts(q: Queryable): Promise<GroupCountRow[]> {
    return q.query(
      `SELECT CASE status WHEN 'trialing' THEN 'on_trial' ELSE status END AS status, plan_id, payment_gateway, COUNT(*) AS n
       FROM ${this.t} GROUP BY 1, plan_id, payment_gateway`,
    );
  }

  /** New subscriptions per local day of created_at. */
  async createdByDay(q: Queryable, from: string, to: string, segments: OffsetSegment[]): Promise<DayCountRow[]> {
    const d = localDaySql('created_at', segments);
    return q.query(`SELECT ${d.sql} AS day, COUNT(*) AS n FROM ${this.t} WHERE created_at >= ? AND created_at < ? GROUP BY day`, [
      ...d.params,
      from,
      to,
    ]);
  }

  /** Ended subscriptions (cancelled, expired) per local day of their last change. */
  async churnedByDay(q: Queryable, from: string, to: string, segments: OffsetSegment[]): Promise<DayCountRow[]> {
    const d = localDaySql('updated_at', segments);
    return q.query(
      `SELECT ${d.sql} AS day, COUNT(*) AS n FROM ${this.t} WHERE status IN ('cancelled', 'expired') AND updated_at >= ? AND updated_at < ? GROUP BY day`,
      [...d.params, from, to],
    );
  }
}
