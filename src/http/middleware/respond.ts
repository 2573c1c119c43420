import type { Next } from 'koa';
import type { AppContext } from '../route.ts';

export const JSON_TYPE = 'application/json; charset=UTF-8';

/** Writes a JSON body with WordPress's content type. */
export function sendJson(ctx: AppContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = JSON.stringify(body);
}

function pick(obj: unknown, fields: string[]): unknown {
  if (Array.isArray(obj)) return obj.map((o) => pick(o, fields));
  if (!obj || typeof obj !== 'object') return obj;
  const out: Record<string, unknown> = {};
  const src = obj as Record<string, unknown>;
  const nested = new Map<string, string[]>();
  for (const f of fields) {
    const [head, ...rest] = f.split('.');
    if (!head || !(head in src)) continue;
    if (rest.length) nested.set(head, [...(nested.get(head) ?? []), rest.join('.')]);
    else out[head] = src[head];
  }
  for (const [head, sub] of nested) if (!(head in out)) out[head] = pick(src[head], sub);
  return out;
}

/** Serialises object bodies as JSON (trimmed by `_fields`, as rest_filter_response_fields does). */
export function respond() {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    await next();
    const body = ctx.body;
    if (body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;
    const fields = ctx.status < 400 ? ctx.state.fields : undefined;
    const status = ctx.status;
    sendJson(ctx, status, fields ? pick(body, fields) : body);
  };
}
