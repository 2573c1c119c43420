import type { Container } from '../../container.ts';
import type { RouteSpec } from '../route.ts';
import { backupRoutes } from './backup.ts';
import { healthRoutes } from './health.ts';

/** Every route family, in one list: the router, the namespace index and the API docs read it. */
export function allRoutes(c: Container): RouteSpec[] {
  return [
    ...healthRoutes({ health: c.health, diagnostics: c.diagnostics }),
    ...backupRoutes(c.backup),
  ];
}
