import getRawBody from 'raw-body';
import { parseBody, type AppContext } from '../route.ts';

/**
 * Reads the request body once (bounded by `limit` bytes) into ctx.state.rawBody and, like
 * WordPress, rejects a malformed JSON body on any route with rest_invalid_json. A route that needs
 * the exact bytes (`rawBody`: signed webhooks) keeps only them and answers its own errors; a
 * request that matched no route has its body parsed like any other before it is answered 404.
 */
export function requestBody(limit: number): (ctx: AppContext) => Promise<void> | undefined {
  const read = async (ctx: AppContext): Promise<void> => {
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > limit) throw Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit });
    ctx.state.rawBody = await getRawBody(ctx.req, { limit, length: ctx.get('Content-Length') || undefined });
    if (!ctx.state.route?.rawBody) ctx.state.body = parseBody(ctx);
  };
  return (ctx) => {
    const method = ctx.req.method;
    return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? undefined : read(ctx);
  };
}
