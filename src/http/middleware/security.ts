import type { ServerResponse } from 'node:http';
import type { AppContext } from '../route.ts';

/** Headers every answer carries: an API that serves JSON only, never framed, never cached. */
const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cache-Control', 'no-store'],
];

/** Sets the headers every answer carries (the frame's and the light lane's alike). */
export function setSecurityHeaders(res: ServerResponse): void {
  for (let i = 0; i < SECURITY_HEADERS.length; i++) res.setHeader(SECURITY_HEADERS[i]![0], SECURITY_HEADERS[i]![1]);
}

/**
 * Sets the security headers, and CORS headers for configured origins only. Returns true when
 * the request was a CORS preflight and has been answered (204).
 */
export function securityHeaders(corsOrigins: string[]): (ctx: AppContext) => boolean {
  const allowed = new Set(corsOrigins);
  return (ctx) => {
    setSecurityHeaders(ctx.res);
    if (!allowed.size) return false;
    const origin = ctx.req.headers.origin;
    if (!origin || !allowed.has(origin)) return false;
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Vary', 'Origin');
    ctx.set(
      'Access-Control-Expose-Headers',
      'X-WP-Total, X-WP-TotalPages, Link, X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
    );
    if (ctx.method !== 'OPTIONS') return false;
    ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
    ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-API-Key, X-Request-Id');
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
    return true;
  };
}
