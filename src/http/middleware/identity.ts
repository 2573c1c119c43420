import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../../domain/caller.ts';
import type { AppContext } from '../route.ts';

/**
 * Recognises one kind of caller (shim signature, API key, access token). Returns null when
 * the request does not carry its kind of credential, and throws a RestError (401) when it
 * carries one that is invalid, so a bad credential never silently becomes anonymous. A resolver
 * that can answer from memory (a verified token whose user is cached) answers without a promise.
 */
export interface IdentityResolver {
  name: string;
  /** The request headers (lower case) that carry this kind of credential; without them `resolve` is not asked. */
  headers: string[];
  resolve(ctx: AppContext): Caller | null | Promise<Caller | null>;
}

/** The value of `Authorization: Bearer <value>`, or '' when the header is absent or another scheme. */
export function bearerToken(authorization: string | undefined): string {
  return authorization ? /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? '' : '';
}

/** Every request header that carries a credential some resolver checks (lower case). */
export function credentialHeaders(resolvers: IdentityResolver[]): string[] {
  return [...new Set(resolvers.flatMap((r) => r.headers))];
}

const carries = (h: IncomingHttpHeaders, r: IdentityResolver) => r.headers.some((name) => h[name] !== undefined);

/**
 * Asks, in order, the resolvers whose credential headers the request carries; the first that
 * recognises the request decides the caller. A request with none of the credential headers
 * stays anonymous without asking any resolver. Returns a promise only when a resolver did.
 */
export function identity(resolvers: IdentityResolver[]): (ctx: AppContext) => Promise<void> | undefined {
  const rest = async (ctx: AppContext, from: number, pending: Promise<Caller | null>): Promise<void> => {
    const h = ctx.req.headers;
    let caller = await pending;
    for (let i = from + 1; !caller && i < resolvers.length; i++) if (carries(h, resolvers[i]!)) caller = await resolvers[i]!.resolve(ctx);
    if (caller) ctx.state.caller = caller;
  };
  return (ctx) => {
    const h = ctx.req.headers;
    for (let i = 0; i < resolvers.length; i++) {
      const r = resolvers[i]!;
      if (!carries(h, r)) continue;
      const caller = r.resolve(ctx);
      if (caller instanceof Promise) return rest(ctx, i, caller);
      if (caller) {
        ctx.state.caller = caller;
        return undefined;
      }
    }
    return undefined;
  };
}
