import type { Container } from '../../container.ts';
import type { RouteSpec } from '../route.ts';
import { authRoutes } from './auth.ts';
import { healthRoutes } from './health.ts';

/** Every route family, in one list: the router, the namespace index and the API docs read it. */
export function allRoutes(c: Container): RouteSpec[] {
  return [
    ...healthRoutes({ health: c.health, diagnostics: c.diagnostics }),
    ...authRoutes({ auth: c.auth, directory: c.userDirectory }),
  ];
}
