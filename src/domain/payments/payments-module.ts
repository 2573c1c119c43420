import path from 'node:path';
import type { CacheService } from '../../cache/cache-service.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import type { Database } from '../../data/database.ts';
import { UsersRepository } from '../../data/users-repository.ts';
import { EnrolmentRepository } from '../../data/payments/enrolment-repository.ts';
import { EventLedgerRepository } from '../../data/payments/event-ledger-repository.ts';
import { MainEffectsRepository } from '../../data/payments/main-effects-repository.ts';
import { PluginDataRepository } from '../../data/payments/plugin-data-repository.ts';
import { NotificationsRepository } from '../../data/notifications-repository.ts';
import { OutgoingWebhooksRepository } from '../../data/payments/outgoing-webhooks-repository.ts';
import { TasksRepository } from '../../data/payments/tasks-repository.ts';
import { WebhookLogsRepository } from '../../data/payments/webhook-logs-repository.ts';
import type { Tables } from '../../data/tables.ts';
import { SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import { TransactionsRepository } from '../../data/transactions-repository.ts';
import { DataExport } from './data-export.ts';
import { SubscriptionExpiry } from './subscription-expiry.ts';
import { DailyTask } from '../../jobs/daily-task.ts';
import { taskHandlers } from './task-handlers.ts';
import { TaskQueue, type TaskQueueOptions } from '../../jobs/task-queue.ts';
import type { Logger } from '../../observability/logger.ts';
import type { SiteSettings } from '../site-settings.ts';
import { EnrolmentService } from './enrolment-service.ts';
import { EventApplier } from './event-applier.ts';
import { ExportsService } from './exports-service.ts';
import { WebhookDispatcher, type DispatcherOptions } from './outgoing-webhooks.ts';
import { PluginImporter } from './plugin-import.ts';
import { PluginImportService } from './plugin-import-service.ts';
import { WebhookLogReader } from './webhook-log-reader.ts';
import { WebhookProcessor } from './webhook-processor.ts';

export interface PaymentsDeps {
  db: Database;
  tables: Tables;
  cache: CacheService;
  settings: SiteSettings;
  logger: Logger;
  dataDir: string;
  /** The site key: exports live in `<dataDir>/exports/<site key>`, since export ids are per database. */
  siteKey: string;
  /** Where billing rows are written (SLBP_SHARDS); built from `db` when not given. */
  billingDbs: DatabaseRouter;
}

export interface Payments {
  webhooks: WebhookProcessor;
  dispatcher: WebhookDispatcher;
  queue: TaskQueue;
  expiry: SubscriptionExpiry;
  expiryScheduler: DailyTask;
  exports: ExportsService;
  tasks: TasksRepository;
  importer: PluginImporter;
  imports: PluginImportService;
  /** The webhook log, for administrators. */
  webhookLogs: WebhookLogReader;
}

/** Builds the payments module: webhook intake, enrolment, outgoing webhooks, the task queue and its jobs. */
export function buildPayments(d: PaymentsDeps, opts: { queue?: TaskQueueOptions; dispatcher?: DispatcherOptions } = {}): Payments {
  const { db, tables, logger } = d;
  const dbs = d.billingDbs;
  const effects = new MainEffectsRepository(tables);
  const transactions = new TransactionsRepository(tables);
  const subscriptions = new SubscriptionsRepository(tables);
  const logs = new WebhookLogsRepository(tables);
  const ledger = new EventLedgerRepository(tables);
  const notices = new NotificationsRepository(tables);
  const tasks = new TasksRepository(tables);
  const enrolment = new EnrolmentService(new UsersRepository(tables), new EnrolmentRepository(tables));
  const mappings = () => d.settings.courseMappings;
  const applier = new EventApplier(transactions, subscriptions, enrolment, mappings, (userId) => dbs.forWrite(userId));
  const secret = () => String(d.settings.paymentSettings.webhook_secret ?? '');
  const webhooks = new WebhookProcessor(db, dbs, enrolment, effects, ledger, logs, applier, d.cache, secret, logger);
  const dispatcher = new WebhookDispatcher(db.write, new OutgoingWebhooksRepository(tables), logs, logger, opts.dispatcher);
  webhooks.onApplied((event, { userId, transaction, subscription, enrolled, unenrolled }) => {
    const data = {
      user_id: userId,
      transaction: transaction ?? null,
      subscription: subscription ?? null,
      enrolled_courses: enrolled,
      unenrolled_courses: unenrolled,
    };
    dispatcher
      .dispatch(event, data)
      .catch((err) => logger.warn('outgoing webhooks could not be sent', { event, error: (err as Error).message }));
  });
  // Export ids are task ids, which every site numbers from 1: sites sharing a data directory need their own.
  const exportsDir = path.join(d.dataDir, 'exports', d.siteKey);
  const expiry = new SubscriptionExpiry(dbs, subscriptions, notices, effects, logger);
  const exporter = new DataExport(dbs, transactions, subscriptions, notices, exportsDir);
  const plugin = new PluginDataRepository(tables);
  const importer = new PluginImporter(db, dbs, transactions, subscriptions, plugin, mappings, d.cache);
  const imports = new PluginImportService(db, tasks, plugin, importer);
  const handlers = taskHandlers({ notices, expiry, exporter, logs, tasks, ledger, effects, billingDbs: dbs, imports });
  const queue = new TaskQueue(db, tasks, handlers, logger, {
    enabled: () => d.settings.performance.enable_background_processing,
    ...opts.queue,
  });
  return {
    webhooks,
    dispatcher,
    queue,
    expiry,
    expiryScheduler: new DailyTask('subscription_expiry', db, tasks, logger, { priority: 5, what: 'subscription expiry' }),
    exports: new ExportsService(db, tasks, exportsDir),
    tasks,
    importer,
    imports,
    webhookLogs: new WebhookLogReader(db.read, logs),
  };
}
