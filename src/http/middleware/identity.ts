import type { Next } from 'koa';
import type { Caller } from '../../domain/caller.ts';
import type { AppContext } from '../route.ts';

/**
 * Recognises one kind of caller (shim signature, API key, access token). Returns null when
 * the request does not carry its kind of credential, and throws a RestError (401) when it
 * carries one that is invalid, so a bad credential never silently becomes anonymous.
 */
export interface IdentityResolver {
  name: string;
  resolve(ctx: AppContext): Promise<Caller | null>;
}

/** Runs the resolvers in order; the first that recognises the request decides the caller. */
export function identity(resolvers: IdentityResolver[]) {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    for (const r of resolvers) {
      const caller = await r.resolve(ctx);
      if (caller) {
        ctx.state.caller = caller;
        break;
      }
    }
    await next();
  };
}
