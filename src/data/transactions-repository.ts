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

const COLUMNS =
  'id, user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at';

/** Reads `{prefix}slbp_transactions` (the webhook writes it). */
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
}
