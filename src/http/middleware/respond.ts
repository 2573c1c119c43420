import type { AppContext } from '../route.ts';

export const JSON_TYPE = 'application/json; charset=UTF-8';

/** Writes a JSON body with WordPress's content type. */
export function sendJson(ctx: AppContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = JSON.stringify(body);
}

/**
 * A response body serialised once: `value` is what the route answers, `bytes` its JSON as
 * UTF-8. Made by `renderOnce` for values that do not change while they are cached.
 */
export class Rendered {
  private encoded: Buffer | undefined;
  constructor(readonly value: unknown) {}
  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(JSON.stringify(this.value), 'utf8'));
  }
}

const renderings = new WeakMap<object, Rendered>();

/**
 * The rendering of `source` (a value the cache hands out unchanged, such as a page of rows),
 * built by `render` the first time and reused while `source` lives: a cached page is turned into
 * response items and JSON text once, not on every hit. A new value from the cache (after an
 * invalidation, a reload or an L2 read) is a new object, so it gets a new rendering.
 */
export function renderOnce<S extends object>(source: S, render: (s: S) => unknown = (s) => s): Rendered {
  let r = renderings.get(source);
  if (!r) renderings.set(source, (r = new Rendered(render(source))));
  return r;
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

/**
 * Serialises an object body as JSON (trimmed by `_fields`, as rest_filter_response_fields does);
 * a `Rendered` body is sent as its JSON text. Strings, buffers and streams are left as they are.
 */
export function writeBody(ctx: AppContext): void {
  const body = ctx.body;
  if (body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;
  const fields = ctx.status < 400 ? ctx.state.fields : undefined;
  if (body instanceof Rendered) {
    if (!fields) {
      const status = ctx.status;
      ctx.set('Content-Type', JSON_TYPE);
      ctx.body = body.bytes;
      ctx.status = status;
      return;
    }
    sendJson(ctx, ctx.status, pick(body.value, fields));
    return;
  }
  sendJson(ctx, ctx.status, fields ? pick(body, fields) : body);
}
