import Koa from 'koa';
import type { Container } from './container.ts';
import { requestBody } from './http/middleware/body.ts';
import { frame } from './http/middleware/frame.ts';
import { identity } from './http/middleware/identity.ts';
import { requestOrigin } from './http/middleware/origin.ts';
import { securityHeaders } from './http/middleware/security.ts';
import { buildRouter, fullPath, notFound } from './http/router.ts';
import type { AppState } from './http/route.ts';

/** Builds the Koa application from the container: middleware order and routes; never listens. */
export function createApp(c: Container): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: false });
  app.silent = true;
  const cfg = c.config;
  const rawPaths = new Set(c.routes.filter((r) => r.rawBody).map((r) => fullPath(r)));
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
      body: requestBody(cfg.server.bodyLimitBytes, (p) => rawPaths.has(p.replace(/\/+$/, ''))),
      identity: identity(c.identityResolvers, c.rateLimiter),
      draining: () => c.health.draining,
    }),
  );
  // Rate limits and other module middleware run with the caller known, before the routes.
  if (c.rateLimiter) app.use(c.rateLimiter.middleware);
  app.use(buildRouter(c.routes, () => c.settings.siteUrl));
  app.use(notFound());
  return app;
}
