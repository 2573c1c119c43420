import type { Next } from 'koa';
import type { Logger } from '../../observability/logger.ts';
import type { AddressList } from '../client-ip.ts';
import type { AppContext } from '../route.ts';
import { sendError } from './errors.ts';
import { finishRequest, startRequest, type RequestObserver } from './request-context.ts';
import { writeBody } from './respond.ts';

/** The per-request steps the frame runs around the rest of the application, in this order. */
export interface FrameSteps {
  logger: Logger;
  trustedProxies: AddressList;
  observers: readonly RequestObserver[];
  /** Security and CORS headers; true when a preflight was answered. */
  headers(ctx: AppContext): boolean;
  /** Client address and network-level grants. */
  origin(ctx: AppContext): void;
  /** Reads the request body (methods that carry one). */
  body(ctx: AppContext): Promise<void> | undefined;
  /** Resolves the caller (requests that carry a credential). */
  identity(ctx: AppContext): Promise<void> | undefined;
  /** True while the node drains: keep-alive clients are asked to reconnect elsewhere. */
  draining(): boolean;
}

/**
 * The first middleware, and the only one around every request: request id and timing, security
 * headers, client origin, body, identity, then the routes; afterwards the body is serialised
 * (or the error answered in WordPress's shape) and the request reported to the observers.
 * One async frame instead of a chain of small middlewares: each layer of the chain costs a
 * closure and a promise per request, which on cheap routes is most of the time spent.
 */
export function frame(steps: FrameSteps) {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    startRequest(ctx, steps.logger, steps.trustedProxies);
    try {
      let failed = false;
      let failure: unknown;
      try {
        if (!steps.headers(ctx)) {
          steps.origin(ctx);
          const reading = steps.body(ctx);
          if (reading) await reading;
          const resolving = steps.identity(ctx);
          if (resolving) await resolving;
          await next();
        }
      } catch (err) {
        failed = true;
        failure = err;
      }
      // Before the answer is written: JSON answers are ended here, not by Koa.
      if (steps.draining()) ctx.res.setHeader('Connection', 'close');
      try {
        if (failed) sendError(ctx, failure);
        else writeBody(ctx);
      } catch (err) {
        sendError(ctx, err);
      }
    } finally {
      finishRequest(ctx, steps.observers);
    }
  };
}
