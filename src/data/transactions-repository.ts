import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';
import { orderBy, Where, type SortOrder } from './read-models/where.ts';

export interface TransactionRow {
  id: number | string;
  user_id: number | string;
  order_id: string;
  transaction_id: string;
  payment_gateway: string;
  amount: string;
  currency: string;
  status: string;
  course_id: number | string | null;
  metadata: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/** Filters in stored terms (statuses already expanded to the values the table holds). */
export interface TransactionFilter {
  userId?: number;
  statuses?: string[];
  gateway?: string;
  courseId?: number;
  currency?: string;
  /** Exact gateway order or transaction id. */
  search?: string;
  after?: string;
  before?: string;
}

export interface ListWindow {
  orderby: 'created_at' | 'amount' | 'id';
  order: SortOrder;
  limit: number;
  offset: number;
}

/** A transaction as a gateway event writes it. */
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

const COLUMNS =
  'id, user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at';

/**
 * `{prefix}slbp_transactions`: the billing lists and reads, and the gateway-driven writes keyed by
 * the gateway's order id. Locking reads take `FOR UPDATE` so two events about one order serialise
 * on its row.
 */
export class TransactionsRepository {
  constructor(private readonly tables: Tables) {}

  private get t(): string {
    return `\`${this.tables.slbp.transactions}\``;
  }

  private where(f: TransactionFilter): Where {
    return new Where()
      .add('user_id = ?', [f.userId], f.userId !== undefined)
      .in('status', f.statuses)
      .add('payment_gateway = ?', [f.gateway], f.gateway !== undefined)
      .add('course_id = ?', [f.courseId], f.courseId !== undefined)
      .add('currency = ?', [f.currency], f.currency !== undefined)
      .add('(order_id = ? OR transaction_id = ?)', [f.search, f.search], f.search !== undefined)
      .add('created_at > ?', [f.after], f.after !== undefined)
      .add('created_at < ?', [f.before], f.before !== undefined);
  }

  async list(q: Queryable, f: TransactionFilter, w: ListWindow): Promise<TransactionRow[]> {
    const where = this.where(f);
    return q.query(`SELECT ${COLUMNS} FROM ${this.t} ${where.sql} ${orderBy(w.orderby, w.order)} LIMIT ? OFFSET ?`, [
      ...where.params,
      w.limit,
      w.offset,
    ]);
  }

  async count(q: Queryable, f: TransactionFilter): Promise<number> {
    const where = this.where(f);
    const [row] = await q.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${this.t} ${where.sql}`, where.params);
    return Number(row?.n ?? 0);
  }

  async findById(q: Queryable, id: number): Promise<TransactionRow | null> {
    const rows = await q.query<TransactionRow[]>(`SELECT ${COLUMNS} FROM ${this.t} WHERE id = ?`, [id]);
    return rows[0] ?? null;
  }

  /** Sum of the given statuses per currency, summed by MariaDB in DECIMAL. */
  async sumByCurrency(q: Queryable, userId: number, statuses: string[]): Promise<{ currency: string; total: string }[]> {
    const where = new Where().add('user_id = ?', [userId]).in('status', statuses);
    return q.query(`SELECT currency, SUM(amount) AS total FROM ${this.t} ${where.sql} GROUP BY currency ORDER BY currency`, where.params);
  }

  /** The stored order of `gateway`, locked until the transaction ends. */
  lockByOrderId(q: Queryable, gateway: string, orderId: string): Promise<TransactionRow | null> {
    return this.byOrderId(q, gateway, orderId, ' FOR UPDATE');
  }

  /** The stored order without a lock (finding which billing database holds it). */
  findByOrderId(q: Queryable, gateway: string, orderId: string): Promise<TransactionRow | null> {
    return this.byOrderId(q, gateway, orderId, '');
  }

  private async byOrderId(q: Queryable, gateway: string, orderId: string, lock: string): Promise<TransactionRow | null> {
    const rows = await q.query<TransactionRow[]>(
      `SELECT ${COLUMNS} FROM ${this.t} WHERE payment_gateway = ? AND order_id = ? ORDER BY id LIMIT 1${lock}`,
      [gateway, orderId],
    );
    return rows[0] ?? null;
  }

  async insert(q: Queryable, t: TransactionWrite): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO ${this.t} (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at)
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

  async update(q: Queryable, id: number, t: TransactionWrite): Promise<void> {
    await q.query(
      `UPDATE ${this.t} SET user_id = ?, transaction_id = ?, amount = ?, currency = ?, status = ?, course_id = ?, metadata = ?,
         updated_at = COALESCE(?, UTC_TIMESTAMP()) WHERE id = ?`,
      [t.userId, t.transactionId, t.amount, t.currency, t.status, t.courseId, JSON.stringify(t.metadata), t.updatedAt, id],
    );
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
  ): Promise<{ order_id: string; transaction_id: string; course_id: number | null; product_id: string | null }[]> {
    return q.query(
      `SELECT order_id, transaction_id, course_id, JSON_VALUE(metadata, '$.product_id') AS product_id FROM ${this.t}
       WHERE user_id = ? AND payment_gateway = ? AND status IN ('completed', 'paid') AND order_id <> ? AND order_id NOT LIKE 'invoice\\_%' ORDER BY id`,
      [userId, gateway, exceptOrderId],
    );
  }

  /** The user's paid orders with `gateway` (not subscription invoices), with the product and variant each was for, oldest first. */
  async paidOrders(
    q: Queryable,
    gateway: string,
    userId: number,
  ): Promise<
    { order_id: string; transaction_id: string; course_id: number | null; product_id: string | null; variant_id: string | null }[]
  > {
    return q.query(
      `SELECT order_id, transaction_id, course_id, JSON_VALUE(metadata, '$.product_id') AS product_id, JSON_VALUE(metadata, '$.variant_id') AS variant_id
       FROM ${this.t} WHERE user_id = ? AND payment_gateway = ? AND status IN ('completed', 'paid') AND order_id NOT LIKE 'invoice\\_%' ORDER BY id`,
      [userId, gateway],
    );
  }

  /** Whether one of the user's transactions with this gateway was paid by this gateway customer. */
  async hasCustomer(q: Queryable, gateway: string, userId: number, customerId: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(
      `SELECT id FROM ${this.t} WHERE user_id = ? AND payment_gateway = ? AND JSON_VALUE(metadata, '$.customer_id') = ? LIMIT 1`,
      [userId, gateway, customerId],
    );
    return rows.length > 0;
  }

  /** A user's transactions for an export, oldest first. */
  forExport(q: Queryable, userId: number): Promise<Record<string, unknown>[]> {
    return q.query(
      `SELECT id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, created_at, updated_at
       FROM ${this.t} WHERE user_id = ? ORDER BY created_at, id`,
      [userId],
    );
  }
}
