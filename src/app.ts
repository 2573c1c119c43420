import Koa from 'koa';
import type { Container } from './container.ts';
import { requestBody } from './http/middleware/body.ts';
import { frame } from './http/middleware/frame.ts';
import { identity } from './http/middleware/identity.ts';
import { requestOrigin } from './http/middleware/origin.ts';
import { securityHeaders } from './http/middleware/security.ts';
import type { AppState } from './http/route.ts';

/**
 * Builds the Koa application from the container: one frame around every request, which matches
 * the route once (the container's route table) and runs everything that follows from it; never listens.
 */
export function createApp(c: Container): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: false });
  app.silent = true;
  const cfg = c.config;
  app.use(
    frame({
      logger: c.logger,
      trustedProxies: c.trustedProxies,
      observers: c.requestObservers,
      headers: securityHeaders(cfg.server.corsOrigins),
      origin: requestOrigin({
        trustedProxies: c.trustedProxies,
        healthCheckIps: () => [...cfg.security.healthCheckIps, ...c.settings.healthCheckIps],
        monitoringIps: () => [...cfg.security.monitoringIps, ...c.settings.monitoringIps],
        version: () => c.settings.version,
        metricsToken: cfg.security.metricsToken,
        healthToken: cfg.security.healthToken,
      }),
      route: (ctx) => c.routeTable.matchRequest(ctx.req),
      body: requestBody(cfg.server.bodyLimitBytes),
      identity: identity(c.identityResolvers, c.rateLimiter),
      limit: c.rateLimiter?.limit ?? (() => undefined),
      draining: () => c.health.draining,
      staleAge: (value) => c.cache.staleAge(value),
    }),
  );
  return app;
}
