import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';
import { orderBy, Where, type SortOrder } from './read-models/where.ts';

export interface SubscriptionRow {
  id: number | string;
  user_id: number | string;
  subscription_id: string;
  payment_gateway: string;
  plan_id: string;
  status: string;
  amount: string;
  currency: string;
  billing_cycle: string;
  next_billing_date: string | null;
  expires_at: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface SubscriptionFilter {
  userId?: number;
  statuses?: string[];
  gateway?: string;
  planId?: string;
  currency?: string;
  /** Exact gateway subscription id. */
  search?: string;
  /** created_at bounds (UTC, exclusive). */
  after?: string;
  before?: string;
}

export interface SubscriptionWindow {
  orderby: 'created_at' | 'amount' | 'id' | 'next_billing_date';
  order: SortOrder;
  limit: number;
  offset: number;
}

const COLUMNS =
  'id, user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at';

/** Reads `{prefix}slbp_subscriptions` and writes status changes (cancel/resume). */
export class SubscriptionsRepository {
  constructor(private readonly tables: Tables) {}

  private get t(): string {
    return `\`${this.tables.slbp.subscriptions}\``;
  }

  private where(f: SubscriptionFilter): Where {
    return new Where()
      .add('user_id = ?', [f.userId], f.userId !== undefined)
      .in('status', f.statuses)
      .add('payment_gateway = ?', [f.gateway], f.gateway !== undefined)
      .add('plan_id = ?', [f.planId], f.planId !== undefined)
      .add('currency = ?', [f.currency], f.currency !== undefined)
      .add('subscription_id = ?', [f.search], f.search !== undefined)
      .add('created_at > ?', [f.after], f.after !== undefined)
      .add('created_at < ?', [f.before], f.before !== undefined);
  }

  async list(q: Queryable, f: SubscriptionFilter, w: SubscriptionWindow): Promise<SubscriptionRow[]> {
    const where = this.where(f);
    return q.query(`SELECT ${COLUMNS} FROM ${this.t} ${where.sql} ${orderBy(w.orderby, w.order)} LIMIT ? OFFSET ?`, [
      ...where.params,
      w.limit,
      w.offset,
    ]);
  }

  async count(q: Queryable, f: SubscriptionFilter): Promise<number> {
    const where = this.where(f);
    const [row] = await q.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${this.t} ${where.sql}`, where.params);
    return Number(row?.n ?? 0);
  }

  async findById(q: Queryable, id: number): Promise<SubscriptionRow | null> {
    const rows = await q.query<SubscriptionRow[]>(`SELECT ${COLUMNS} FROM ${this.t} WHERE id = ?`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Moves a row to `status` only if it is still in one of `from` (compare-and-set), so two
   * concurrent cancels cannot both succeed. Resolves to whether the row changed.
   */
  async transition(q: Queryable, id: number, from: string[], to: { status: string; expiresAt: string | null }): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE ${this.t} SET status = ?, expires_at = ?, updated_at = UTC_TIMESTAMP() WHERE id = ? AND status IN (${from.map(() => '?').join(',')})`,
      [to.status, to.expiresAt, id, ...from],
    );
    return res.affectedRows > 0;
  }

  /** Count of the given statuses and the earliest future billing date among them. */
  async activeSummary(q: Queryable, userId: number, statuses: string[]): Promise<{ n: number; next: string | null }> {
    const rows = await q.query<{ n: number | string; next: string | null }[]>(
      `SELECT COUNT(*) AS n, MIN(CASE WHEN next_billing_date >= UTC_TIMESTAMP() THEN next_billing_date END) AS next
       FROM ${this.t} WHERE user_id = ? AND status IN (${statuses.map(() => '?').join(',')})`,
      [userId, ...statuses],
    );
    return { n: Number(rows[0]?.n ?? 0), next: rows[0]?.next ?? null };
  }
}
