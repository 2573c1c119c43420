import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { localBucketSql, type BucketSize, type OffsetSegment } from './local-buckets.ts';

export interface GroupCountRow { status: string; plan_id: string; payment_gateway: string; n: number | string }
export interface BucketCountRow { bucket: string; n: number | string }

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

  /** New subscriptions per local bucket of created_at. */
  async created(q: Queryable, from: string, to: string, segments: OffsetSegment[], size: BucketSize): Promise<BucketCountRow[]> {
    const b = localBucketSql('created_at', segments, size);
    return q.query(
      `SELECT bucket, COUNT(*) AS n FROM (SELECT ${b.sql} AS bucket FROM ${this.t} WHERE created_at >= ? AND created_at < ?) x GROUP BY bucket ORDER BY bucket`,
      [...b.params, from, to],
    );
  }

  /** Ended subscriptions (cancelled, expired) per local bucket of their last change. */
  async churned(q: Queryable, from: string, to: string, segments: OffsetSegment[], size: BucketSize): Promise<BucketCountRow[]> {
    const b = localBucketSql('updated_at', segments, size);
    return q.query(
      `SELECT bucket, COUNT(*) AS n FROM (SELECT ${b.sql} AS bucket FROM ${this.t} WHERE status IN ('cancelled', 'expired') AND updated_at >= ? AND updated_at < ?) x GROUP BY bucket ORDER BY bucket`,
      [...b.params, from, to],
    );
  }
}
