import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../observability/logger.ts';
import type { RequestInfo } from '../../monitoring/metrics.ts';
import type { AddressList } from '../client-ip.ts';
import type { AppContext, AppState, RouteSpec } from '../route.ts';
import { ANONYMOUS, type Caller, type RequestOrigin } from '../../domain/caller.ts';

/** Told of every finished request (request metrics, the latency window). */
export type RequestObserver = (info: RequestInfo) => void;

/**
 * One request in this many (through the framework) is measured for
 * `slbp_http_request_heap_delta_bytes`: two heap readings cost more than a cheap route itself,
 * and a sample shows the same distribution.
 */
export const HEAP_SAMPLE_EVERY = 16;
let framed = 0;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The request id (a trusted proxy's X-Request-Id is kept, anything else gets a fresh UUID), the
 * start time and the anonymous caller; the child logger is built only when something logs.
 */
/**
 * The per-request state, one shape for every request (every field present from the start): the
 * child logger is built only when something logs.
 */
class RequestState implements AppState {
  origin: RequestOrigin = NO_ORIGIN;
  caller: Caller = ANONYMOUS;
  route: RouteSpec | null = null;
  rawBody?: Buffer = undefined;
  body?: unknown = undefined;
  routeName?: string = undefined;
  fields?: string[] = undefined;
  tokenExpiresAt?: number = undefined;
  result?: unknown = undefined;
  /** V8's used heap when the request started, on sampled requests; -1 on the others. */
  heapBefore = -1;
  private child: Logger | undefined = undefined;

  constructor(
    readonly requestId: string,
    readonly startedAt: number,
    private readonly parent: Logger,
  ) {}

  get logger(): Logger {
    return (this.child ??= this.parent.child({ request_id: this.requestId }));
  }
}

/** Before origin resolution runs (a preflight answered early): nothing granted. */
const NO_ORIGIN: RequestOrigin = { ip: '', healthCheckAddress: false, monitoringAddress: false, metricsToken: false, healthToken: false };

export function startRequest(ctx: AppContext, logger: Logger, trustedProxies: AddressList): void {
  const startedAt = performance.now();
  const requestId = requestIdOf(ctx.req, trustedProxies);
  const state = new RequestState(requestId, startedAt, logger);
  // V8's heap counters only: process.memoryUsage() also reads the RSS from /proc on every call.
  if (++framed % HEAP_SAMPLE_EVERY === 0) state.heapBefore = v8.getHeapStatistics().used_heap_size;
  ctx.state = state;
  ctx.res.setHeader('X-Request-Id', requestId);
}

/** A trusted proxy's well-formed X-Request-Id, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage, trustedProxies: AddressList): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) && trustedProxies.has(req.socket.remoteAddress) ? given : randomUUID();
}

/** Reports the finished request to the observers (metrics, slow-request log). */
export function finishRequest(ctx: AppContext, observers: readonly RequestObserver[]): void {
  const ms = performance.now() - ctx.state.startedAt;
  const s = ctx.state;
  const heapDelta = s.heapBefore >= 0 ? v8.getHeapStatistics().used_heap_size - s.heapBefore : undefined;
  const info = {
    method: ctx.req.method!,
    route: s.routeName ?? 'unmatched',
    status: ctx.res.statusCode,
    ms,
    requestId: s.requestId,
    heapDelta,
  };
  for (const observe of observers) observe(info);
}
