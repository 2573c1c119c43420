import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface TransactionWrite {
  userId: number;
  orderId: string;
  transactionId: string;
  gateway: string;
  amount: string;
  currency: string;
  status: string;
  courseId: number | null;
  metadata: Record<string, unknown>;
  createdAt: string | null;
  updatedAt: string | null;
}

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

export interface StoredTransaction {
  id: number;
  user_id: number;
  order_id: string;
  transaction_id: string;
  amount: string;
  currency: string;
  status: string;
  course_id: number | null;
  updated_at: string | null;
}
export interface StoredSubscription {
  id: number;
  user_id: number;
  subscription_id: string;
  plan_id: string;
  status: string;
  amount: string;
  currency: string;
  billing_cycle: string;
  expires_at: string | null;
  expiry_notified: number;
  updated_at: string | null;
}

/**
 * Gateway-driven writes to `{prefix}slbp_transactions` and `{prefix}slbp_subscriptions`, keyed by
 * the gateway's ids. Reads take `FOR UPDATE` so two events about one object serialise on its row.
 */
export class GatewayRecordsRepository {
  constructor(private readonly tables: Tables) {}

  async lockTransaction(q: Queryable, gateway: string, orderId: string): Promise<StoredTransaction | null> {
    return this.transaction(q, gateway, orderId, ' FOR UPDATE');
  }

  /** The stored order without a lock (finding which billing database holds it). */
  findTransaction(q: Queryable, gateway: string, orderId: string): Promise<StoredTransaction | null> {
    return this.transaction(q, gateway, orderId, '');
  }

  private async transaction(q: Queryable, gateway: string, orderId: string, lock: string): Promise<StoredTransaction | null> {
    const rows = await q.query<StoredTransaction[]>(
      `SELECT id, user_id, order_id, transaction_id, amount, currency, status, course_id, updated_at FROM \`${this.tables.slbp.transactions}\`
       WHERE payment_gateway = ? AND order_id = ? ORDER BY id LIMIT 1${lock}`,
      [gateway, orderId],
    );
    return rows[0] ?? null;
  }

  async insertTransaction(q: Queryable, t: TransactionWrite): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO \`${this.tables.slbp.transactions}\` (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, UTC_TIMESTAMP()), COALESCE(?, UTC_TIMESTAMP()))`,
      [
        t.userId,
        t.orderId,
        t.transactionId,
        t.gateway,
        t.amount,
        t.currency,
        t.status,
        t.courseId,
        JSON.stringify(t.metadata),
        t.createdAt,
        t.updatedAt,
      ],
    );
    return Number(res.insertId);
  }

  async updateTransaction(q: Queryable, id: number, t: TransactionWrite): Promise<void> {
    await q.query(
      `UPDATE \`${this.tables.slbp.transactions}\` SET user_id = ?, transaction_id = ?, amount = ?, currency = ?, status = ?, course_id = ?, metadata = ?,
         updated_at = COALESCE(?, UTC_TIMESTAMP()) WHERE id = ?`,
      [t.userId, t.transactionId, t.amount, t.currency, t.status, t.courseId, JSON.stringify(t.metadata), t.updatedAt, id],
    );
  }

  async lockSubscription(q: Queryable, gateway: string, subscriptionId: string): Promise<StoredSubscription | null> {
    return this.subscription(q, gateway, subscriptionId, ' FOR UPDATE');
  }

  /** The stored subscription without a lock (finding which billing database holds it). */
  findSubscription(q: Queryable, gateway: string, subscriptionId: string): Promise<StoredSubscription | null> {
    return this.subscription(q, gateway, subscriptionId, '');
  }

  private async subscription(q: Queryable, gateway: string, subscriptionId: string, lock: string): Promise<StoredSubscription | null> {
    const rows = await q.query<StoredSubscription[]>(
      `SELECT id, user_id, subscription_id, plan_id, status, amount, currency, billing_cycle, expires_at, expiry_notified, updated_at
       FROM \`${this.tables.slbp.subscriptions}\` WHERE payment_gateway = ? AND subscription_id = ? ORDER BY id LIMIT 1${lock}`,
      [gateway, subscriptionId],
    );
    return rows[0] ?? null;
  }

  async insertSubscription(q: Queryable, s: SubscriptionWrite): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO \`${this.tables.slbp.subscriptions}\` (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at)
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
  async updateSubscription(q: Queryable, id: number, s: SubscriptionWrite): Promise<void> {
    await q.query(
      `UPDATE \`${this.tables.slbp.subscriptions}\` SET user_id = ?, plan_id = ?, status = ?, amount = ?, currency = ?, billing_cycle = ?, next_billing_date = ?,
         expiry_notified = IF(expires_at <=> ?, expiry_notified, 0), expires_at = ?, updated_at = COALESCE(?, UTC_TIMESTAMP()) WHERE id = ?`,
      [s.userId, s.planId, s.status, s.amount, s.currency, s.billingCycle, s.nextBillingDate, s.expiresAt, s.expiresAt, s.updatedAt, id],
    );
  }

  /**
   * The plugin's expiry window (`check_upcoming_expiries`): `active` rows not yet notified whose
   * `expires_at` is on or before the UTC midnight that starts the day `days` from now, past ones
   * included. Nothing else: not `on_trial`, `cancelled` or any other status.
   */
  async activeExpiringUnnotified(q: Queryable, days: number, limit: number): Promise<StoredSubscription[]> {
    return q.query(
      `SELECT id, user_id, subscription_id, plan_id, status, amount, currency, billing_cycle, expires_at, expiry_notified, updated_at
       FROM \`${this.tables.slbp.subscriptions}\` WHERE status = 'active' AND expiry_notified = 0
         AND expires_at <= UTC_DATE() + INTERVAL ? DAY ORDER BY expires_at LIMIT ?`,
      [days, limit],
    );
  }

  /** Marks one active subscription notified; false when another node already did (or it is no longer active). */
  async markNotified(q: Queryable, id: number): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE \`${this.tables.slbp.subscriptions}\` SET expiry_notified = 1, updated_at = updated_at WHERE id = ? AND expiry_notified = 0 AND status = 'active'`,
      [id],
    );
    return res.affectedRows === 1;
  }

  /**
   * The user's other paid orders with this gateway (not invoices): their transaction id, course and
   * product, for deciding what a refund of one order may take away.
   */
  async otherPaidOrders(
    q: Queryable,
    gateway: string,
    userId: number,
    exceptOrderId: string,
  ): Promise<{ transaction_id: string; course_id: number | null; product_id: string | null }[]> {
    return q.query(
      `SELECT transaction_id, course_id, JSON_VALUE(metadata, '$.product_id') AS product_id FROM \`${this.tables.slbp.transactions}\`
       WHERE user_id = ? AND payment_gateway = ? AND status IN ('completed', 'paid') AND order_id <> ? AND order_id NOT LIKE 'invoice\\_%' ORDER BY id`,
      [userId, gateway, exceptOrderId],
    );
  }

  /** Whether one of the user's transactions with this gateway was paid by this gateway customer. */
  async hasCustomer(q: Queryable, gateway: string, userId: number, customerId: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(
      `SELECT id FROM \`${this.tables.slbp.transactions}\` WHERE user_id = ? AND payment_gateway = ? AND JSON_VALUE(metadata, '$.customer_id') = ? LIMIT 1`,
      [userId, gateway, customerId],
    );
    return rows.length > 0;
  }

  /** A user's transactions or subscriptions for an export, oldest first. */
  async forUser(q: Queryable, kind: 'transactions' | 'subscriptions', userId: number): Promise<Record<string, unknown>[]> {
    const cols =
      kind === 'transactions'
        ? 'id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, created_at, updated_at'
        : 'id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at';
    return q.query(`SELECT ${cols} FROM \`${this.tables.slbp[kind]}\` WHERE user_id = ? ORDER BY created_at, id`, [userId]);
  }
}
