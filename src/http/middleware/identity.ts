import type { Caller } from '../../domain/caller.ts';
import type { AppContext } from '../route.ts';

/**
 * Recognises one kind of caller (shim signature, API key, access token). Returns null when
 * the request does not carry its kind of credential, and throws a RestError (401) when it
 * carries one that is invalid, so a bad credential never silently becomes anonymous.
 */
export interface IdentityResolver {
  name: string;
  /** The request headers (lower case) that carry this kind of credential; without them `resolve` is not asked. */
  headers: string[];
  resolve(ctx: AppContext): Promise<Caller | null>;
}

/** Every request header that carries a credential some resolver checks (lower case). */
export function credentialHeaders(resolvers: IdentityResolver[]): string[] {
  return [...new Set(resolvers.flatMap((r) => r.headers))];
}

/**
 * Runs the resolvers in order; the first that recognises the request decides the caller. A
 * request with none of the credential headers stays anonymous without asking any resolver.
 */
export function identity(resolvers: IdentityResolver[]): (ctx: AppContext) => Promise<void> | undefined {
  const carriers = credentialHeaders(resolvers);
  const resolve = async (ctx: AppContext): Promise<void> => {
    for (const r of resolvers) {
      const caller = await r.resolve(ctx);
      if (caller) {
        ctx.state.caller = caller;
        return;
      }
    }
  };
  return (ctx) => {
    const h = ctx.req.headers;
    for (const name of carriers) if (h[name] !== undefined) return resolve(ctx);
    return undefined;
  };
}
