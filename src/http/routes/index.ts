import type { Container } from '../../container.ts';
import type { RouteSpec } from '../route.ts';
import { cacheRoutes } from './cache.ts';
import { docsRoutes } from './docs.ts';
import { analyticsRoutes } from './analytics.ts';
import { billingAccountRoutes } from './billing-account.ts';
import { billingRoutes } from './billing.ts';
import { withExamples } from './billing-examples.ts';
import { backupRoutes } from './backup.ts';
import { backupFileRoutes } from './backup-files.ts';
import { authRoutes } from './auth.ts';
import { healthRoutes } from './health.ts';
import { monitoringRoutes } from './monitoring.ts';
import { exportRoutes } from './exports.ts';
import { importRoutes } from './imports.ts';
import { overviewRoutes } from './overview.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { privacyRoutes } from './privacy.ts';
import { webhookRoutes } from './webhooks.ts';

/** Every route family, in one list: the router, the namespace index and the API docs read it. */
export function allRoutes(c: Container): RouteSpec[] {
  const routes: RouteSpec[] = [
    ...healthRoutes({ health: c.health, diagnostics: c.diagnostics }),
    ...monitoringRoutes({ metrics: c.monitoring.metrics, monitoring: c.monitoring.service, home: () => c.settings.homeUrl }),
    ...cacheRoutes({ cache: c.cache }),
    ...withExamples([...billingRoutes(c.billing), ...billingAccountRoutes(c.billing), ...analyticsRoutes(c.billing)]),
    ...overviewRoutes({ overview: c.billing.overview, monitoring: c.monitoring.service }),
    ...backupRoutes(c.backup),
    ...backupFileRoutes(c.backup.verifications),
    ...authRoutes({ auth: c.auth, directory: c.userDirectory }),
    ...webhookRoutes({ webhooks: c.payments.webhooks, logs: c.payments.webhookLogs, home: () => c.settings.homeUrl }),
    ...exportRoutes(c.payments.exports),
    ...importRoutes(c.payments.imports),
    ...apiKeyRoutes(c.apiKeyAdmin, () => c.settings.homeUrl),
    ...privacyRoutes(c.privacy),
  ];
  routes.push(...docsRoutes(() => routes, c.config.version));
  return routes;
}
