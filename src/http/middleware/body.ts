import getRawBody from 'raw-body';
import { parseBody, type AppContext } from '../route.ts';

/**
 * Reads the request body once (bounded by `limit` bytes) into ctx.state.rawBody and, like
 * WordPress, rejects a malformed JSON body on any route with rest_invalid_json. Paths for which
 * `isRaw` is true (signed webhooks) keep only the exact bytes and answer their own errors.
 */
export function requestBody(limit: number, isRaw: (path: string) => boolean): (ctx: AppContext) => Promise<void> | undefined {
  const read = async (ctx: AppContext): Promise<void> => {
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > limit) throw Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit });
    ctx.state.rawBody = await getRawBody(ctx.req, { limit, length: ctx.get('Content-Length') || undefined });
    if (!isRaw(ctx.path)) ctx.state.body = parseBody(ctx);
  };
  return (ctx) => {
    const method = ctx.req.method;
    return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? undefined : read(ctx);
  };
}
