import type { CacheService } from '../../cache/cache-service.ts';
import { cacheTags } from '../../cache/keys.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { Database, Queryable } from '../../data/database.ts';
import type { OptionRow, PluginDataRepository, PluginKind } from '../../data/payments/plugin-data-repository.ts';
import type { SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import type { TransactionsRepository } from '../../data/transactions-repository.ts';
import { withLockRetry } from '../../data/payments/sql-errors.ts';
import { PhpSerializeError, phpUnserialize } from '../../data/php-serialize.ts';
import { GATEWAY } from './event-applier.ts';
import { coursesFor } from './enrolment-service.ts';
import { inferCycle, MalformedRecord, parseEnrolment, parseOrder, parseSubscription, type PluginOrder } from './plugin-records.ts';

export type Outcome = 'imported' | 'already_present' | 'unmatched' | 'malformed';
export interface Counts {
  imported: number;
  already_present: number;
  unmatched: number;
  malformed: number;
}
export interface Problem {
  source: string;
  reason: string;
}
export interface ImportSummary {
  dry_run: boolean;
  orders: Counts;
  subscriptions: Counts;
  enrolments: Counts;
  unmatched: Problem[];
  malformed: Problem[];
  /** Imported with a documented fallback (e.g. a subscription whose order is unknown: amount 0.00). */
  warnings: Problem[];
}
export interface ImportProgress {
  phase: 'orders' | 'subscriptions' | 'enrolments';
  done: number;
  total: number;
}
export interface ImportOptions {
  dryRun?: boolean;
  onProgress?: (p: ImportProgress) => void;
  onRecord?: (line: string) => void;
}

const PAGE = 200;
const ACCESS = new Set(['on_trial', 'active', 'past_due', 'paused']);
const zero = (): Counts => ({ imported: 0, already_present: 0, unmatched: 0, malformed: 0 });

/** Maps a gateway id to a WordPress user from the plugin's link options and `slbp_orders`/`slbp_subscriptions` meta. */
type Links = Map<string, number>;

/**
 * Imports the PHP plugin's option-stored Lemon Squeezy history into the billing tables, with the
 * webhook's keys (gateway + order/subscription id), so rows the webhook already wrote, or an
 * earlier run imported, are left as they are (on whichever billing shard holds them). Users come
 * from the plugin's links, else the order's email; nobody is created. Each record is its own
 * short transaction on its user's billing database.
 */
export class PluginImporter {
  constructor(
    private readonly db: Database,
    private readonly dbs: DatabaseRouter,
    private readonly transactions: TransactionsRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly plugin: PluginDataRepository,
    private readonly mappings: () => Record<string, unknown>,
    private readonly cache: CacheService,
  ) {}

  async run(opts: ImportOptions = {}): Promise<ImportSummary> {
    const dry = opts.dryRun ?? false;
    const s: ImportSummary = {
      dry_run: dry,
      orders: zero(),
      subscriptions: zero(),
      enrolments: zero(),
      unmatched: [],
      malformed: [],
      warnings: [],
    };
    const touched = new Set<number>();
    const q = this.db.write;
    const orderLinks = await this.links(q, 'order', 'slbp_orders', s);
    const subLinks = await this.links(q, 'subscription', 'slbp_subscriptions', s);
    const orderUsers = new Map<string, number>();

    await this.each(
      q,
      'order',
      opts,
      async (row) => {
        const o = parseOrder(phpUnserialize(row.option_value, `option ${row.option_name}`));
        this.checkName(row, 'order', o.id);
        const present = await this.dbs.locate((b) => this.transactions.findByOrderId(b, GATEWAY, o.id));
        if (present) {
          orderUsers.set(o.id, Number(present.value.user_id));
          return 'already_present';
        }
        const userId = orderLinks.get(o.id) ?? (o.customerEmail ? await this.plugin.userByEmail(q, o.customerEmail) : null);
        if (userId === null) return this.unmatched(s, row, `no linked user and no user with email ${o.customerEmail ?? '(none)'}`);
        return this.dbs.transaction(userId, async (t) => {
          const existing = await this.transactions.lockByOrderId(t, GATEWAY, o.id);
          if (existing) {
            orderUsers.set(o.id, Number(existing.user_id));
            return 'already_present';
          }
          orderUsers.set(o.id, userId);
          opts.onRecord?.(`${dry ? 'would import' : 'import'} order ${o.id} → user ${userId}: ${o.total} ${o.currency} ${o.status}`);
          if (!dry) await this.transactions.insert(t, this.transaction(o, userId));
          touched.add(userId);
          return 'imported';
        });
      },
      s.orders,
      s,
    );

    await this.each(
      q,
      'subscription',
      opts,
      async (row) => {
        const sub = parseSubscription(phpUnserialize(row.option_value, `option ${row.option_name}`));
        this.checkName(row, 'subscription', sub.id);
        if (await this.dbs.locate((b) => this.subscriptions.findBySubscriptionId(b, GATEWAY, sub.id))) return 'already_present';
        const order = sub.orderId ? await this.linkedOrder(q, sub.orderId, s, row) : null;
        const stored =
          sub.orderId && !order
            ? ((await this.dbs.locate((b) => this.transactions.findByOrderId(b, GATEWAY, sub.orderId!)))?.value ?? null)
            : null;
        const userId =
          subLinks.get(sub.id) ??
          (sub.orderId ? (orderUsers.get(sub.orderId) ?? (stored ? Number(stored.user_id) : null)) : null) ??
          (order?.customerEmail ? await this.plugin.userByEmail(q, order.customerEmail) : null);
        if (userId === null)
          return this.unmatched(
            s,
            row,
            sub.orderId ? `no linked user, and order ${sub.orderId} has no matching user` : 'no linked user and no order',
          );
        return this.dbs.transaction(userId, async (t) => {
          if (await this.subscriptions.lockBySubscriptionId(t, GATEWAY, sub.id)) return 'already_present';
          const amount = order?.total ?? stored?.amount ?? null;
          if (amount === null)
            s.warnings.push({ source: row.option_name, reason: `order ${sub.orderId ?? '(none)'} not found: amount 0.00 USD` });
          const cycle = inferCycle(sub);
          const nextBillingDate = ACCESS.has(sub.status) && sub.status !== 'paused' ? sub.renewsAt : null;
          opts.onRecord?.(`${dry ? 'would import' : 'import'} subscription ${sub.id} → user ${userId}: ${sub.status} ${cycle}`);
          if (!dry) {
            await this.subscriptions.insert(t, {
              userId,
              subscriptionId: sub.id,
              gateway: GATEWAY,
              planId: sub.variantId,
              status: sub.status,
              amount: amount ?? '0.00',
              currency: order?.currency ?? stored?.currency ?? 'USD',
              billingCycle: cycle,
              nextBillingDate,
              expiresAt: sub.status === 'cancelled' || sub.status === 'expired' ? sub.endsAt : null,
              createdAt: sub.createdAt,
              updatedAt: sub.updatedAt,
            });
          }
          touched.add(userId);
          return 'imported';
        });
      },
      s.subscriptions,
      s,
    );

    await this.enrolments(opts, s, touched);
    if (!dry && touched.size)
      await this.cache.invalidate({ tags: [...new Set([...touched].flatMap(cacheTags.billingChange))] }).catch(() => undefined);
    return s;
  }

  private transaction(o: PluginOrder, userId: number) {
    return {
      userId,
      orderId: o.id,
      transactionId: o.id,
      gateway: GATEWAY,
      amount: o.total,
      currency: o.currency,
      status: o.status,
      courseId: coursesFor(this.mappings(), o.productId)[0] ?? null,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
      metadata: {
        source: 'plugin_import',
        order_number: o.orderNumber,
        product_id: o.productId,
        variant_id: o.variantId,
        subtotal: o.subtotal,
        discount_total: o.discountTotal,
        tax: o.tax,
        refunded_amount: o.refundedAmount,
        test_mode: o.testMode,
      },
    };
  }

  private async enrolments(opts: ImportOptions, s: ImportSummary, touched: Set<number>): Promise<void> {
    const rows = await this.plugin.enrolmentMeta(this.db.write);
    const existing = await this.plugin.existingUsers(this.db.write, [...new Set(rows.map((r) => Number(r.user_id)))]);
    let done = 0;
    for (const row of rows) {
      const source = `user meta ${row.meta_key} of user ${row.user_id}`;
      const courseId = Number(row.meta_key.slice('slbp_enrollment_'.length));
      const userId = Number(row.user_id);
      const outcome = await this.guard(s, source, async (): Promise<Outcome> => {
        if (!existing.has(userId)) return this.unmatched(s, { option_name: source } as OptionRow, 'the user no longer exists');
        const e = parseEnrolment(phpUnserialize(row.meta_value, source));
        return this.dbs.transaction(userId, async (t) => {
          if (await this.plugin.lockEnrolmentLog(t, userId, courseId, e.transactionId)) return 'already_present';
          opts.onRecord?.(`${opts.dryRun ? 'would log' : 'log'} enrolment of user ${userId} in course ${courseId}`);
          if (!opts.dryRun) {
            await this.plugin.insertEnrolmentLog(t, {
              userId,
              courseId,
              transactionId: e.transactionId,
              lms: e.lms,
              createdAt: e.enrolledDate,
              notes: `Imported from the plugin's enrolment record (source: ${e.source}${e.subscriptionId ? `, subscription ${e.subscriptionId}` : ''})`,
            });
          }
          touched.add(userId);
          return 'imported';
        });
      });
      s.enrolments[outcome]++;
      opts.onProgress?.({ phase: 'enrolments', done: ++done, total: rows.length });
    }
  }

  /** Works through every `slbp_{kind}_{id}` option page by page; one bad record never stops the run. */
  private async each(
    q: Queryable,
    kind: PluginKind,
    opts: ImportOptions,
    fn: (row: OptionRow) => Promise<Outcome>,
    counts: Counts,
    s: ImportSummary,
  ): Promise<void> {
    const total = await this.plugin.countRecords(q, kind);
    const phase = kind === 'order' ? 'orders' : 'subscriptions';
    let done = 0;
    for (let after = 0; ;) {
      const page = await this.plugin.recordPage(q, kind, after, PAGE);
      if (!page.length) break;
      for (const row of page) {
        counts[await this.guard(s, row.option_name, () => fn(row))]++;
        opts.onProgress?.({ phase, done: ++done, total: Math.max(total, done) });
      }
      after = Number(page[page.length - 1]!.option_id);
    }
  }

  /** Runs one record; a record that cannot be read is reported by name and counted, anything else propagates. */
  private async guard(s: ImportSummary, source: string, fn: () => Promise<Outcome>): Promise<Outcome> {
    try {
      return await withLockRetry(fn);
    } catch (err) {
      if (!(err instanceof MalformedRecord) && !(err instanceof PhpSerializeError)) throw err;
      s.malformed.push({ source, reason: err instanceof PhpSerializeError ? err.message.slice(err.source.length + 2) : err.message });
      return 'malformed';
    }
  }

  private unmatched(s: ImportSummary, row: Pick<OptionRow, 'option_name'>, reason: string): Outcome {
    s.unmatched.push({ source: row.option_name, reason });
    return 'unmatched';
  }

  private checkName(row: OptionRow, kind: PluginKind, id: string): void {
    if (row.option_name !== `slbp_${kind}_${id}`) throw new MalformedRecord(`its id ${id} does not match the option name`);
  }

  /** The subscription's first order as the plugin stored it; a broken order option only costs the amount. */
  private async linkedOrder(q: Queryable, orderId: string, s: ImportSummary, row: OptionRow): Promise<PluginOrder | null> {
    const raw = (await this.plugin.optionValues(q, [`slbp_order_${orderId}`])).get(`slbp_order_${orderId}`);
    if (raw === undefined) return null;
    try {
      return parseOrder(phpUnserialize(raw, `option slbp_order_${orderId}`));
    } catch {
      s.warnings.push({ source: row.option_name, reason: `its order option slbp_order_${orderId} is malformed` });
      return null;
    }
  }

  /** Gateway id → user, from `slbp_{kind}_user_{id}` options first, then the users' meta lists; links to deleted users are ignored. */
  private async links(q: Queryable, kind: PluginKind, metaKey: string, s: ImportSummary): Promise<Links> {
    const out: Links = new Map();
    const candidates: [string, number][] = [];
    for (const r of await this.plugin.metaByKey(q, metaKey)) {
      let ids: unknown;
      const source = `user meta ${metaKey} of user ${r.user_id}`;
      try {
        ids = phpUnserialize(r.meta_value, source);
      } catch (err) {
        // Reported, not counted: the records it links still import, matched by email.
        s.malformed.push({ source, reason: (err as Error).message.slice(source.length + 2) });
        continue;
      }
      for (const id of Array.isArray(ids) ? ids : ids && typeof ids === 'object' ? Object.values(ids) : [])
        candidates.push([String(id), Number(r.user_id)]);
    }
    // Options are the plugin's own per-record link: they win over the meta lists.
    for (const r of await this.plugin.userLinks(q, kind)) {
      const user = Number(r.option_value);
      if (Number.isSafeInteger(user) && user > 0) candidates.push([r.option_name.slice(`slbp_${kind}_user_`.length), user]);
    }
    const exists = await this.plugin.existingUsers(q, [...new Set(candidates.map(([, u]) => u))]);
    for (const [id, user] of candidates) if (exists.has(user)) out.set(id, user);
    return out;
  }
}
