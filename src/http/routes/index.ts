import type { Container } from '../../container.ts';
import type { RouteSpec } from '../route.ts';
import { exportRoutes } from './exports.ts';
import { healthRoutes } from './health.ts';
import { webhookRoutes } from './webhooks.ts';

/** Every route family, in one list: the router, the namespace index and the API docs read it. */
export function allRoutes(c: Container): RouteSpec[] {
  return [
    ...healthRoutes({ health: c.health, diagnostics: c.diagnostics }),
    ...webhookRoutes(c.payments.webhooks),
    ...exportRoutes(c.payments.exports),
  ];
}
