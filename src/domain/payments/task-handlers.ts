import type { DatabaseRouter } from '../../data/database-router.ts';
import type { EventLedgerRepository } from '../../data/payments/event-ledger-repository.ts';
import type { MainEffectsRepository } from '../../data/payments/main-effects-repository.ts';
import type { NotificationsRepository } from '../../data/notifications-repository.ts';
import type { TasksRepository } from '../../data/payments/tasks-repository.ts';
import type { WebhookLogsRepository } from '../../data/payments/webhook-logs-repository.ts';
import type { PluginImportService } from './plugin-import-service.ts';
import type { DataExport } from './data-export.ts';
import type { SubscriptionExpiry } from './subscription-expiry.ts';
import type { TaskHandler } from '../../jobs/task-queue.ts';

export interface HandlerDeps {
  notices: NotificationsRepository;
  expiry: SubscriptionExpiry;
  exporter: DataExport;
  logs: WebhookLogsRepository;
  tasks: TasksRepository;
  ledger: EventLedgerRepository;
  effects: MainEffectsRepository;
  billingDbs: DatabaseRouter;
  imports: PluginImportService;
}

const positiveInt = (v: unknown, name: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};

/** The task types the queue works; tasks of any other type are left to the plugin. */
export function taskHandlers(d: HandlerDeps): Map<string, TaskHandler> {
  return new Map<string, TaskHandler>([
    /** `{user_ids: [..]} | {user_id}, type, title, message, data?}`: one notification per user, all or none. */
    [
      'send_notifications',
      async (data, _task, q) => {
        const ids = Array.isArray(data.user_ids) ? data.user_ids : [data.user_id];
        const users = ids.map((id) => positiveInt(id, 'user_id'));
        if (typeof data.title !== 'string' || typeof data.message !== 'string') throw new Error('title and message are required');
        for (const userId of users) {
          await d.notices.insert(q, {
            userId,
            type: typeof data.type === 'string' ? data.type : 'general',
            title: data.title as string,
            message: data.message as string,
            data: (data.data as Record<string, unknown>) ?? null,
          });
        }
      },
    ],
    [
      'subscription_expiry',
      async (data) => {
        await d.expiry.run({ noticeDays: data.notice_days === undefined ? 7 : positiveInt(data.notice_days, 'notice_days') });
      },
    ],
    /** `{user_id, kind: transactions|subscriptions}`. */
    [
      'data_export',
      async (data, task, q) => {
        const kind = data.kind ?? 'transactions';
        if (kind !== 'transactions' && kind !== 'subscriptions') throw new Error('kind must be "transactions" or "subscriptions"');
        await d.exporter.run(q, task.id, positiveInt(data.user_id, 'user_id'), kind);
      },
    ],
    /** `{days?: 30, ledger_days?: 90}`: old webhook logs and finished tasks; old idempotency ledger rows (on every shard too) and split-write records. */
    [
      'cleanup_logs',
      async (data, _task, q) => {
        const days = data.days === undefined ? 30 : positiveInt(data.days, 'days');
        const ledgerDays = data.ledger_days === undefined ? 90 : positiveInt(data.ledger_days, 'ledger_days');
        await d.logs.deleteOlderThan(q, days);
        await d.tasks.deleteFinishedOlderThan(q, days);
        await d.ledger.prune(q, ledgerDays);
        await d.effects.prune(q, ledgerDays);
        if (d.billingDbs.sharded) for (const shard of d.billingDbs.all()) await d.ledger.prune(shard, ledgerDays);
      },
    ],
    /** `{dry_run?: boolean}`: imports the PHP plugin's option-stored history (docs/decisions/0018-plugin-data-import.md). */
    [
      'plugin_import',
      async (data, task, q) => {
        await d.imports.runTask(task.id, data, q);
      },
    ],
  ]);
}
