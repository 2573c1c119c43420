import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.ts';
import { lightLane } from './http/light-lane.ts';
import { credentialHeaders } from './http/middleware/identity.ts';
import type { Container } from './container.ts';

export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  /** Drain (ready → 503), stop accepting, let in-flight requests finish (bounded), then close everything. */
  shutdown(reason: string): Promise<void>;
}

/** Starts the container's services and listens; the returned handle shuts it all down in reverse. */
export async function startServer(c: Container): Promise<RunningServer> {
  await c.start();
  const app = createApp(c);
  const framework = app.callback();
  const light = lightLane(c.routeTable, {
    trustedProxies: c.trustedProxies,
    credentialHeaders: credentialHeaders(c.identityResolvers),
    observers: c.requestObservers,
    draining: () => c.health.draining,
  });
  const server = http.createServer((req, res) => {
    const handled = light(req, res);
    if (handled === false) void framework(req, res);
    else if (handled !== true) void handled.then((ok) => (ok ? undefined : framework(req, res)));
  });
  // Slightly above typical load balancer keep-alive so the balancer closes first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(c.config.server.port, c.config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Nothing listens (port in use, not allowed): stop what c.start() started, so the process can exit.
    await c.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = c.config.server.host.includes(':') ? `[${c.config.server.host}]` : c.config.server.host;
  let closing: Promise<void> | null = null;

  const shutdown = (reason: string) => {
    closing ??= (async () => {
      const { drainDelayMs, shutdownTimeoutMs } = c.config.server;
      c.health.draining = true;
      c.logger.info('draining: /ready now answers 503', { reason, drain_delay_ms: drainDelayMs });
      if (drainDelayMs > 0) await sleep(drainDelayMs);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const finished = await Promise.race([closed.then(() => true), sleep(shutdownTimeoutMs).then(() => false)]);
      if (!finished) {
        c.logger.warn('in-flight requests did not finish in time; closing their connections', { timeout_ms: shutdownTimeoutMs });
        server.closeAllConnections();
      }
      await c.close();
      c.logger.info('shutdown complete');
    })();
    return closing;
  };
  return { server, port, url: `http://${host}:${port}`, shutdown };
}
