import type { CacheService } from '../../cache/cache-service.ts';
import type { Config } from '../../config/schema.ts';
import type { Database } from '../../data/database.ts';
import { NotificationsRepository } from '../../data/notifications-repository.ts';
import { EnrolledCoursesReadModel } from '../../data/read-models/enrolled-courses-read-model.ts';
import { OverviewReadModel } from '../../data/read-models/overview-read-model.ts';
import { RevenueReadModel } from '../../data/read-models/revenue-read-model.ts';
import { SubscriptionStatsReadModel } from '../../data/read-models/subscription-stats-read-model.ts';
import { ResumeStatesRepository } from '../../data/resume-states-repository.ts';
import { SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import type { Tables } from '../../data/tables.ts';
import { TransactionsRepository } from '../../data/transactions-repository.ts';
import type { UsersRepository } from '../../data/users-repository.ts';
import type { SiteSettings } from '../site-settings.ts';
import { AccountService } from './account-service.ts';
import { AnalyticsService } from './analytics-service.ts';
import { BillingReads } from './billing-reads.ts';
import { BillingService } from './billing-service.ts';
import { InvoiceService } from './invoice-service.ts';
import { LemonSqueezyClient } from './lemon-squeezy-client.ts';
import { OverviewService } from './overview-service.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import { SubscriptionActions } from './subscription-actions.ts';

export interface BillingModule {
  billing: BillingService;
  actions: SubscriptionActions;
  account: AccountService;
  analytics: AnalyticsService;
  /** The store owner's Overview: analytics reports plus failed payments and the last gateway webhook. */
  overview: OverviewService;
  invoices: InvoiceService;
  /** The site's home URL (WordPress's `home` option): the base of absolute links in answers. */
  home(): string;
}

export interface BillingDeps {
  config: Config;
  tables: Tables;
  db: Database;
  cache: CacheService;
  settings: SiteSettings;
  users: UsersRepository;
  /** Chooses the database of every read and write (replicas, read-your-writes, SLBP_SHARDS). */
  databases: DatabaseRouter;
}

/** Builds the billing repositories and services once; called from the container. */
export function createBillingModule(d: BillingDeps): BillingModule {
  const dbs = d.databases;
  const reads = new BillingReads(dbs, d.cache);
  const transactions = new TransactionsRepository(d.tables);
  const subscriptions = new SubscriptionsRepository(d.tables);
  const courses = new EnrolledCoursesReadModel(d.tables);
  const billing = new BillingService(reads, transactions, subscriptions, dbs);
  const gateway = new LemonSqueezyClient(d.config.billing.lemonSqueezyApiUrl, d.config.billing.gatewayTimeoutMs);
  const credentials = () => {
    const p = d.settings.paymentSettings;
    const apiKey = typeof p.lemon_squeezy_api_key === 'string' ? p.lemon_squeezy_api_key.trim() : '';
    return apiKey ? { apiKey, storeId: p.lemon_squeezy_store_id === undefined ? undefined : String(p.lemon_squeezy_store_id) } : null;
  };
  const analytics = new AnalyticsService(
    reads,
    new RevenueReadModel(d.tables),
    new SubscriptionStatsReadModel(d.tables),
    () => d.settings.timeZone,
    d.config.billing.analyticsTtlSec,
    dbs,
  );
  return {
    billing,
    actions: new SubscriptionActions(dbs, subscriptions, gateway, credentials, d.cache, new ResumeStatesRepository(d.tables)),
    account: new AccountService(reads, billing, courses, new NotificationsRepository(d.tables), dbs, d.cache),
    analytics,
    overview: new OverviewService(
      analytics,
      reads,
      new OverviewReadModel(d.tables),
      dbs,
      () => d.db.read,
      d.config.billing.analyticsTtlSec,
    ),
    invoices: new InvoiceService(reads, dbs, billing, d.users, courses, () => ({
      name: d.settings.blogName,
      url: d.settings.siteUrl,
      email: d.settings.adminEmail,
    })),
    home: () => d.settings.homeUrl,
  };
}
