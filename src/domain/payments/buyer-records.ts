import type { Queryable } from '../../data/database.ts';
import type { BuyerRecordsRepository } from '../../data/payments/buyer-records-repository.ts';
import { maybeUnserialize, phpSerialize } from '../../data/php-serialize.ts';
import type { orderSchema, subscriptionSchema } from './lemon-squeezy-event.ts';
import type { z } from 'zod';

/** The user meta lists that tie records to a buyer, and the options that hold them. */
export const ORDERS_META = 'slbp_orders';
export const SUBSCRIPTIONS_META = 'slbp_subscriptions';
export const orderOption = (id: string) => `slbp_order_${id}`;
export const subscriptionOption = (id: string) => `slbp_subscription_${id}`;
export const PRODUCT_SETTINGS = 'slbp_product_settings';

type Attributes = Record<string, unknown>;
/** Lemon Squeezy's numbers as the plugin stored them: numbers (ids are digits, so this is exact up to 2^53). */
const num = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '' : Number(v));
/** `?? ''`, as format_subscription()/format_transaction() write a missing value. */
const orBlank = (v: unknown) => (v === null || v === undefined ? '' : v);
/** Amounts in major units (cents / 100), as the plugin stored them; a value that is not whole cents is 0. */
const major = (v: unknown) => {
  const n = typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n / 100 : 0;
};
const shortText = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * `slbp_order_{id}` as the plugin's format_transaction() stores a Lemon Squeezy order, except that
 * `product_id` is the text the store owner's mappings hold (the plugin compares it strictly, so a
 * number never opened a course).
 */
export function pluginOrderRecord(id: string, a: z.infer<typeof orderSchema>, raw: Attributes): Record<string, unknown> {
  return {
    id,
    customer_id: num(a.customer_id),
    product_id: a.first_order_item ? String(a.first_order_item.product_id) : '',
    variant_id: a.first_order_item ? num(a.first_order_item.variant_id) : '',
    order_number: a.order_number === undefined ? '' : Number(a.order_number),
    status: a.status,
    currency: a.currency,
    subtotal: major(raw.subtotal),
    discount_total: major(raw.discount_total),
    tax: major(raw.tax),
    total: a.total / 100,
    refunded: a.refunded ?? a.status === 'refunded',
    refunded_amount: a.refunded_amount === undefined ? 0 : a.refunded_amount / 100,
    customer_email: a.user_email,
    customer_name: a.user_name ?? '',
    created_at: orBlank(a.created_at),
    updated_at: orBlank(a.updated_at),
    test_mode: a.test_mode ?? false,
  };
}

/**
 * `slbp_subscription_{id}` as the plugin's format_subscription() stores a Lemon Squeezy
 * subscription, with `product_id` as the mappings' text and a trial stored as `trialing`, the
 * trial status the plugin's helpers know (Lemon Squeezy's `on_trial` would count neither as
 * active nor give the course, while the sidecar enrols trials).
 */
export function pluginSubscriptionRecord(id: string, a: z.infer<typeof subscriptionSchema>, raw: Attributes): Record<string, unknown> {
  const status = a.status === 'on_trial' ? 'trialing' : a.status;
  const anchor = raw.billing_anchor;
  return {
    id,
    customer_id: num(a.customer_id),
    order_id: num(a.order_id),
    product_id: String(a.product_id),
    variant_id: num(a.variant_id),
    status,
    card_brand: shortText(raw.card_brand, 50),
    card_last_four: shortText(raw.card_last_four, 4),
    pause: raw.pause && typeof raw.pause === 'object' ? raw.pause : null,
    cancelled: a.cancelled ?? status === 'cancelled',
    trial_ends_at: orBlank(a.trial_ends_at),
    billing_anchor: typeof anchor === 'number' && Number.isInteger(anchor) ? anchor : '',
    renews_at: orBlank(a.renews_at),
    ends_at: orBlank(a.ends_at),
    created_at: orBlank(a.created_at),
    updated_at: orBlank(a.updated_at),
    test_mode: a.test_mode ?? false,
  };
}

/**
 * An order record that pays for a subscription: no `product_id`, so the plugin's helpers give its
 * course through the subscription record only (and stop when it ends), and the subscription's id.
 */
export const asSubscriptionPayment = (record: Record<string, unknown>, subscriptionId: string) => ({
  ...record,
  product_id: '',
  subscription_id: subscriptionId,
});

/** A PHP-serialized list of ids, decoded (anything that is not a list reads as none). */
function idList(raw: string | null, source: string): string[] {
  let v: unknown;
  try {
    v = maybeUnserialize(raw, source);
  } catch {
    return [];
  }
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
  return list.filter((x) => typeof x === 'string' || typeof x === 'number').map(String);
}

/**
 * Writes, for every order and subscription the sidecar processes, what the plugin's PHP helpers
 * read (slbp_get_user_subscriptions(), slbp_user_has_course_access(),
 * slbp_get_user_billing_stats()): the record option, its id in the buyer's list, and a product
 * mapping in `slbp_product_settings` for each course the sidecar's mapping gives the product and
 * the owner's settings do not map yet. All on the main database, inside the event's transaction;
 * repeating a write changes nothing.
 */
export class BuyerRecords {
  constructor(private readonly repo: BuyerRecordsRepository) {}

  async order(q: Queryable, userId: number, record: Record<string, unknown>): Promise<void> {
    await this.put(q, userId, ORDERS_META, orderOption, record);
  }

  async subscription(q: Queryable, userId: number, record: Record<string, unknown>): Promise<void> {
    await this.put(q, userId, SUBSCRIPTIONS_META, subscriptionOption, record);
  }

  private async put(
    q: Queryable,
    userId: number,
    listKey: string,
    option: (id: string) => string,
    record: Record<string, unknown>,
  ): Promise<void> {
    const id = String(record.id);
    const raw = await this.repo.lockMeta(q, userId, listKey);
    const ids = idList(raw, `user meta ${listKey} of user ${userId}`);
    if (!ids.includes(id)) await this.repo.setMeta(q, userId, listKey, phpSerialize([...ids, id]));
    await this.repo.putOption(q, option(id), phpSerialize(record));
  }

  /**
   * Marks a stored order record as the payment of a subscription: its `product_id` is emptied
   * (the plugin's helpers give a paid order's course for good, while a subscription's course lasts
   * as long as the subscription) and `subscription_id` names the subscription. Nothing when the
   * order has no record yet (its own event marks it then).
   */
  async markSubscriptionPayment(q: Queryable, orderId: string, subscriptionId: string): Promise<void> {
    const raw = await this.repo.lockOption(q, orderOption(orderId));
    if (raw === null) return;
    let record: unknown;
    try {
      record = maybeUnserialize(raw, `option ${orderOption(orderId)}`);
    } catch {
      return;
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) return;
    const r = record as Record<string, unknown>;
    if (r.product_id === '' && r.subscription_id === subscriptionId) return;
    await this.repo.putOption(q, orderOption(orderId), phpSerialize(asSubscriptionPayment(r, subscriptionId)));
  }

  /** Adds `{product_id, product_name, course_id}` for each course not mapped to this product yet; the owner's entries stay. */
  async mapProduct(q: Queryable, productId: string, productName: string, courses: number[]): Promise<void> {
    if (!productId || !courses.length) return;
    const raw = await this.repo.lockOption(q, PRODUCT_SETTINGS);
    let settings: unknown;
    try {
      settings = maybeUnserialize(raw, `option ${PRODUCT_SETTINGS}`);
    } catch {
      // Not ours to repair: an unreadable setting is left as the owner saved it.
      return;
    }
    const base = settings && typeof settings === 'object' && !Array.isArray(settings) ? (settings as Record<string, unknown>) : {};
    if (raw !== null && !(settings && typeof settings === 'object')) return;
    const current = base.product_mappings;
    const mappings: unknown[] = Array.isArray(current) ? current : current && typeof current === 'object' ? Object.values(current) : [];
    const has = (courseId: number) =>
      mappings.some((m) => {
        const e = m as { product_id?: unknown; course_id?: unknown } | null;
        return !!e && e.product_id === productId && Number(e.course_id) === courseId;
      });
    const missing = courses.filter((c) => !has(c));
    if (!missing.length) return;
    const next = [...mappings, ...missing.map((course_id) => ({ product_id: productId, product_name: productName, course_id }))];
    await this.repo.putOption(q, PRODUCT_SETTINGS, phpSerialize({ ...base, product_mappings: next }));
  }
}

/** One person's records in the plugin's form, found for WordPress's personal data exporter and eraser. */
export interface PersonRecords {
  /** `slbp_order_{id}`: listed under the user, or naming their email (the plugin's webhook listed none). */
  orders: [string, Record<string, unknown>][];
  /** `slbp_subscription_{id}`: listed under the user, paid by one of their orders, or linked by `slbp_subscription_user_{id}`. */
  subscriptions: [string, Record<string, unknown>][];
  /** `slbp_enrollment_{course}` user meta. */
  enrolments: [number, Record<string, unknown>][];
  /** The plugin's `slbp_subscription_user_{id}` options pointing at the user. */
  links: string[];
}

const decoded = (raw: string | undefined, source: string): Record<string, unknown> | null => {
  try {
    const v = maybeUnserialize(raw ?? null, source);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** Fields that name or reach the buyer in an order or subscription record; blanked by the eraser, the accounting values stay. */
const PERSONAL_RECORD_FIELDS = ['customer_email', 'customer_name', 'customer_id', 'card_brand', 'card_last_four'];

/**
 * The person's records in the plugin's form (the sidecar's and the old plugin's), for export and
 * erasure (src/domain/privacy-service.ts). On the main database.
 */
export class PersonalBuyerRecords {
  constructor(private readonly repo: BuyerRecordsRepository) {}

  async find(q: Queryable, userId: number | null, email: string): Promise<PersonRecords> {
    const out: PersonRecords = { orders: [], subscriptions: [], enrolments: [], links: [] };
    const orderIds = new Set<string>();
    const subscriptionIds = new Set<string>();
    if (userId !== null) {
      for (const m of await this.repo.meta(q, userId, [ORDERS_META, SUBSCRIPTIONS_META])) {
        const ids = idList(m.meta_value, `user meta ${m.meta_key} of user ${userId}`);
        for (const id of ids) (m.meta_key === ORDERS_META ? orderIds : subscriptionIds).add(id);
      }
      for (const m of await this.repo.enrolmentMeta(q, userId)) {
        const record = decoded(m.meta_value, `user meta ${m.meta_key}`);
        if (record) out.enrolments.push([Number(m.meta_key.slice('slbp_enrollment_'.length)), record]);
      }
      out.links = await this.repo.subscriptionUserLinks(q, userId);
      for (const name of out.links) subscriptionIds.add(name.slice('slbp_subscription_user_'.length));
    }
    const wanted = email.trim().toLowerCase();
    if (wanted.includes('@'))
      for (const row of await this.repo.ordersMentioning(q, wanted)) {
        const record = decoded(row.option_value, `option ${row.option_name}`);
        if (
          record &&
          String(record.customer_email ?? '')
            .trim()
            .toLowerCase() === wanted
        )
          orderIds.add(row.option_name.slice('slbp_order_'.length));
      }
    const orders = await this.repo.optionValues(q, [...orderIds].map(orderOption));
    for (const id of orderIds) {
      const record = decoded(orders.get(orderOption(id)), `option ${orderOption(id)}`);
      if (record) out.orders.push([id, record]);
    }
    const subscriptions = await this.repo.optionValues(q, [...subscriptionIds].map(subscriptionOption));
    // Subscriptions the person's orders paid for, found by the order id they carry.
    if (orderIds.size) {
      const all = await this.repo.subscriptionsOfOrders(q, [...orderIds]);
      for (const [name, value] of all) {
        const record = decoded(value, `option ${name}`);
        if (!record || !orderIds.has(String(record.order_id ?? ''))) continue;
        subscriptions.set(name, value);
        subscriptionIds.add(name.slice('slbp_subscription_'.length));
      }
    }
    for (const id of subscriptionIds) {
      const record = decoded(subscriptions.get(subscriptionOption(id)), `option ${subscriptionOption(id)}`);
      if (record) out.subscriptions.push([id, record]);
    }
    return out;
  }

  /**
   * Erases what names the person: order and subscription records keep their accounting values
   * with the buyer's email, name, customer id and card blanked; the user's lists, enrolment
   * records and subscription links are deleted. Counts per kind.
   */
  async erase(q: Queryable, userId: number | null, found: PersonRecords): Promise<Record<string, number>> {
    const blank = (r: Record<string, unknown>) => {
      const next = { ...r };
      for (const k of PERSONAL_RECORD_FIELDS) if (k in next) next[k] = '';
      return next;
    };
    for (const [id, record] of found.orders) await this.repo.putOption(q, orderOption(id), phpSerialize(blank(record)));
    for (const [id, record] of found.subscriptions) await this.repo.putOption(q, subscriptionOption(id), phpSerialize(blank(record)));
    let lists = 0;
    let enrolments = 0;
    if (userId !== null) {
      lists = await this.repo.deleteMeta(q, userId, [ORDERS_META, SUBSCRIPTIONS_META]);
      enrolments = await this.repo.deleteMeta(
        q,
        userId,
        found.enrolments.map(([course]) => `slbp_enrollment_${course}`),
      );
    }
    return {
      plugin_orders_anonymised: found.orders.length,
      plugin_subscriptions_anonymised: found.subscriptions.length,
      plugin_lists_deleted: lists,
      plugin_enrolments_deleted: enrolments,
      plugin_links_deleted: await this.repo.deleteOptions(q, found.links),
    };
  }
}
