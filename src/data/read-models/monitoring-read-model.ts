import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface BusinessCounts {
  transactions_24h: number;
  active_subscriptions: number;
  failed_transactions_1h: number;
  failed_api_requests_1h: number;
  security_events_24h: number;
  queue_pending: number;
  queue_failed: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** The counts behind the slbp_business_*, slbp_security_* and queue gauges, in one round trip. */
export async function businessCounts(q: Queryable, t: Tables): Promise<BusinessCounts> {
  const s = t.slbp;
  const rows = await q.query<Record<string, unknown>[]>(
    `SELECT
      (SELECT COUNT(*) FROM \`${s.transactions}\` WHERE created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR) AS transactions_24h,
      (SELECT COUNT(*) FROM \`${s.subscriptions}\` WHERE status = 'active') AS active_subscriptions,
      (SELECT COUNT(*) FROM \`${s.transactions}\` WHERE status = 'failed' AND created_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR) AS failed_transactions_1h,
      (SELECT COUNT(*) FROM \`${s.api_logs}\` WHERE response_code IN (401, 403) AND created_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR) AS failed_api_requests_1h,
      (SELECT COUNT(*) FROM \`${s.api_logs}\` WHERE response_code IN (401, 403, 429) AND created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR)
        + (SELECT COUNT(*) FROM \`${s.webhook_logs}\` WHERE response_code = 401 AND created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR) AS security_events_24h,
      (SELECT COUNT(*) FROM \`${s.background_tasks}\` WHERE status = 'pending') AS queue_pending,
      (SELECT COUNT(*) FROM \`${s.background_tasks}\` WHERE status = 'failed') AS queue_failed`,
  );
  const r = rows[0] ?? {};
  return {
    transactions_24h: num(r.transactions_24h),
    active_subscriptions: num(r.active_subscriptions),
    failed_transactions_1h: num(r.failed_transactions_1h),
    failed_api_requests_1h: num(r.failed_api_requests_1h),
    security_events_24h: num(r.security_events_24h),
    queue_pending: num(r.queue_pending),
    queue_failed: num(r.queue_failed),
  };
}

/** The counts of `businessCounts` that read billing tables, for one billing shard. */
export type BillingCounts = Pick<BusinessCounts, 'transactions_24h' | 'active_subscriptions' | 'failed_transactions_1h'>;

export async function billingCounts(q: Queryable, t: Tables): Promise<BillingCounts> {
  const s = t.slbp;
  const rows = await q.query<Record<string, unknown>[]>(
    `SELECT
      (SELECT COUNT(*) FROM \`${s.transactions}\` WHERE created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR) AS transactions_24h,
      (SELECT COUNT(*) FROM \`${s.subscriptions}\` WHERE status = 'active') AS active_subscriptions,
      (SELECT COUNT(*) FROM \`${s.transactions}\` WHERE status = 'failed' AND created_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR) AS failed_transactions_1h`,
  );
  const r = rows[0] ?? {};
  return { transactions_24h: num(r.transactions_24h), active_subscriptions: num(r.active_subscriptions), failed_transactions_1h: num(r.failed_transactions_1h) };
}

/** Size of the WordPress database (data + indexes) in bytes. */
export async function databaseSizeBytes(q: Queryable): Promise<number> {
  const rows = await q.query<{ bytes: string | number | null }[]>(
    'SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = DATABASE()',
  );
  return num(rows[0]?.bytes);
}

/**
 * Live connections to this database, as MariaDB sees them (every node's pools, WordPress
 * itself, admin sessions), not this process's pool: the plugin's value was always 0.
 */
export async function liveConnections(q: Queryable): Promise<number> {
  const rows = await q.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE()');
  return num(rows[0]?.n);
}
