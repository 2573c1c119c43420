import { randomUUID } from 'node:crypto';
import type { Next } from 'koa';
import type { Logger } from '../../observability/logger.ts';
import type { AddressList } from '../client-ip.ts';
import { normalizeIp } from '../client-ip.ts';
import type { AppContext } from '../route.ts';
import { ANONYMOUS } from '../../domain/caller.ts';

export interface RequestObserver {
  (info: { method: string; route: string; status: number; ms: number; requestId: string }): void;
}

/**
 * First middleware: assigns the request id (a trusted proxy's X-Request-Id is kept), a child
 * logger, the start time, and reports the finished request to observers (metrics, slow log).
 */
export function requestContext(logger: Logger, trustedProxies: AddressList, observers: RequestObserver[]) {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    const startedAt = performance.now();
    const given = ctx.get('X-Request-Id');
    const peer = normalizeIp(ctx.req.socket.remoteAddress ?? '');
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) && trustedProxies.has(peer) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.startedAt = startedAt;
    ctx.state.caller = ANONYMOUS;
    // Most requests never log: build the child logger only when something asks for it.
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'logger', { get: () => (child ??= logger.child({ request_id: requestId })), configurable: true, enumerable: true });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const ms = performance.now() - startedAt;
      const route = ctx.state.routeName ?? 'unmatched';
      for (const observe of observers) observe({ method: ctx.method, route, status: ctx.status, ms, requestId });
    }
  };
}
