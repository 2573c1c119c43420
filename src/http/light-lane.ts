import type { IncomingMessage, ServerResponse } from 'node:http';
import { access } from '../domain/access.ts';
import type { AddressList } from './client-ip.ts';
import { requestIdOf, type RequestObserver } from './middleware/request-context.ts';
import { Rendered, writeJson } from './middleware/respond.ts';
import { setSecurityHeaders } from './middleware/security.ts';
import { fullPath, isExactPath, type RouteTable } from './router.ts';
import type { LightAnswer, RouteSpec } from './route.ts';

export interface LightLaneOptions {
  trustedProxies: AddressList;
  /** Request headers that carry a credential (lower case): such requests go to the framework, which checks them. */
  credentialHeaders: string[];
  observers: readonly RequestObserver[];
  draining(): boolean;
}

/**
 * The light lane: a branch of the route table's match for routes with a `light` answer (the
 * probes /live, /ready and /health), answered straight from node:http before Koa builds a context. A pool behind a
 * load balancer answers these probes from every balancer, every few seconds, forever; they need
 * no identity, body or rate limit, and the framework's share was most of their cost.
 *
 * The answer is the one the framework gives: same status, JSON body and content type, the
 * security headers, X-Request-Id (a trusted proxy's is kept), `Connection: close` while
 * draining, and the request reported to the same observers (request metrics). Anything else is
 * left to the framework (false): other methods, a query string (`_fields`), an Origin header
 * (CORS), a credential (a bad one must still be refused with 401), or an answer that fails (the
 * framework then answers the error in WordPress's shape).
 */
export function lightLane(
  table: RouteTable,
  opts: LightLaneOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean> {
  let any = false;
  for (const r of table.routes) {
    if (!r.light) continue;
    const problems = [
      r.method !== 'GET' && 'not a GET route',
      r.access !== access.public && 'not public',
      r.rateLimit !== 'exempt' && 'not exempt from rate limits',
      (r.params || r.query || r.body || r.rawBody) && 'takes input',
      !isExactPath(fullPath(r)) && 'has path parameters',
    ].filter(Boolean);
    if (problems.length) throw new Error(`route ${r.method} ${r.path} cannot be light: ${problems.join(', ')}`);
    any = true;
  }
  if (!any) return () => false;

  const send = (req: IncomingMessage, res: ServerResponse, route: RouteSpec, answer: LightAnswer, startedAt: number): true => {
    const body = answer.body instanceof Rendered ? answer.body.bytes : Buffer.from(JSON.stringify(answer.body), 'utf8');
    const requestId = requestIdOf(req, opts.trustedProxies);
    res.setHeader('X-Request-Id', requestId);
    setSecurityHeaders(res);
    if (opts.draining()) res.setHeader('Connection', 'close');
    writeJson(req, res, answer.status, body);
    const info = { method: req.method!, route: route.path, status: answer.status, ms: performance.now() - startedAt, requestId };
    for (const observe of opts.observers) observe(info);
    return true;
  };

  return (req, res) => {
    const url = req.url ?? '';
    const h = req.headers;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || url.includes('?') || h.origin !== undefined) return false;
    for (let i = 0; i < opts.credentialHeaders.length; i++) if (h[opts.credentialHeaders[i]!] !== undefined) return false;
    // The request's one match: the framework reuses it when the lane leaves the request to it.
    const route = table.matchRequest(req)?.route.spec;
    if (!route?.light) return false;
    const light = route.light;
    const startedAt = performance.now();
    let answer: LightAnswer | Promise<LightAnswer>;
    try {
      answer = light();
    } catch {
      return false;
    }
    if (!(answer instanceof Promise)) return send(req, res, route, answer, startedAt);
    return answer.then(
      (a) => send(req, res, route, a, startedAt),
      () => false,
    );
  };
}
