import type { Container } from '../../container.ts';
import type { RouteSpec } from '../route.ts';
import { analyticsRoutes } from './analytics.ts';
import { billingAccountRoutes } from './billing-account.ts';
import { billingRoutes } from './billing.ts';
import { withExamples } from './billing-examples.ts';
import { healthRoutes } from './health.ts';

/** Every route family, in one list: the router, the namespace index and the API docs read it. */
export function allRoutes(c: Container): RouteSpec[] {
  return [
    ...healthRoutes({ health: c.health, diagnostics: c.diagnostics }),
    ...withExamples([...billingRoutes(c.billing), ...billingAccountRoutes(c.billing), ...analyticsRoutes(c.billing)]),
  ];
}
