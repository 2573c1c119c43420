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

/** The counts that read billing tables (on the main database, or on one billing shard). */
const billingColumns = (s: Tables['slbp']) => ({
  transactions_24h: `SELECT COUNT(*) FROM \`${s.transactions}\` WHERE created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR`,
  active_subscriptions: `SELECT COUNT(*) FROM \`${s.subscriptions}\` WHERE status = 'active'`,
  failed_transactions_1h: `SELECT COUNT(*) FROM \`${s.transactions}\` WHERE status = 'failed' AND created_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR`,
});

/** The counts that read the main database's other tables (API and webhook logs, the task queue). */
const siteColumns = (s: Tables['slbp']) => ({
  failed_api_requests_1h: `SELECT COUNT(*) FROM \`${s.api_logs}\` WHERE response_code IN (401, 403) AND created_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR`,
  security_events_24h: `(SELECT COUNT(*) FROM \`${s.api_logs}\` WHERE response_code IN (401, 403, 429) AND created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR)
        + (SELECT COUNT(*) FROM \`${s.webhook_logs}\` WHERE response_code = 401 AND created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR)`,
  queue_pending: `SELECT COUNT(*) FROM \`${s.background_tasks}\` WHERE status = 'pending'`,
  queue_failed: `SELECT COUNT(*) FROM \`${s.background_tasks}\` WHERE status = 'failed'`,
});

/** Runs every count as a subquery of one SELECT (one round trip). */
async function counts<K extends string>(q: Queryable, columns: Record<K, string>): Promise<Record<K, number>> {
  const names = Object.keys(columns) as K[];
  const rows = await q.query<Record<string, unknown>[]>(`SELECT ${names.map((k) => `(${columns[k]}) AS ${k}`).join(',\n      ')}`);
  const r = rows[0] ?? {};
  return Object.fromEntries(names.map((k) => [k, num(r[k])])) as Record<K, number>;
}

/** The counts behind the slbp_business_*, slbp_security_* and queue gauges, in one round trip. */
export function businessCounts(q: Queryable, t: Tables): Promise<BusinessCounts> {
  return counts(q, { ...billingColumns(t.slbp), ...siteColumns(t.slbp) });
}

/** The counts of `businessCounts` that read billing tables, for one billing shard. */
export type BillingCounts = Pick<BusinessCounts, 'transactions_24h' | 'active_subscriptions' | 'failed_transactions_1h'>;

export function billingCounts(q: Queryable, t: Tables): Promise<BillingCounts> {
  return counts(q, billingColumns(t.slbp));
}

/** The counts of `businessCounts` that do not read billing tables (the main database's). */
export function siteCounts(q: Queryable, t: Tables): Promise<Omit<BusinessCounts, keyof BillingCounts>> {
  return counts(q, siteColumns(t.slbp));
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
