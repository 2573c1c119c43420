import type { EnrolledCoursesReadModel } from '../../data/read-models/enrolled-courses-read-model.ts';
import type { UsersRepository } from '../../data/users-repository.ts';
import type { TransactionRow } from '../../data/transactions-repository.ts';
import { SidecarError } from '../../errors.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { BillingReads } from './billing-reads.ts';
import type { BillingService } from './billing-service.ts';
import { centsOf, decodeJson, idOf, isoFromDb, moneyFromCents } from './values.ts';
import type { Viewer } from './viewer.ts';

export interface Seller {
  name: string;
  url: string;
  email: string;
}

/** Tax in cents from the transaction's metadata (`tax`, as a decimal or Lemon Squeezy's integer cents `tax_cents`). */
function taxCents(meta: unknown): number {
  if (!meta || typeof meta !== 'object') return 0;
  const m = meta as Record<string, unknown>;
  if (typeof m.tax_cents === 'number' && Number.isInteger(m.tax_cents)) return m.tax_cents;
  if (typeof m.tax === 'string' || typeof m.tax === 'number') {
    try {
      return centsOf(m.tax);
    } catch {
      return 0;
    }
  }
  return 0;
}

/** Invoice data for one completed transaction: seller from options, buyer from the user, one line, tax, totals. */
export class InvoiceService {
  constructor(
    private readonly reads: BillingReads,
    private readonly db: DatabaseRouter,
    private readonly billing: BillingService,
    private readonly users: UsersRepository,
    private readonly courses: EnrolledCoursesReadModel,
    private readonly seller: () => Seller,
  ) {}

  async invoice(v: Viewer, id: number) {
    const tx: TransactionRow = await this.billing.getTransaction(v, id);
    if (tx.status !== 'completed' && tx.status !== 'paid') {
      throw new SidecarError('slbp_invoice_unavailable', 'An invoice exists only for a completed transaction.', 409, {
        transaction_status: tx.status,
      });
    }
    const courseId = tx.course_id === null ? null : Number(tx.course_id);
    const { buyer, title } = await this.reads.item(v, 'invoice', id, async (caller) => {
      const q = this.db.forRead(caller);
      const [user, titles] = await Promise.all([
        this.users.findById(q, Number(tx.user_id)),
        this.courses.titles(q, courseId ? [courseId] : []),
      ]);
      return {
        buyer: user
          ? { id: Number(user.ID), name: user.display_name, email: user.user_email }
          : { id: Number(tx.user_id), name: null, email: null },
        title: courseId ? (titles.get(courseId) ?? null) : null,
      };
    });
    const meta = decodeJson(tx.metadata);
    const total = centsOf(tx.amount);
    const tax = taxCents(meta);
    const subtotal = total - tax;
    return {
      invoice_number: `INV-${tx.order_id || tx.id}`,
      transaction_id: idOf(tx.id),
      order_id: tx.order_id,
      gateway_transaction_id: tx.transaction_id,
      issued_at: isoFromDb(tx.created_at),
      status: 'paid',
      currency: tx.currency,
      seller: this.seller(),
      buyer,
      lines: [
        {
          description: title ?? (courseId ? `Course #${courseId}` : 'Payment'),
          course_id: courseId,
          quantity: 1,
          unit_amount: moneyFromCents(subtotal),
          amount: moneyFromCents(subtotal),
        },
      ],
      subtotal: moneyFromCents(subtotal),
      tax: moneyFromCents(tax),
      total: moneyFromCents(total),
    };
  }
}
