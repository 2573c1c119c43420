import { rm, stat } from 'node:fs/promises';
import type { CacheService } from '../cache/cache-service.ts';
import { cacheTags } from '../cache/keys.ts';
import type { DatabaseRouter } from '../data/database-router.ts';
import type { Queryable } from '../data/database.ts';
import { EXPORT_GROUPS, isBillingGroup, type ExportGroup, type PersonalDataRepository } from '../data/personal-data-repository.ts';
import type { UserRow, UsersRepository } from '../data/users-repository.ts';
import { exportPath } from './payments/data-export.ts';
import type { Logger } from '../observability/logger.ts';
import { apiKeyItem } from './api-key-admin.ts';
import type { ApiKeyRow } from '../data/api-keys-repository.ts';
import { decodeJson, isoFromDb, money, normaliseSubscriptionStatus, normaliseTransactionStatus } from './billing/values.ts';
import { anonymisedMetadata, redactPersonal } from './personal-data.ts';
import type { PersonalBuyerRecords, PersonRecords } from './payments/buyer-records.ts';

/** Rows per exporter page, across groups (WordPress calls the exporter again until `done`). */
export const EXPORT_PAGE_SIZE = 100;

/** Subscriptions the gateway still bills or that still give access. */
const RUNNING = new Set(['active', 'on_trial', 'trialing', 'past_due', 'paused', 'unpaid']);

/** The person's records in the plugin's form (options and user meta the plugin's PHP helpers read), exported after the tables. */
export type PluginRecordGroup = 'plugin_orders' | 'plugin_subscriptions' | 'plugin_enrolments';

export interface ExportItem {
  group: ExportGroup | PluginRecordGroup;
  id: number;
  fields: Record<string, unknown>;
}

export interface ErasureReport {
  user_id: number | null;
  /** What was removed or detached, per kind. */
  counts: Record<string, number>;
  /** Subscriptions still running at the gateway when they were detached (billing continues there). */
  running_subscriptions: number;
  items_removed: boolean;
  items_retained: boolean;
  /** What stays and why, for the eraser's messages. */
  retained: { group: 'transactions' | 'subscriptions'; count: number; reason: 'accounting' }[];
}

/** The fields of one exported row, as its owner should read them (no API key hash, normalised statuses, ISO dates). */
function exported(group: ExportGroup, r: Record<string, unknown>): Record<string, unknown> {
  const iso = (k: string) => isoFromDb(r[k] as string | null);
  switch (group) {
    case 'transactions':
      return {
        order_id: r.order_id,
        transaction_id: r.transaction_id,
        gateway: r.payment_gateway,
        amount: money(r.amount as string),
        currency: r.currency,
        status: normaliseTransactionStatus(String(r.status)),
        course_id: r.course_id === null ? null : Number(r.course_id),
        created_at: iso('created_at'),
        metadata: decodeJson(r.metadata as string | null),
      };
    case 'subscriptions':
      return {
        subscription_id: r.subscription_id,
        gateway: r.payment_gateway,
        plan_id: r.plan_id,
        status: normaliseSubscriptionStatus(String(r.status)),
        amount: money(r.amount as string),
        currency: r.currency,
        billing_cycle: r.billing_cycle,
        next_billing_date: iso('next_billing_date'),
        expires_at: iso('expires_at'),
        created_at: iso('created_at'),
      };
    case 'enrolments':
      return {
        course_id: Number(r.course_id),
        action: r.action,
        status: r.status,
        transaction_id: r.transaction_id,
        lms: r.lms,
        notes: r.notes,
        created_at: iso('created_at'),
      };
    case 'notifications':
      return { type: r.type, title: r.title, message: r.message, is_read: Number(r.is_read) === 1, created_at: iso('created_at') };
    case 'api_keys': {
      const { id: _id, user_id: _u, ...item } = apiKeyItem(r as unknown as ApiKeyRow);
      return item;
    }
  }
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The plugin-form records of one person as export items (order and subscription records, enrolment records). */
function pluginItems(found: PersonRecords): ExportItem[] {
  return [
    ...found.orders.map(([id, r]) => ({
      group: 'plugin_orders' as const,
      id: Number(id),
      fields: {
        order_id: id,
        status: text(r.status),
        amount: text(r.total),
        currency: text(r.currency),
        product_id: text(r.product_id),
        customer_email: text(r.customer_email),
        customer_name: text(r.customer_name),
        created_at: text(r.created_at),
      },
    })),
    ...found.subscriptions.map(([id, r]) => ({
      group: 'plugin_subscriptions' as const,
      id: Number(id),
      fields: {
        subscription_id: id,
        status: text(r.status),
        product_id: text(r.product_id),
        plan_id: text(r.variant_id),
        card_brand: text(r.card_brand),
        card_last_four: text(r.card_last_four),
        next_billing_date: text(r.renews_at),
        expires_at: text(r.ends_at),
        created_at: text(r.created_at),
      },
    })),
    ...found.enrolments.map(([course, r]) => ({
      group: 'plugin_enrolments' as const,
      id: course,
      fields: {
        course_id: course,
        transaction_id: text(r.transaction_id),
        subscription_id: text(r.subscription_id),
        source: text(r.source),
        lms: text(r.lms),
        created_at: text(r.enrolled_date),
      },
    })),
  ];
}

/**
 * WordPress's personal data exporter and eraser for the plugin's tables (Tools → Export / Erase
 * Personal Data, through the shim). Erasure keeps what accounting needs and nothing that names
 * the person: transactions and subscriptions are detached from the user (user id 0) with their
 * amounts, currencies, statuses and dates, and free-text metadata reduced to its accounting keys;
 * enrolment logs, notifications, API keys, request logs, refresh tokens and queued tasks of the
 * user are deleted; webhook log payloads that name them are redacted. Revenue totals do not change.
 */
export class PrivacyService {
  constructor(
    private readonly repo: PersonalDataRepository,
    private readonly users: UsersRepository,
    private readonly dbs: DatabaseRouter,
    private readonly db: { read: Queryable; write: Queryable },
    private readonly cache: CacheService,
    private readonly exportsDir: string,
    private readonly logger: Logger,
    /** The records in the plugin's form (slbp_order_*, slbp_subscription_* options, the user's lists and slbp_enrollment_* meta). */
    private readonly pluginRecords: PersonalBuyerRecords,
  ) {}

  /** The WordPress user with this email (as get_user_by('email') finds them), or null. */
  private async user(email: string): Promise<UserRow | null> {
    return email.includes('@') ? this.users.findByLoginOrEmail(this.db.write, email) : null;
  }

  /** One page of the user's rows, group after group; `done` when nothing follows. */
  async exportPage(email: string, page: number): Promise<{ user_id: number | null; items: ExportItem[]; done: boolean }> {
    const user = await this.user(email);
    if (!user) return { user_id: null, items: [], done: true };
    const userId = Number(user.ID);
    const on = (g: ExportGroup) => (isBillingGroup(g) ? this.dbs.forWrite(userId) : this.db.write);
    const counts = await Promise.all(EXPORT_GROUPS.map((g) => this.repo.count(on(g), g, userId)));
    let skip = (page - 1) * EXPORT_PAGE_SIZE;
    let room = EXPORT_PAGE_SIZE;
    const items: ExportItem[] = [];
    for (const [i, group] of EXPORT_GROUPS.entries()) {
      const n = counts[i]!;
      if (skip >= n) {
        skip -= n;
        continue;
      }
      const rows = await this.repo.rows(on(group), group, userId, Math.min(room, n - skip), skip);
      items.push(...rows.map((r) => ({ group, id: Number(r.id), fields: exported(group, r) })));
      room -= rows.length;
      skip = 0;
      if (room === 0) break;
    }
    // After the tables: the records in the plugin's form, on the main database.
    const plugin = pluginItems(await this.pluginRecords.find(this.db.write, userId, email));
    if (room > 0) items.push(...plugin.slice(skip, skip + room));
    const total = counts.reduce((a, b) => a + b, 0) + plugin.length;
    return { user_id: userId, items, done: page * EXPORT_PAGE_SIZE >= total };
  }

  /**
   * Erases the person's data in one write (the user's billing database and the main one); safe to
   * repeat. Without a WordPress user for the email, only webhook logs naming the email are redacted.
   */
  async erase(email: string): Promise<ErasureReport> {
    const user = await this.user(email);
    const userId = user ? Number(user.ID) : null;
    const names = [email, ...(user ? [user.user_login, user.display_name] : [])].filter((s) => s && s.trim().length >= 4);
    const counts: Record<string, number> = {};
    let running = 0;
    const exportFiles: number[] = [];
    await this.dbs.write(userId ?? 0, async ({ billing, main }) => {
      if (userId !== null) {
        const txs = await this.repo.lockTransactions(billing, userId);
        for (const t of txs) await this.repo.anonymiseTransaction(billing, t.id, anonymisedMetadata(t.metadata));
        counts.transactions_anonymised = txs.length;
        running = (await this.repo.subscriptionStatuses(billing, userId))
          .filter((s) => RUNNING.has(s.status))
          .reduce((n, s) => n + Number(s.n), 0);
        counts.subscriptions_anonymised = await this.repo.anonymiseSubscriptions(billing, userId);
        counts.enrolments_deleted = await this.repo.deleteOwned(billing, 'enrollment_logs', userId);
        counts.notifications_deleted = await this.repo.deleteOwned(main, 'notifications', userId);
        counts.api_logs_deleted = await this.repo.deleteApiLogs(main, userId);
        counts.api_keys_deleted = await this.repo.deleteOwned(main, 'api_keys', userId);
        counts.refresh_tokens_deleted = await this.repo.deleteRefreshTokens(main, userId);
        counts.tasks_deleted = 0;
        counts.tasks_updated = 0;
        for (const task of await this.repo.tasksNaming(main, userId)) {
          const data = JSON.parse(task.task_data) as { user_id?: unknown; user_ids?: unknown[] };
          const others = Array.isArray(data.user_ids) ? data.user_ids.filter((u) => Number(u) !== userId) : [];
          if (others.length && Number(data.user_id) !== userId) {
            await this.repo.rewriteTask(main, task.id, JSON.stringify({ ...data, user_ids: others }));
            counts.tasks_updated++;
          } else {
            await this.repo.deleteTask(main, task.id);
            if (task.task_type === 'data_export') exportFiles.push(Number(task.id));
            counts.tasks_deleted++;
          }
        }
      }
      Object.assign(counts, await this.pluginRecords.erase(main, userId, await this.pluginRecords.find(main, userId, email)));
      const logs = await this.repo.webhookLogsNaming(main, email.includes('@') ? email : null, userId);
      for (const log of logs) await this.repo.rewriteWebhookLog(main, log.id, redactPersonal(log.payload, names, userId));
      counts.webhook_logs_redacted = logs.length;
    });
    // Export files are written by the data_export task of a row just deleted; removed after the commit.
    counts.export_files_deleted = 0;
    for (const id of exportFiles) {
      const file = exportPath(this.exportsDir, id);
      if (!(await stat(file).catch(() => null))) continue;
      await rm(file, { force: true });
      counts.export_files_deleted++;
    }
    if (userId !== null) {
      await this.cache.invalidate({ tags: cacheTags.billingChange(userId) }).catch((err) =>
        this.logger.warn('cache invalidation after a personal data erasure failed; cached lists expire on their own', {
          error: (err as Error).message,
        }),
      );
    }
    this.logger.info('personal data erased', { user_id: userId, ...counts, running_subscriptions: running });
    const retained: ErasureReport['retained'] = [];
    if (counts.transactions_anonymised)
      retained.push({ group: 'transactions', count: counts.transactions_anonymised, reason: 'accounting' });
    if (counts.subscriptions_anonymised)
      retained.push({ group: 'subscriptions', count: counts.subscriptions_anonymised, reason: 'accounting' });
    const removed = Object.values(counts).some((n) => n > 0);
    return {
      user_id: userId,
      counts,
      running_subscriptions: running,
      items_removed: removed,
      items_retained: retained.length > 0,
      retained,
    };
  }
}
