import Koa from 'koa';
import type { Container } from './container.ts';
import { requestBody } from './http/middleware/body.ts';
import { errorHandler } from './http/middleware/errors.ts';
import { identity } from './http/middleware/identity.ts';
import { requestOrigin } from './http/middleware/origin.ts';
import { requestContext } from './http/middleware/request-context.ts';
import { respond } from './http/middleware/respond.ts';
import { securityHeaders } from './http/middleware/security.ts';
import { buildRouter, fullPath, notFound } from './http/router.ts';
import type { AppState } from './http/route.ts';

/** Builds the Koa application from the container: middleware order and routes; never listens. */
export function createApp(c: Container): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: false });
  app.silent = true;
  const cfg = c.config;
  app.use(requestContext(c.logger, c.trustedProxies, c.requestObservers));
  app.use(errorHandler());
  app.use(async (ctx, next) => {
    await next();
    // While draining, ask keep-alive clients to reconnect (to another node).
    if (c.health.draining) ctx.set('Connection', 'close');
  });
  app.use(respond());
  app.use(securityHeaders(cfg.server.corsOrigins));
  app.use(requestOrigin({
    trustedProxies: c.trustedProxies,
    healthCheckIps: () => [...cfg.security.healthCheckIps, ...c.settings.healthCheckIps],
    monitoringIps: () => [...cfg.security.monitoringIps, ...c.settings.monitoringIps],
    version: () => c.settings.version,
    metricsToken: cfg.security.metricsToken,
    healthToken: cfg.security.healthToken,
  }));
  const rawPaths = new Set(c.routes.filter((r) => r.rawBody).map((r) => fullPath(r)));
  app.use(requestBody(cfg.server.bodyLimitBytes, (p) => rawPaths.has(p.replace(/\/+$/, ''))));
  app.use(identity(c.identityResolvers));
  for (const mw of c.middleware) app.use(mw);
  const router = buildRouter(c.routes, () => c.settings.siteUrl);
  app.use(router.routes());
  app.use(notFound());
  return app;
}
