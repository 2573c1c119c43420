import type { Logger } from '../../observability/logger.ts';
import { noRoute } from '../../errors.ts';
import type { AddressList } from '../client-ip.ts';
import type { AppContext } from '../route.ts';
import type { RouteMatch } from '../router.ts';
import { sendError } from './errors.ts';
import { finishRequest, startRequest, type RequestObserver } from './request-context.ts';
import { Rendered, writeBody } from './respond.ts';

/** Set on an answer the cache gave past its lifetime because the database was unavailable: the value's age in seconds. */
export const STALE_HEADER = 'X-SLBP-Stale';

/** The per-request steps the frame runs, in this order. */
export interface FrameSteps {
  logger: Logger;
  trustedProxies: AddressList;
  observers: readonly RequestObserver[];
  /** Security and CORS headers; true when a preflight was answered. */
  headers(ctx: AppContext): boolean;
  /** Client address and network-level grants. */
  origin(ctx: AppContext): void;
  /** The request's route, found once by the route table (null: none); everything below follows from it. */
  route(ctx: AppContext): RouteMatch | null;
  /** Reads the request body (methods that carry one), raw for the routes that need the exact bytes. */
  body(ctx: AppContext): Promise<void> | undefined;
  /** Resolves the caller (requests that carry a credential). */
  identity(ctx: AppContext): Promise<void> | undefined;
  /** The rate limits of the route's zone; may refuse the request (429). */
  limit(ctx: AppContext): Promise<void> | undefined;
  /** True while the node drains: keep-alive clients are asked to reconnect elsewhere. */
  draining(): boolean;
  /** Seconds since a value the cache answered stale (stale-if-error) was loaded; undefined for a fresh one. */
  staleAge(value: unknown): number | undefined;
}

/**
 * The only middleware, around every request that reaches the framework: request id and timing,
 * security headers, client origin, the route (matched once), body, identity, rate limits, then
 * the route runs (validation, access, handler) or rest_no_route is answered; afterwards the
 * body is serialised (or the error answered in WordPress's shape) and the request reported to
 * the observers. One async frame instead of a chain of small middlewares: each layer of the chain
 * costs a closure and a promise per request, which on cheap routes is most of the time spent.
 */
export function frame(steps: FrameSteps) {
  return async (ctx: AppContext): Promise<void> => {
    startRequest(ctx, steps.logger, steps.trustedProxies);
    try {
      let failed = false;
      let failure: unknown;
      try {
        if (!steps.headers(ctx)) {
          steps.origin(ctx);
          const match = steps.route(ctx);
          ctx.state.route = match ? match.route.spec : null;
          const reading = steps.body(ctx);
          if (reading) await reading;
          const resolving = steps.identity(ctx);
          if (resolving) await resolving;
          const limiting = steps.limit(ctx);
          if (limiting) await limiting;
          if (!match) throw noRoute();
          const running = match.route.run(ctx, match.params);
          if (running) await running;
          const result = ctx.state.result;
          if (result !== undefined) {
            const age = steps.staleAge(result instanceof Rendered ? result.source : result);
            if (age !== undefined) ctx.res.setHeader(STALE_HEADER, String(age));
          }
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
