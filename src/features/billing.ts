import type { CacheService } from '../cache/cache-service.ts';
import type { Config } from '../config/schema.ts';
import type { Database } from '../data/database.ts';
import type { DatabaseRouter } from '../data/database-router.ts';
import { NotificationsRepository } from '../data/notifications-repository.ts';
import { EnrolledCoursesReadModel } from '../data/read-models/enrolled-courses-read-model.ts';
import { OverviewReadModel } from '../data/read-models/overview-read-model.ts';
import { RevenueReadModel } from '../data/read-models/revenue-read-model.ts';
import { SubscriptionStatsReadModel } from '../data/read-models/subscription-stats-read-model.ts';
import { ResumeStatesRepository } from '../data/resume-states-repository.ts';
import { SubscriptionsRepository } from '../data/subscriptions-repository.ts';
import type { Tables } from '../data/tables.ts';
import { TransactionsRepository } from '../data/transactions-repository.ts';
import type { UsersRepository } from '../data/users-repository.ts';
import { AccountService } from '../domain/billing/account-service.ts';
import { AnalyticsService } from '../domain/billing/analytics-service.ts';
import { BillingReads } from '../domain/billing/billing-reads.ts';
import { BillingService } from '../domain/billing/billing-service.ts';
import { InvoiceService } from '../domain/billing/invoice-service.ts';
import { LemonSqueezyClient } from '../domain/billing/lemon-squeezy-client.ts';
import { OverviewService } from '../domain/billing/overview-service.ts';
import { SubscriptionActions } from '../domain/billing/subscription-actions.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { analyticsRoutes } from '../http/routes/analytics.ts';
import { billingAccountRoutes } from '../http/routes/billing-account.ts';
import { withExamples } from '../http/routes/billing-examples.ts';
import { billingRoutes } from '../http/routes/billing.ts';
import { overviewRoutes } from '../http/routes/overview.ts';
import type { MonitoringService } from '../monitoring/monitoring-service.ts';
import type { FeatureParts } from './feature.ts';

export interface BillingDeps {
  config: Config;
  tables: Tables;
  db: Database;
  /** Chooses the database of every read and write (replicas, read-your-writes, SLBP_SHARDS). */
  databases: DatabaseRouter;
  cache: CacheService;
  settings: SiteSettings;
  users: UsersRepository;
  /** The active alerts the store owner's Overview shows beside the figures. */
  monitoring: MonitoringService;
}

/** Transactions, subscriptions (cancel and resume at the gateway), invoices, the account pages, analytics and the Overview. */
export interface Billing extends FeatureParts {
  billing: BillingService;
  actions: SubscriptionActions;
  account: AccountService;
  analytics: AnalyticsService;
  /** The store owner's Overview: analytics reports plus failed payments and the last gateway webhook. */
  overview: OverviewService;
  invoices: InvoiceService;
}

/** Builds the billing repositories, services and routes once. */
export function createBilling(d: BillingDeps): Billing {
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
  const actions = new SubscriptionActions(dbs, subscriptions, gateway, credentials, d.cache, new ResumeStatesRepository(d.tables));
  const account = new AccountService(reads, billing, courses, new NotificationsRepository(d.tables), dbs, d.cache);
  const overview = new OverviewService(
    analytics,
    reads,
    new OverviewReadModel(d.tables),
    dbs,
    () => d.db.read,
    d.config.billing.analyticsTtlSec,
  );
  const invoices = new InvoiceService(reads, dbs, billing, d.users, courses, () => ({
    name: d.settings.blogName,
    url: d.settings.siteUrl,
    email: d.settings.adminEmail,
  }));
  // The site's home URL (WordPress's `home` option): the base of absolute links in answers.
  const home = () => d.settings.homeUrl;
  return {
    billing,
    actions,
    account,
    analytics,
    overview,
    invoices,
    routes: [
      ...withExamples([
        ...billingRoutes({ billing, actions, invoices, home }),
        ...billingAccountRoutes({ account, home }),
        ...analyticsRoutes({ analytics }),
      ]),
      ...overviewRoutes({ overview, monitoring: d.monitoring }),
    ],
    services: [],
    jobs: [],
    health: {},
  };
}
