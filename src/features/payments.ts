import path from 'node:path';
import type { CacheService } from '../cache/cache-service.ts';
import type { Database } from '../data/database.ts';
import type { DatabaseRouter } from '../data/database-router.ts';
import { NotificationsRepository } from '../data/notifications-repository.ts';
import { BuyerRecordsRepository } from '../data/payments/buyer-records-repository.ts';
import { EnrolmentRepository } from '../data/payments/enrolment-repository.ts';
import { EventLedgerRepository } from '../data/payments/event-ledger-repository.ts';
import { MainEffectsRepository } from '../data/payments/main-effects-repository.ts';
import { OutgoingWebhooksRepository } from '../data/payments/outgoing-webhooks-repository.ts';
import { PluginDataRepository } from '../data/payments/plugin-data-repository.ts';
import { TasksRepository } from '../data/payments/tasks-repository.ts';
import { WebhookLogsRepository } from '../data/payments/webhook-logs-repository.ts';
import { countStuckTasks } from '../data/probes.ts';
import { SubscriptionsRepository } from '../data/subscriptions-repository.ts';
import type { Tables } from '../data/tables.ts';
import { TransactionsRepository } from '../data/transactions-repository.ts';
import type { UsersRepository } from '../data/users-repository.ts';
import { DataExport } from '../domain/payments/data-export.ts';
import { BuyerRecords } from '../domain/payments/buyer-records.ts';
import { EnrolmentService } from '../domain/payments/enrolment-service.ts';
import { EventApplier } from '../domain/payments/event-applier.ts';
import { ExportsService } from '../domain/payments/exports-service.ts';
import { WebhookDispatcher } from '../domain/payments/outgoing-webhooks.ts';
import { PluginImporter } from '../domain/payments/plugin-import.ts';
import { PluginImportService } from '../domain/payments/plugin-import-service.ts';
import { SubscriptionExpiry } from '../domain/payments/subscription-expiry.ts';
import { taskHandlers } from '../domain/payments/task-handlers.ts';
import { WebhookLogReader } from '../domain/payments/webhook-log-reader.ts';
import { WebhookProcessor } from '../domain/payments/webhook-processor.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { exportRoutes } from '../http/routes/exports.ts';
import { importRoutes } from '../http/routes/imports.ts';
import { webhookRoutes } from '../http/routes/webhooks.ts';
import { integrationWebhookRoutes } from '../http/routes/integration-webhooks.ts';
import { IntegrationWebhooks } from '../domain/integration-webhooks.ts';
import { IntegrationsRepository } from '../data/integrations-repository.ts';
import { cacheTags } from '../cache/keys.ts';
import { DailyTask } from '../jobs/daily-task.ts';
import { TaskQueue } from '../jobs/task-queue.ts';
import type { Logger } from '../observability/logger.ts';
import type { FeatureParts } from './feature.ts';

export interface PaymentsDeps {
  db: Database;
  /** Where billing rows are written (SLBP_SHARDS). */
  databases: DatabaseRouter;
  tables: Tables;
  cache: CacheService;
  settings: SiteSettings;
  users: UsersRepository;
  logger: Logger;
  dataDir: string;
  /** The site key: exports live in `<dataDir>/exports/<site key>`, since export ids are per database. */
  siteKey: string;
}

/** Lemon Squeezy webhooks, enrolment, outgoing webhooks, the plugin import, exports and the task queue with its jobs. */
export interface Payments extends FeatureParts {
  webhooks: WebhookProcessor;
  dispatcher: WebhookDispatcher;
  queue: TaskQueue;
  expiry: SubscriptionExpiry;
  /** Keeps one subscription_expiry task a day in the queue. */
  expiryScheduler: DailyTask;
  exports: ExportsService;
  tasks: TasksRepository;
  importer: PluginImporter;
  imports: PluginImportService;
  /** The webhook log, for administrators. */
  webhookLogs: WebhookLogReader;
}

/** Builds the payments services, their routes and jobs. */
export function createPayments(d: PaymentsDeps): Payments {
  const { db, tables, logger } = d;
  const dbs = d.databases;
  const effects = new MainEffectsRepository(tables);
  const transactions = new TransactionsRepository(tables);
  const subscriptions = new SubscriptionsRepository(tables);
  const logs = new WebhookLogsRepository(tables);
  const ledger = new EventLedgerRepository(tables);
  const notices = new NotificationsRepository(tables);
  const tasks = new TasksRepository(tables);
  const enrolment = new EnrolmentService(d.users, new EnrolmentRepository(tables));
  const mappings = () => d.settings.courseMappings;
  const applier = new EventApplier(
    transactions,
    subscriptions,
    enrolment,
    mappings,
    (userId) => dbs.forWrite(userId),
    new BuyerRecords(new BuyerRecordsRepository(tables)),
  );
  const secret = () => String(d.settings.paymentSettings.webhook_secret ?? '');
  const webhooks = new WebhookProcessor(db, dbs, enrolment, effects, ledger, logs, applier, d.cache, secret, logger);
  const dispatcher = new WebhookDispatcher(db.write, new OutgoingWebhooksRepository(tables), logs, logger);
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
  const queue = new TaskQueue(db, tasks, handlers, logger, { enabled: () => d.settings.performance.enable_background_processing });
  const expiryScheduler = new DailyTask('subscription_expiry', db, tasks, logger, { priority: 5, what: 'subscription expiry' });
  const exports = new ExportsService(db, tasks, exportsDir);
  const webhookLogs = new WebhookLogReader(db.read, logs);
  const integrations = new IntegrationWebhooks({
    option: (name) => d.settings.get(name),
    main: db.write,
    billing: () => dbs.all(),
    repo: new IntegrationsRepository(tables),
    users: d.users,
    billingChanged: async (userIds) => {
      if (userIds.length) await d.cache.invalidate({ tags: [...new Set(userIds.flatMap(cacheTags.billingChange))] });
    },
    logger,
  });
  return {
    webhooks,
    dispatcher,
    queue,
    expiry,
    expiryScheduler,
    exports,
    tasks,
    importer,
    imports,
    webhookLogs,
    routes: [
      ...webhookRoutes({ webhooks, logs: webhookLogs, home: () => d.settings.homeUrl }),
      ...integrationWebhookRoutes(integrations),
      ...exportRoutes(exports),
      ...importRoutes(imports),
    ],
    // Outgoing webhooks are sent from every node; the queue worker and the expiry schedule run only where jobs are on.
    services: [{ name: 'outgoing-webhooks', stop: () => dispatcher.stop() }],
    jobs: [queue, expiryScheduler],
    health: {
      background_processing: async () => {
        const stuck = await countStuckTasks(db.read, tables, 900);
        return {
          healthy: stuck === 0,
          message: stuck ? `${stuck} task(s) stuck in processing` : 'Background processing working normally',
          stuck_tasks: stuck,
        };
      },
    },
  };
}
