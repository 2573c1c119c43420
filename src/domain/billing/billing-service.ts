import type {
  SubscriptionFilter,
  SubscriptionRow,
  SubscriptionWindow,
  SubscriptionsRepository,
} from '../../data/subscriptions-repository.ts';
import type { Queryable } from '../../data/database.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { SortOrder } from '../../data/read-models/where.ts';
import type { TransactionFilter, TransactionRow, TransactionsRepository, ListWindow } from '../../data/transactions-repository.ts';
import { SidecarError } from '../../errors.ts';
import type { BillingReads, MaybeAsync } from './billing-reads.ts';
import {
  centsOf,
  dbFromDate,
  isoFromDb,
  moneyFromCents,
  STORED_SUBSCRIPTION_STATUS,
  STORED_TRANSACTION_STATUS,
  storedStatuses,
} from './values.ts';
import { canSee, type Viewer } from './viewer.ts';

export interface TransactionQuery {
  userId?: number;
  statuses?: string[];
  gateway?: string;
  courseId?: number;
  currency?: string;
  search?: string;
  after?: Date;
  before?: Date;
  window: ListWindow;
}
export interface SubscriptionQuery {
  userId?: number;
  statuses?: string[];
  gateway?: string;
  planId?: string;
  currency?: string;
  search?: string;
  after?: Date;
  before?: Date;
  window: SubscriptionWindow;
}
export interface Page<T> {
  rows: T[];
  total: number;
}

const PAID = ['completed', 'paid'];
/** Statuses that bill and give access: they count as active in the summary. */
const LIVE_SUBSCRIPTION = ['active', 'on_trial', 'trialing', 'past_due'];

/** How the merge across shards compares a list's order column (ShardRouter.listWindow). */
const sortKind = (column: string) => (column === 'amount' ? 'decimal' : column === 'id' ? 'id' : 'text');

export const transactionNotFound = () => new SidecarError('slbp_transaction_not_found', 'Transaction not found.', 404);
export const subscriptionNotFound = () => new SidecarError('slbp_subscription_not_found', 'Subscription not found.', 404);

/** Transaction and subscription reads for owners and admins; someone else's id is a 404. */
export class BillingService {
  constructor(
    private readonly reads: BillingReads,
    private readonly transactions: TransactionsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    /** Where the billing tables live (the shards when SLBP_SHARDS is set). */
    private readonly db: DatabaseRouter,
  ) {}

  /**
   * A page of a billing list: on one database when unsharded or for one user, else every shard's
   * first offset + limit rows in the list's order, merged, with the totals summed.
   */
  private async page<
    F extends { userId?: number },
    W extends { orderby: string; order: SortOrder; limit: number; offset: number },
    R extends { id: number | string },
  >(
    caller: string | null,
    filter: F,
    w: W,
    list: (on: Queryable, f: F, w: W) => Promise<R[]>,
    count: (on: Queryable, f: F) => Promise<number>,
  ): Promise<Page<R>> {
    const shards = this.db.shards;
    if (!shards || filter.userId !== undefined) {
      const on = this.db.forRead(caller, filter.userId);
      const [rows, total] = await Promise.all([list(on, filter, w), count(on, filter)]);
      return { rows, total };
    }
    return shards.listWindow(
      async (shard, limit) => {
        const [rows, total] = await Promise.all([list(shard, filter, { ...w, limit, offset: 0 }), count(shard, filter)]);
        return { rows, total };
      },
      { column: w.orderby as keyof R & string, kind: sortKind(w.orderby), order: w.order },
      w.offset,
      w.limit,
    );
  }

  /** A row by id: the sidecar's ids are unique across shards (see src/data/database.ts), so every shard is asked. */
  private async byId<R>(caller: string | null, find: (on: Queryable) => Promise<R | null>): Promise<R | null> {
    return (await this.db.locate(find, caller))?.value ?? null;
  }

  listTransactions(v: Viewer, query: TransactionQuery): MaybeAsync<Page<TransactionRow>> {
    const userId = this.reads.userScope(v, query.userId);
    const filter: TransactionFilter = {
      userId,
      statuses: query.statuses && storedStatuses(query.statuses, STORED_TRANSACTION_STATUS),
      gateway: query.gateway,
      courseId: query.courseId,
      currency: query.currency,
      search: query.search,
      after: query.after && dbFromDate(query.after),
      before: query.before && dbFromDate(query.before),
    };
    return this.reads.scoped(v, 'transactions', userId, { filter, w: query.window }, (caller) =>
      this.page(
        caller,
        filter,
        query.window,
        (on, f, w) => this.transactions.list(on, f, w),
        (on, f) => this.transactions.count(on, f),
      ),
    );
  }

  async getTransaction(v: Viewer, id: number): Promise<TransactionRow> {
    const row = await this.reads.item(v, 'transaction', id, (caller) => this.byId(caller, (on) => this.transactions.findById(on, id)));
    if (!row || !canSee(v, row.user_id)) throw transactionNotFound();
    return row;
  }

  listSubscriptions(v: Viewer, query: SubscriptionQuery): MaybeAsync<Page<SubscriptionRow>> {
    const userId = this.reads.userScope(v, query.userId);
    const filter: SubscriptionFilter = {
      userId,
      statuses: query.statuses && storedStatuses(query.statuses, STORED_SUBSCRIPTION_STATUS),
      gateway: query.gateway,
      planId: query.planId,
      currency: query.currency,
      search: query.search,
      after: query.after && dbFromDate(query.after),
      before: query.before && dbFromDate(query.before),
    };
    return this.reads.scoped(v, 'subscriptions', userId, { filter, w: query.window }, (caller) =>
      this.page(
        caller,
        filter,
        query.window,
        (on, f, w) => this.subscriptions.list(on, f, w),
        (on, f) => this.subscriptions.count(on, f),
      ),
    );
  }

  async getSubscription(v: Viewer, id: number): Promise<SubscriptionRow> {
    const row = await this.reads.item(v, 'subscription', id, (caller) => this.byId(caller, (on) => this.subscriptions.findById(on, id)));
    if (!row || !canSee(v, row.user_id)) throw subscriptionNotFound();
    return row;
  }

  /** `{user_id, active_subscriptions, next_billing_date, lifetime_value{currency: amount}, last_payment}` as rows. */
  async summary(v: Viewer, requestedUser: number | undefined) {
    const userId = this.reads.userScope(v, requestedUser ?? v.userId ?? undefined);
    if (userId === undefined)
      throw new SidecarError('rest_missing_callback_param', 'Missing parameter(s): user_id', 400, { params: ['user_id'] });
    return this.reads.scoped(v, 'summary', userId, {}, async (caller) => {
      const on = this.db.forRead(caller, userId);
      const [live, lifetime, last] = await Promise.all([
        this.subscriptions.activeSummary(on, userId, LIVE_SUBSCRIPTION),
        this.transactions.sumByCurrency(on, userId, PAID),
        this.transactions.list(on, { userId, statuses: PAID }, { orderby: 'created_at', order: 'desc', limit: 1, offset: 0 }),
      ]);
      return {
        user_id: userId,
        active_subscriptions: live.n,
        next_billing_date: isoFromDb(live.next),
        lifetime_value: Object.fromEntries(lifetime.map((r) => [r.currency, moneyFromCents(centsOf(r.total))])),
        last_payment: last[0] ?? null,
      };
    });
  }
}
