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
  return authorization ? (/^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? '') : '';
}

/**
 * Whether the request's route is open to anyone (or no route matched): there an unknown
 * `Bearer` value is ignored, as WordPress core ignores a scheme it does not know, and the
 * request stays anonymous; on a protected route it is refused (401).
 */
export const publicRoute = (ctx: AppContext) => !ctx.state.route || ctx.state.route.access.name === 'public';

/** Every request header that carries a credential some resolver checks (lower case). */
export function credentialHeaders(resolvers: IdentityResolver[]): string[] {
  return [...new Set(resolvers.flatMap((r) => r.headers))];
}

const carries = (h: IncomingHttpHeaders, r: IdentityResolver) => r.headers.some((name) => h[name] !== undefined);

/**
 * What identity resolution does around credentials when rate limits are on (the RateLimiter):
 * `admit` may refuse a request before its credential is looked at; `failed` hears every refused
 * credential, and may turn the refusal into a 429.
 */
export interface CredentialGuard {
  admit(ctx: AppContext): void;
  failed(ctx: AppContext): Promise<void>;
}

/** A refused credential: a resolver's 401 (other errors, such as a database outage, are not the caller's fault). */
const refusedCredential = (err: unknown) => (err as { status?: number })?.status === 401;

/**
 * Asks, in order, the resolvers whose credential headers the request carries; the first that
 * recognises the request decides the caller. A request with none of the credential headers
 * stays anonymous without asking any resolver. Returns a promise only when a resolver did. With
 * a guard, a request that carries a credential is first admitted by it, and a refused credential
 * is reported to it before the refusal is answered.
 */
export function identity(
  resolvers: IdentityResolver[],
  guard: CredentialGuard | null = null,
): (ctx: AppContext) => Promise<void> | undefined {
  const rest = async (ctx: AppContext, from: number, pending: Promise<Caller | null>): Promise<void> => {
    const h = ctx.req.headers;
    let caller = await pending;
    for (let i = from + 1; !caller && i < resolvers.length; i++) if (carries(h, resolvers[i]!)) caller = await resolvers[i]!.resolve(ctx);
    if (caller) ctx.state.caller = caller;
  };
  const resolve = (ctx: AppContext): Promise<void> | undefined => {
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
  if (!guard) return resolve;
  const failed = (ctx: AppContext, err: unknown): Promise<never> =>
    (refusedCredential(err) ? guard.failed(ctx) : Promise.resolve()).then(() => {
      throw err;
    });
  return (ctx) => {
    const h = ctx.req.headers;
    if (!resolvers.some((r) => carries(h, r))) return undefined;
    guard.admit(ctx);
    let pending: Promise<void> | undefined;
    try {
      pending = resolve(ctx);
    } catch (err) {
      return failed(ctx, err);
    }
    return pending?.catch((err: unknown) => failed(ctx, err));
  };
}
