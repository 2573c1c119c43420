import type { DetailProvider } from '../observability/checks.ts';
import type { RouteSpec } from '../http/route.ts';
import type { Service } from '../lifecycle.ts';

/**
 * What every feature hands the container besides its own services: the container only
 * concatenates these (docs/architecture.md).
 */
export interface FeatureParts {
  /** The routes it serves. */
  routes: RouteSpec[];
  /** Started on every node after the server listens, stopped in reverse on shutdown. */
  services: Service[];
  /** Started only on nodes running jobs (SLBP_JOBS_ENABLED), stopped like services. */
  jobs: Service[];
  /** Its sections of /health/detailed. */
  health: Record<string, DetailProvider>;
}
