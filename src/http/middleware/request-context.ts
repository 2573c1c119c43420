import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../observability/logger.ts';
import type { AddressList } from '../client-ip.ts';
import { normalizeIp } from '../client-ip.ts';
import type { AppContext } from '../route.ts';
import { ANONYMOUS } from '../../domain/caller.ts';

export interface RequestObserver {
  (info: { method: string; route: string; status: number; ms: number; requestId: string }): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The request id (a trusted proxy's X-Request-Id is kept, anything else gets a fresh UUID), the
 * start time and the anonymous caller; the child logger is built only when something logs.
 */
export function startRequest(ctx: AppContext, logger: Logger, trustedProxies: AddressList): void {
  const startedAt = performance.now();
  const requestId = requestIdOf(ctx.req, trustedProxies);
  const state = ctx.state;
  state.requestId = requestId;
  state.startedAt = startedAt;
  state.caller = ANONYMOUS;
  let child: Logger | undefined;
  Object.defineProperty(state, 'logger', { get: () => (child ??= logger.child({ request_id: requestId })), configurable: true, enumerable: true });
  ctx.res.setHeader('X-Request-Id', requestId);
}

/** A trusted proxy's well-formed X-Request-Id, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage, trustedProxies: AddressList): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) && trustedProxies.size > 0 && trustedProxies.has(normalizeIp(req.socket.remoteAddress ?? ''))
    ? given
    : randomUUID();
}

/** Reports the finished request to the observers (metrics, slow-request log). */
export function finishRequest(ctx: AppContext, observers: RequestObserver[]): void {
  const ms = performance.now() - ctx.state.startedAt;
  const info = { method: ctx.method, route: ctx.state.routeName ?? 'unmatched', status: ctx.status, ms, requestId: ctx.state.requestId };
  for (const observe of observers) observe(info);
}
