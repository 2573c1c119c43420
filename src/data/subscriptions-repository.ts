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
  /** Whether the expiry notice was sent; read by the gateway-keyed and expiry reads only. */
  expiry_notified?: number;
}

/** A subscription as a gateway event writes it. */
export interface SubscriptionWrite {
  userId: number;
  subscriptionId: string;
  gateway: string;
  planId: string;
  status: string;
  amount: string;
  currency: string;
  billingCycle: string;
  nextBillingDate: string | null;
  expiresAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
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

/**
 * `{prefix}slbp_subscriptions`: the billing lists and reads, status changes (cancel/resume), the
 * gateway-driven writes keyed by the gateway's subscription id (locking reads take `FOR UPDATE`)
 * and the expiry notices' bookkeeping.
 */
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

  /** The stored subscription of `gateway`, locked until the transaction ends. */
  lockBySubscriptionId(q: Queryable, gateway: string, subscriptionId: string): Promise<SubscriptionRow | null> {
    return this.bySubscriptionId(q, gateway, subscriptionId, ' FOR UPDATE');
  }

  /** A user's subscriptions with `gateway`, oldest first. */
  ofUser(q: Queryable, gateway: string, userId: number): Promise<SubscriptionRow[]> {
    return q.query<SubscriptionRow[]>(`SELECT ${COLUMNS} FROM ${this.t} WHERE user_id = ? AND payment_gateway = ? ORDER BY id`, [
      userId,
      gateway,
    ]);
  }

  /** The stored subscription without a lock (finding which billing database holds it). */
  findBySubscriptionId(q: Queryable, gateway: string, subscriptionId: string): Promise<SubscriptionRow | null> {
    return this.bySubscriptionId(q, gateway, subscriptionId, '');
  }

  private async bySubscriptionId(q: Queryable, gateway: string, subscriptionId: string, lock: string): Promise<SubscriptionRow | null> {
    const rows = await q.query<SubscriptionRow[]>(
      `SELECT ${COLUMNS}, expiry_notified FROM ${this.t} WHERE payment_gateway = ? AND subscription_id = ? ORDER BY id LIMIT 1${lock}`,
      [gateway, subscriptionId],
    );
    return rows[0] ?? null;
  }

  async insert(q: Queryable, s: SubscriptionWrite): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO ${this.t} (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, UTC_TIMESTAMP()), COALESCE(?, UTC_TIMESTAMP()))`,
      [
        s.userId,
        s.subscriptionId,
        s.gateway,
        s.planId,
        s.status,
        s.amount,
        s.currency,
        s.billingCycle,
        s.nextBillingDate,
        s.expiresAt,
        s.createdAt,
        s.updatedAt,
      ],
    );
    return Number(res.insertId);
  }

  /** Updates a subscription; a new `expires_at` re-arms the one-time expiry notice. */
  async update(q: Queryable, id: number, s: SubscriptionWrite): Promise<void> {
    await q.query(
      `UPDATE ${this.t} SET user_id = ?, plan_id = ?, status = ?, amount = ?, currency = ?, billing_cycle = ?, next_billing_date = ?,
         expiry_notified = IF(expires_at <=> ?, expiry_notified, 0), expires_at = ?, updated_at = COALESCE(?, UTC_TIMESTAMP()) WHERE id = ?`,
      [s.userId, s.planId, s.status, s.amount, s.currency, s.billingCycle, s.nextBillingDate, s.expiresAt, s.expiresAt, s.updatedAt, id],
    );
  }

  /**
   * The plugin's expiry window (`check_upcoming_expiries`): `active` rows not yet notified whose
   * `expires_at` is on or before the UTC midnight that starts the day `days` from now, past ones
   * included. Nothing else: not `on_trial`, `cancelled` or any other status.
   */
  async activeExpiringUnnotified(q: Queryable, days: number, limit: number): Promise<SubscriptionRow[]> {
    return q.query(
      `SELECT ${COLUMNS}, expiry_notified FROM ${this.t} WHERE status = 'active' AND expiry_notified = 0
         AND expires_at <= UTC_DATE() + INTERVAL ? DAY ORDER BY expires_at LIMIT ?`,
      [days, limit],
    );
  }

  /** Marks one active subscription notified; false when another node already did (or it is no longer active). */
  async markNotified(q: Queryable, id: number): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE ${this.t} SET expiry_notified = 1, updated_at = updated_at WHERE id = ? AND expiry_notified = 0 AND status = 'active'`,
      [id],
    );
    return res.affectedRows === 1;
  }

  /** A user's subscriptions for an export, oldest first. */
  forExport(q: Queryable, userId: number): Promise<Record<string, unknown>[]> {
    return q.query(
      `SELECT id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at
       FROM ${this.t} WHERE user_id = ? ORDER BY created_at, id`,
      [userId],
    );
  }
}
