import type { ParameterizedContext } from 'koa';
import { Memo } from '../cache/memo.ts';
import { z } from 'zod';
import type { AccessRule } from '../domain/access.ts';
import type { Caller, RequestOrigin } from '../domain/caller.ts';
import type { Logger } from '../observability/logger.ts';
import { forbidden, invalidParams, missingParams, SidecarError } from '../errors.ts';

/** Per-request values, typed; nothing else is hung on ctx. */
export interface AppState {
  requestId: string;
  startedAt: number;
  logger: Logger;
  origin: RequestOrigin;
  caller: Caller;
  /** The route the request matched (null: none), found once by the route table: the body, rate limits, validation, access and the handler follow from it. */
  route: RouteSpec | null;
  rawBody?: Buffer;
  /** Parsed JSON or form body (absent for raw-body routes). */
  body?: unknown;
  /** Route template for metrics and logs, e.g. `/transactions/:id`. */
  routeName?: string;
  /** Names kept by `_fields`, when the caller asked for a subset. */
  fields?: string[];
  /** Expiry (Unix seconds) of the access token the caller presented, if any. */
  tokenExpiresAt?: number;
  /** What the route answered, serialised by the frame (Koa's body is left for strings, buffers and streams). */
  result?: unknown;
  /** V8's used heap when the request started, on the requests sampled for the heap-delta metric; -1 on the others. */
  heapBefore: number;
}

export type AppContext = ParameterizedContext<AppState>;

/** A status and a JSON body: what a light route answers. */
export interface LightAnswer {
  status: number;
  body: unknown;
}

/** A route handler that answers what `light` answers, for requests the light lane leaves to the framework. */
export function viaLight(light: () => LightAnswer | Promise<LightAnswer>) {
  return async (ctx: AppContext): Promise<unknown> => {
    const answer = await light();
    ctx.status = answer.status;
    return answer.body;
  };
}
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/** Who sends a documented example request (the API reference test signs it accordingly). */
export type ExampleCaller = 'anonymous' | 'admin' | 'subscriber' | 'monitoring';

/** A documented example call: who sends it, its inputs, and the status it answers. */
export interface RouteExample {
  as: ExampleCaller;
  params?: Record<string, string | number>;
  query?: Record<string, string | number>;
  body?: unknown;
  status: number;
}

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** Path under the namespace, koa-router style (`/transactions/:id`), or absolute when `absolute`. */
  path: string;
  absolute?: boolean;
  /**
   * A route the PHP plugin registers: its errors (besides WordPress core's rest_forbidden) also
   * carry the plugin's `success: false`, as its own error answers did (docs/compatibility.md).
   */
  plugin?: boolean;
  summary: string;
  tags?: string[];
  access: AccessRule;
  params?: P;
  query?: Q;
  body?: B;
  /** The handler reads ctx.state.rawBody itself (signed webhooks); no JSON parsing is done. */
  rawBody?: boolean;
  /**
   * Rate-limit zones besides the defaults (`general` and `api` for every route): `auth` adds the
   * login zone; `exempt` skips limiting (probes a load balancer polls).
   */
  rateLimit?: 'auth' | 'exempt';
  /**
   * The answer the light lane (src/http/light-lane.ts) gives before the framework when the
   * request is a plain GET/HEAD: for probes that load balancers poll. Only for public GET routes
   * without inputs, exempt from rate limits; the handler should answer the same (see lightRoute).
   */
  light?: () => LightAnswer | Promise<LightAnswer>;
  /** Documented responses by status (used for the API reference). */
  responses?: Record<number, { description: string; schema?: z.ZodType; example?: unknown }>;
  /** Error codes the route may answer with, besides the global ones. */
  errors?: string[];
  /** The documented example request; derived for routes that need no input (see http/openapi.ts). */
  example?: RouteExample;
  handler(ctx: AppContext, input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>): unknown | Promise<unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- zod's type of an object schema without keys
type NoKeys = z.ZodObject<{}>;

/** Identity helper that keeps the generic parameters inferred at definition sites. */
export function defineRoute<P extends z.ZodType = NoKeys, Q extends z.ZodType = NoKeys, B extends z.ZodType = z.ZodUnknown>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as RouteSpec;
}

/** Folds `a[]=1&a[]=2` into `a: ['1','2']`, as PHP (and so WordPress) reads query strings. */
export function normaliseQuery(query: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (k.endsWith('[]')) {
      const base = k.slice(0, -2);
      out[base] = [...(Array.isArray(out[base]) ? (out[base] as unknown[]) : []), ...(Array.isArray(v) ? v : [v])];
    } else out[k] = v;
  }
  return out;
}

function failWith(error: z.ZodError, where: string): never {
  const params: Record<string, string> = {};
  const missing: string[] = [];
  for (const issue of error.issues) {
    const name = issue.path.length ? issue.path.map(String).join('.') : where;
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) missing.push(name);
    else params[name.split('.')[0]!] ??= issue.message;
  }
  if (!Object.keys(params).length && missing.length) throw missingParams(missing);
  for (const m of missing) params[m.split('.')[0]!] ??= 'Required';
  throw invalidParams(params);
}

/** Parses a JSON or form body as WordPress does; malformed JSON is rest_invalid_json. */
export function parseBody(ctx: AppContext): unknown {
  const raw = ctx.state.rawBody;
  if (!raw || raw.length === 0) return {};
  const type = ctx.request.type;
  if (type === 'application/x-www-form-urlencoded') return normaliseQuery(Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  // Like WordPress, only a JSON content type is parsed as JSON; other bodies are left raw.
  if (type !== 'application/json' && !type.endsWith('+json')) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new SidecarError('rest_invalid_json', 'Invalid JSON body passed.', 400, { json_error_message: 'Syntax error' });
  }
}

/** What a query string parses to for one route: the validated input and the `_fields` list. */
interface ParsedQuery {
  input: unknown;
  fields?: string[];
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * Bytes of parsed query strings one route keeps: a query string and its parsed copy are taken to
 * cost four bytes a character. Query strings longer than an eighth of this are never kept.
 */
export const QUERY_MEMO_BYTES = 128 * 1024;

/** How one route runs once the route table matched it: validate params (the match's), query and body, then check access, then the handler. */
export function routeMiddleware(spec: RouteSpec, template: string) {
  // Clients repeat the same query strings (a page, a report): each one is parsed and validated
  // once and its (frozen) result reused. Only callers the route let in add to the memo, and never
  // anonymous ones: whoever can reach a route without signing in must not be able to fill this
  // process's memory with query strings of their choosing. Invalid ones are not kept either.
  const parsedQueries = new Memo<string, ParsedQuery>(512, QUERY_MEMO_BYTES, (qs) => 4 * qs.length + 256);
  const parseQuery = (ctx: AppContext): ParsedQuery => {
    const query = normaliseQuery(ctx.query as Record<string, string | string[]>);
    const parsed: ParsedQuery = { input: {} };
    if (typeof query._fields === 'string' || Array.isArray(query._fields)) {
      const list = (Array.isArray(query._fields) ? query._fields : [query._fields])
        .flatMap((f) => String(f).split(','))
        .map((f) => f.trim())
        .filter(Boolean);
      if (list.length) parsed.fields = list;
    }
    if (spec.query) {
      const r = spec.query.safeParse(query);
      if (!r.success) failWith(r.error, 'query');
      parsed.input = r.data;
    }
    return deepFreeze(parsed);
  };
  // Not an async function: a handler that has its answer now (a cached read) is answered without
  // a promise or a wait; errors thrown here are thrown to the frame, which answers them.
  return (ctx: AppContext, params: Record<string, string> = {}): Promise<void> | void => {
    ctx.state.routeName = template;
    const input: RouteInput<unknown, unknown, unknown> = { params: {}, query: {}, body: undefined };
    if (spec.params) {
      const r = spec.params.safeParse(params);
      if (!r.success) failWith(r.error, 'params');
      input.params = r.data;
    }
    const { caller, origin } = ctx.state;
    const anonymous = caller.kind === 'anonymous';
    const known = anonymous ? undefined : parsedQueries.get(ctx.querystring);
    const parsed = known ?? parseQuery(ctx);
    if (parsed.fields) ctx.state.fields = parsed.fields;
    input.query = parsed.input;
    if (!spec.rawBody && spec.body) {
      const r = spec.body.safeParse(ctx.state.body ?? {});
      if (!r.success) failWith(r.error, 'body');
      input.body = r.data;
    }
    if (!spec.access.allows(caller, origin)) throw forbidden(!anonymous);
    if (!known && !anonymous) parsedQueries.set(ctx.querystring, parsed);
    const result = spec.handler(ctx, input as never);
    if (result instanceof Promise) return result.then((r) => answer(ctx, r));
    answer(ctx, result);
  };
}

/** Puts what a handler returned where the frame (or Koa, for strings, buffers and streams) sends it. */
function answer(ctx: AppContext, result: unknown): void {
  if (result === undefined) return;
  if (typeof result === 'string' || Buffer.isBuffer(result) || typeof (result as { pipe?: unknown }).pipe === 'function') {
    ctx.body = result;
    return;
  }
  // Kept for the frame to serialise and send (200 unless the handler set a status); giving Koa
  // an object body first costs a type lookup and header changes.
  ctx.state.result = result;
}
