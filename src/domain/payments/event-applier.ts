import type { DatabaseRouter } from '../../data/database-router.ts';
import type { Queryable } from '../../data/database.ts';
import type { SubscriptionRow, SubscriptionsRepository, SubscriptionWrite } from '../../data/subscriptions-repository.ts';
import type { TransactionsRepository, TransactionWrite } from '../../data/transactions-repository.ts';
import { sqlUtc } from '../../data/payments/sql-errors.ts';
import { asSubscriptionPayment, pluginOrderRecord, pluginSubscriptionRecord, type BuyerRecords } from './buyer-records.ts';
import { coursesFor, type EnrolmentRef, type EnrolmentService } from './enrolment-service.ts';
import type { EnrolmentUnit } from './enrolment-unit.ts';
import {
  customUserId,
  eventKind,
  invoiceSchema,
  orderSchema,
  orderStatus,
  subscriptionSchema,
  type Envelope,
  type HandledEvent,
} from './lemon-squeezy-event.ts';
import { centsToDecimal } from './money.ts';

export const GATEWAY = 'lemon_squeezy';

/** What one applied event changed; the user id drives cache invalidation, the rest outgoing webhooks. */
export interface AppliedEvent {
  userId: number;
  transaction?: { id: number; order_id: string; status: string; amount: string; currency: string };
  subscription?: { id: number; subscription_id: string; status: string; expires_at: string | null };
  enrolled: number[];
  unenrolled: number[];
  note?: string;
}

/** Statuses after which a subscriber keeps course access (a cancelled one until `ends_at`). */
const ACCESS = new Set(['on_trial', 'active', 'past_due', 'paused']);

/** Billing cycle is not in the subscription payload: kept from the row, else guessed from the first period. */
function guessCycle(createdAt: string | null, renewsAt: string | null): string {
  if (!createdAt || !renewsAt) return 'monthly';
  const days = (Date.parse(`${renewsAt.replace(' ', 'T')}Z`) - Date.parse(`${createdAt.replace(' ', 'T')}Z`)) / 86_400_000;
  return days > 300 ? 'yearly' : days < 10 ? 'weekly' : 'monthly';
}

/** The transaction an event is applied in: its owner's billing database, the main one (the buyer's records) and enrolment changes. */
export interface ApplyTx {
  billing: Queryable;
  main: Queryable;
  enrolment: EnrolmentUnit;
}

/**
 * Applies one verified Lemon Squeezy event to the billing tables, inside the caller's transaction.
 * Rows are upserted by the gateway's ids; an event older than the stored row (`updated_at`) does
 * not overwrite it. A stored object keeps its owner: later events about it apply to that user
 * (the buyer an event names is only asked for an object not stored yet), so every event about
 * one object reaches the same billing shard.
 */
export class EventApplier {
  constructor(
    private readonly transactions: TransactionsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly enrolment: EnrolmentService,
    private readonly mappings: () => Record<string, unknown>,
    /** A user's billing database (their shard with SLBP_SHARDS), for plain reads. */
    private readonly billingOf: (userId: number) => Queryable,
    /** What the plugin's PHP helpers read about the buyer, written for every order and subscription. */
    private readonly records: BuyerRecords,
  ) {}

  /**
   * The user owning the event's gateway object when some billing database stores it already
   * (plain reads): the order; the invoice's row, else its subscription; the subscription.
   */
  async storedOwner(dbs: DatabaseRouter, event: HandledEvent, env: Envelope): Promise<number | null> {
    const order = (id: string) => dbs.locate((q) => this.transactions.findByOrderId(q, GATEWAY, id));
    const subscription = (id: string) => dbs.locate((q) => this.subscriptions.findBySubscriptionId(q, GATEWAY, id));
    const kind = eventKind(event);
    const found =
      kind === 'order'
        ? await order(env.data.id)
        : kind === 'invoice'
          ? ((await order(`invoice_${env.data.id}`)) ?? (await subscription(invoiceSchema.parse(env.data.attributes).subscription_id)))
          : await subscription(env.data.id);
    return found ? Number(found.value.user_id) : null;
  }

  /**
   * The buyer the event names (on `q`, the main database): the user with the order's email, else a
   * new subscriber; `custom_data.user_id` only when that user has this email, or paid as this
   * Lemon Squeezy customer before.
   */
  async buyer(q: Queryable, event: HandledEvent, env: Envelope): Promise<number> {
    const kind = eventKind(event);
    const a =
      kind === 'order'
        ? orderSchema.parse(env.data.attributes)
        : kind === 'invoice'
          ? invoiceSchema.parse(env.data.attributes)
          : subscriptionSchema.parse(env.data.attributes);
    const customer = a.customer_id ?? null;
    const sameCustomer =
      customer === null ? undefined : (userId: number) => this.transactions.hasCustomer(this.billingOf(userId), GATEWAY, userId, customer);
    return (await this.enrolment.resolveBuyer(q, customUserId(env), a.user_email, a.user_name, sameCustomer)).userId;
  }

  /** Applies the event; `buyer` answers the owner of an object not stored yet. */
  async apply(tx: ApplyTx, event: HandledEvent, env: Envelope, buyer: () => Promise<number>): Promise<AppliedEvent> {
    const kind = eventKind(event);
    if (kind === 'order') return this.order(tx, env, buyer);
    if (kind === 'invoice') return this.invoice(tx, event, env, buyer);
    return this.subscription(tx, env, buyer);
  }

  private async order({ billing: q, main, enrolment }: ApplyTx, env: Envelope, buyer: () => Promise<number>): Promise<AppliedEvent> {
    const a = orderSchema.parse(env.data.attributes);
    const existing = await this.transactions.lockByOrderId(q, GATEWAY, env.data.id);
    const userId = existing ? Number(existing.user_id) : await buyer();
    const courses = coursesFor(this.mappings(), a.first_order_item?.product_id);
    const status = orderStatus(a.status, a.refunded);
    const write: TransactionWrite = {
      userId,
      orderId: env.data.id,
      transactionId: a.identifier,
      gateway: GATEWAY,
      amount: centsToDecimal(a.total),
      currency: a.currency.toUpperCase(),
      status,
      courseId: courses[0] ?? null,
      createdAt: sqlUtc(a.created_at),
      updatedAt: sqlUtc(a.updated_at),
      metadata: {
        source: 'lemon_squeezy',
        order_number: a.order_number ?? null,
        customer_id: a.customer_id ?? null,
        product_id: a.first_order_item?.product_id ?? null,
        variant_id: a.first_order_item?.variant_id ?? null,
        product_name: a.first_order_item?.product_name ?? null,
        refunded_amount: a.refunded_amount !== undefined ? centsToDecimal(a.refunded_amount) : null,
        test_mode: a.test_mode ?? false,
      },
    };
    if (existing && write.updatedAt && existing.updated_at && existing.updated_at > write.updatedAt)
      return { userId, enrolled: [], unenrolled: [], note: 'stale event: stored order is newer' };
    const id = existing
      ? (await this.transactions.update(q, Number(existing.id), write), Number(existing.id))
      : await this.transactions.insert(q, write);
    // An order for the variant one of the buyer's subscriptions is on pays for that subscription.
    const variant = a.first_order_item?.variant_id;
    const paysFor = variant ? (await this.subscriptions.ofUser(q, GATEWAY, userId)).find((s) => String(s.plan_id) === variant) : undefined;
    const record = pluginOrderRecord(env.data.id, a, env.data.attributes);
    await this.records.order(main, userId, paysFor ? asSubscriptionPayment(record, paysFor.subscription_id) : record);
    if (a.first_order_item)
      await this.records.mapProduct(main, a.first_order_item.product_id, a.first_order_item.product_name ?? '', courses);
    // Enrolment records and logs name the order by its Lemon Squeezy id, as the plugin does.
    const ref = { transactionId: write.orderId, subscriptionId: null, notes: `Lemon Squeezy order ${write.orderId}` };
    const enrolled = status === 'completed' ? await enrolment.enrol(userId, courses, ref) : [];
    const unenrolled =
      status === 'refunded'
        ? await this.refunded(
            q,
            enrolment,
            userId,
            courses,
            { ...ref, notes: `Refund of Lemon Squeezy order ${write.orderId}` },
            write.transactionId,
          )
        : [];
    return {
      userId,
      transaction: { id, order_id: write.orderId, status, amount: write.amount, currency: write.currency },
      enrolled,
      unenrolled,
    };
  }

  /**
   * What a refund of one order takes away: the courses that order granted (its transaction is the
   * one their enrolment record names) and that nothing else still pays for. A course another paid
   * order also covers stays, its record now naming that order; one whose record names a
   * subscription that still gives access stays too. Access granted otherwise (an earlier order, by
   * hand in LearnDash) is not this order's to take.
   */
  private async refunded(
    q: Queryable,
    enrolment: EnrolmentUnit,
    userId: number,
    courses: number[],
    ref: EnrolmentRef,
    identifier: string,
  ): Promise<number[]> {
    if (!courses.length) return [];
    const orderId = ref.transactionId!;
    const records = await enrolment.records(userId);
    const others = await this.transactions.otherPaidOrders(q, GATEWAY, userId, orderId);
    const mappings = this.mappings();
    const take: number[] = [];
    for (const courseId of courses) {
      const record = records.get(courseId);
      // Records written before they named the order id name its identifier.
      if (!record || (record.transaction_id !== orderId && record.transaction_id !== identifier)) continue;
      const other = others.find((o) => Number(o.course_id) === courseId || coursesFor(mappings, o.product_id).includes(courseId));
      if (other) {
        await enrolment.regrant(userId, courseId, record, other.order_id);
        continue;
      }
      const subscriptionId = typeof record.subscription_id === 'string' ? record.subscription_id : '';
      if (subscriptionId && (await this.subscriptionGivesAccess(q, subscriptionId))) continue;
      take.push(courseId);
    }
    return enrolment.unenrol(userId, take, ref);
  }

  /** Whether the stored subscription still gives access: running, or cancelled with its grace period not over. */
  private async subscriptionGivesAccess(q: Queryable, subscriptionId: string): Promise<boolean> {
    const sub = await this.subscriptions.findBySubscriptionId(q, GATEWAY, subscriptionId);
    if (!sub) return false;
    return ACCESS.has(sub.status) || (sub.status === 'cancelled' && sub.expires_at !== null && sub.expires_at > sqlUtc(new Date())!);
  }

  private async subscription({ billing: q, main, enrolment }: ApplyTx, env: Envelope, buyer: () => Promise<number>): Promise<AppliedEvent> {
    const a = subscriptionSchema.parse(env.data.attributes);
    const existing = await this.subscriptions.lockBySubscriptionId(q, GATEWAY, env.data.id);
    const updatedAt = sqlUtc(a.updated_at);
    if (existing && updatedAt && existing.updated_at && existing.updated_at > updatedAt)
      return { userId: Number(existing.user_id), enrolled: [], unenrolled: [], note: 'stale event: stored subscription is newer' };
    const userId = existing ? Number(existing.user_id) : await buyer();
    const order = a.order_id ? await this.transactions.lockByOrderId(q, GATEWAY, a.order_id) : null;
    const status = a.status === 'trialing' ? 'on_trial' : a.status;
    const endsAt = sqlUtc(a.ends_at);
    const write: SubscriptionWrite = {
      userId,
      subscriptionId: env.data.id,
      gateway: GATEWAY,
      planId: a.variant_id,
      status,
      amount: existing?.amount ?? order?.amount ?? '0.00',
      currency: existing?.currency ?? order?.currency ?? 'USD',
      billingCycle: existing?.billing_cycle ?? guessCycle(sqlUtc(a.trial_ends_at) ?? sqlUtc(a.created_at), sqlUtc(a.renews_at)),
      nextBillingDate: ACCESS.has(status) && status !== 'paused' ? sqlUtc(a.renews_at) : null,
      expiresAt: status === 'cancelled' || status === 'expired' ? endsAt : null,
      createdAt: sqlUtc(a.created_at),
      updatedAt,
    };
    const id = existing
      ? (await this.subscriptions.update(q, Number(existing.id), write), Number(existing.id))
      : await this.subscriptions.insert(q, write);
    const courses = coursesFor(this.mappings(), a.product_id);
    await this.records.subscription(main, userId, pluginSubscriptionRecord(env.data.id, a, env.data.attributes));
    if (a.order_id) await this.records.markSubscriptionPayment(main, a.order_id, env.data.id);
    await this.records.mapProduct(main, a.product_id, a.product_name ?? '', courses);
    const ref = {
      transactionId: order?.order_id ?? null,
      subscriptionId: write.subscriptionId,
      notes: `Lemon Squeezy subscription ${write.subscriptionId} ${status}`,
    };
    const keepsAccess = ACCESS.has(status) || (status === 'cancelled' && endsAt !== null && endsAt > sqlUtc(new Date())!);
    const enrolled = keepsAccess && status !== 'cancelled' ? await enrolment.enrol(userId, courses, ref) : [];
    const unenrolled = keepsAccess ? [] : await this.lost(q, enrolment, userId, courses, ref);
    return { userId, subscription: this.summary(id, write), enrolled, unenrolled };
  }

  /**
   * What a lost subscription (expired, unpaid, cancelled and ended) takes away: its courses that
   * nothing else of the buyer's still pays for. A course a one-time paid order covers stays, its
   * record now naming that order; one another subscription of theirs still gives access to stays,
   * its record now naming that subscription. Orders for a variant one of the buyer's subscriptions
   * is on are that subscription's payments, not purchases of their own: they count only through
   * their subscription.
   */
  private async lost(q: Queryable, enrolment: EnrolmentUnit, userId: number, courses: number[], ref: EnrolmentRef): Promise<number[]> {
    if (!courses.length) return [];
    const mappings = this.mappings();
    const subscriptions = await this.subscriptions.ofUser(q, GATEWAY, userId);
    const subscriptionVariants = new Set(subscriptions.map((s) => String(s.plan_id)));
    const orders = await this.transactions.paidOrders(q, GATEWAY, userId);
    const coursesOf = (o: (typeof orders)[number]) => [
      ...(o.course_id ? [Number(o.course_id)] : []),
      ...coursesFor(mappings, o.product_id),
    ];
    const purchases = orders.filter((o) => !o.variant_id || !subscriptionVariants.has(String(o.variant_id)));
    const now = sqlUtc(new Date())!;
    const running = subscriptions.filter(
      (s) =>
        s.subscription_id !== ref.subscriptionId &&
        (ACCESS.has(s.status) || (s.status === 'cancelled' && s.expires_at !== null && s.expires_at > now)),
    );
    const records = await enrolment.records(userId);
    const take: number[] = [];
    for (const courseId of courses) {
      const record = records.get(courseId);
      const purchase = purchases.find((o) => coursesOf(o).includes(courseId));
      const other =
        running.find((s) => orders.some((o) => String(o.variant_id) === String(s.plan_id) && coursesOf(o).includes(courseId))) ??
        running.find((s) => record?.subscription_id === s.subscription_id);
      if (!purchase && !other) {
        take.push(courseId);
        continue;
      }
      if (record && record.subscription_id === ref.subscriptionId)
        await enrolment.regrant(
          userId,
          courseId,
          { ...record, subscription_id: other ? other.subscription_id : '' },
          purchase?.order_id ?? String(record.transaction_id ?? ''),
        );
    }
    return enrolment.unenrol(userId, take, ref);
  }

  private async invoice({ billing: q }: ApplyTx, event: HandledEvent, env: Envelope, buyer: () => Promise<number>): Promise<AppliedEvent> {
    const a = invoiceSchema.parse(env.data.attributes);
    const sub: SubscriptionRow | null = await this.subscriptions.lockBySubscriptionId(q, GATEWAY, a.subscription_id);
    // The first invoice pays for the order that order_created already recorded; one payment, one row.
    if (event === 'subscription_payment_success' && a.billing_reason === 'initial') {
      return {
        userId: sub ? Number(sub.user_id) : await buyer(),
        enrolled: [],
        unenrolled: [],
        note: 'initial invoice: recorded by order_created',
      };
    }
    const existing = await this.transactions.lockByOrderId(q, GATEWAY, `invoice_${env.data.id}`);
    const userId = existing ? Number(existing.user_id) : sub ? Number(sub.user_id) : await buyer();
    const status = event === 'subscription_payment_success' ? 'completed' : event === 'subscription_payment_failed' ? 'failed' : 'refunded';
    const write: TransactionWrite = {
      userId,
      orderId: `invoice_${env.data.id}`,
      transactionId: `invoice_${env.data.id}`,
      gateway: GATEWAY,
      amount: centsToDecimal(a.total),
      currency: a.currency.toUpperCase(),
      status,
      courseId: null,
      createdAt: sqlUtc(a.created_at),
      updatedAt: sqlUtc(a.updated_at),
      metadata: {
        source: 'lemon_squeezy',
        kind: 'subscription_invoice',
        invoice_id: env.data.id,
        subscription_id: a.subscription_id,
        customer_id: a.customer_id ?? null,
        billing_reason: a.billing_reason ?? null,
        invoice_status: a.status,
        test_mode: a.test_mode ?? false,
      },
    };
    const id = existing
      ? (await this.transactions.update(q, Number(existing.id), write), Number(existing.id))
      : await this.transactions.insert(q, write);
    return {
      userId,
      transaction: { id, order_id: write.orderId, status, amount: write.amount, currency: write.currency },
      enrolled: [],
      unenrolled: [],
    };
  }

  private summary(id: number, w: SubscriptionWrite) {
    return { id, subscription_id: w.subscriptionId, status: w.status, expires_at: w.expiresAt };
  }
}
