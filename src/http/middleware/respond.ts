import type { AppContext } from '../route.ts';

export const JSON_TYPE = 'application/json; charset=UTF-8';

/** Writes a JSON body with WordPress's content type (as UTF-8 bytes: Koa and Node encode a string twice). */
export function sendJson(ctx: AppContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.res.setHeader('Content-Type', JSON_TYPE);
  ctx.body = Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * A response body for a value that does not change while it is cached: `value` is what the
 * route answers, `bytes` its JSON as UTF-8. The bytes are kept from the second time they are
 * asked for: a page that is asked for once (a walk over many users and pages) costs no memory
 * after its answer, and a page that is asked for again is serialised no more.
 */
export class Rendered {
  private encoded: Buffer | undefined;
  private uses = 0;
  constructor(private readonly source: object, private readonly render: (s: never) => unknown) {}

  /** The response value (made again when asked for; only `_fields` needs it after the first answer). */
  get value(): unknown {
    return this.render(this.source as never);
  }

  get bytes(): Buffer {
    if (this.encoded) return this.encoded;
    const bytes = Buffer.from(JSON.stringify(this.value), 'utf8');
    if (this.uses++ > 0) this.encoded = bytes;
    return bytes;
  }
}

const renderings = new WeakMap<object, Rendered>();

/**
 * The rendering of `source` (a value the cache hands out unchanged, such as a page of rows),
 * shared by every request that gets the same value: a cached page is turned into response items
 * and JSON once, not on every hit. A new value from the cache (after an invalidation, a reload
 * or an L2 read) is a new object, so it gets a new rendering; `render` must depend on `source` only.
 */
export function renderOnce<S extends object>(source: S, render: (s: S) => unknown = (s) => s): Rendered {
  let r = renderings.get(source);
  if (!r) renderings.set(source, (r = new Rendered(source, render as (s: never) => unknown)));
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
 * Serialises what the route answered (`ctx.state.result`, or an object Koa body) as JSON, trimmed
 * by `_fields` as rest_filter_response_fields does; a `Rendered` answer is sent as its bytes.
 * Strings, buffers and streams are left as they are.
 */
export function writeBody(ctx: AppContext): void {
  let body = ctx.state.result;
  if (body === undefined) {
    body = ctx.body;
    if (body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;
  }
  const status = ctx.res.statusCode;
  const fields = status < 400 ? ctx.state.fields : undefined;
  if (body instanceof Rendered) {
    if (!fields) {
      ctx.res.setHeader('Content-Type', JSON_TYPE);
      ctx.body = body.bytes;
      return;
    }
    sendJson(ctx, status, pick(body.value, fields));
    return;
  }
  sendJson(ctx, status, fields ? pick(body, fields) : body);
}
