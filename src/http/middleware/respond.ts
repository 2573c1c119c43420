import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../route.ts';

export const JSON_TYPE = 'application/json; charset=UTF-8';

/** Statuses that carry no body (as Koa's respond treats them). */
const EMPTY_STATUS = new Set([204, 205, 304]);

/**
 * Ends a response with JSON bytes and WordPress's content type: the status, type and length, no
 * body for HEAD (its Content-Length kept) or for 204/205/304. The frame's answers and the light
 * lane's are both written here.
 */
export function writeJson(req: IncomingMessage, res: ServerResponse, status: number, bytes: Buffer): void {
  // Node's status texts are the ones Koa's status setter would write (both follow IANA's list).
  res.statusCode = status;
  if (EMPTY_STATUS.has(status)) {
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.end();
    return;
  }
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', bytes.length);
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}

/**
 * Ends the request's response with JSON bytes. The frame writes JSON answers itself rather than
 * through Koa's body setter and respond step (a type lookup, header changes and a length computed
 * again, on every request); Koa is told there is nothing left to send.
 */
export function endJson(ctx: AppContext, status: number, bytes: Buffer): void {
  ctx.respond = false;
  writeJson(ctx.req, ctx.res, status, bytes);
}

/** Ends the response with `body` as JSON, encoded once as UTF-8 (its length is the bytes'). */
export function sendJson(ctx: AppContext, status: number, body: unknown): void {
  endJson(ctx, status, Buffer.from(JSON.stringify(body), 'utf8'));
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
  constructor(
    /** The value the cache handed out, that this renders. */
    readonly source: object,
    private readonly render: (s: never) => unknown,
  ) {}

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
 * by `_fields` as rest_filter_response_fields does, and ends the response; a `Rendered` answer is
 * sent as its bytes. A route's answer is 200 unless the handler set a status. Strings, buffers and
 * streams are left to Koa.
 */
export function writeBody(ctx: AppContext): void {
  let body = ctx.state.result;
  let status = ctx.res.statusCode;
  if (body === undefined) {
    body = ctx.body;
    if (
      body === undefined ||
      body === null ||
      typeof body === 'string' ||
      Buffer.isBuffer(body) ||
      typeof (body as { pipe?: unknown }).pipe === 'function'
    )
      return;
  } else if (!(ctx.response as { _explicitStatus?: boolean })._explicitStatus) {
    status = 200;
  }
  const fields = status < 400 ? ctx.state.fields : undefined;
  if (body instanceof Rendered) {
    if (fields) sendJson(ctx, status, pick(body.value, fields));
    else endJson(ctx, status, body.bytes);
    return;
  }
  sendJson(ctx, status, fields ? pick(body, fields) : body);
}
