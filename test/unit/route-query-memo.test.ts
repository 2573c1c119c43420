import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { expect } from 'chai';
import { z } from 'zod';
import { access } from '../../src/domain/access.ts';
import { ANONYMOUS, type Caller } from '../../src/domain/caller.ts';
import { intParam } from '../../src/http/params.ts';
import { SidecarError } from '../../src/errors.ts';
import { errorBody } from '../../src/http/middleware/errors.ts';
import { defineRoute, QUERY_MEMO_BYTES, routeMiddleware, type AppState } from '../../src/http/route.ts';

const USER: Caller = { kind: 'user', via: 'token', userId: 1, roles: ['subscriber'], capabilities: {} };

describe('route query parsing is remembered per query string', () => {
  let server: http.Server;
  let base: string;
  const received: unknown[] = [];
  const route = defineRoute({
    method: 'GET',
    path: '/items',
    summary: 'items',
    access: access.public,
    query: z.object({
      per_page: intParam({ min: 1, max: 100 }).optional(),
      tags: z.array(z.string()).optional(),
      pad: z.string().optional(),
    }),
    handler: (_ctx, { query }) => {
      received.push(query);
      if ((query as { tags?: string[] }).tags?.includes('mutate')) (query as { tags: string[] }).tags.push('changed');
      return { query };
    },
  });

  before(async () => {
    const app = new Koa<AppState>();
    const mw = routeMiddleware(route, '/items');
    app.use(async (ctx, next) => {
      ctx.state.caller = ctx.get('X-Test-User') ? USER : ANONYMOUS;
      try {
        await next();
      } catch (err) {
        ctx.status = err instanceof SidecarError ? err.status : 500;
        ctx.body = err instanceof SidecarError ? errorBody(err) : { code: 'internal', message: (err as Error).message };
        return;
      }
      ctx.body = ctx.state.result;
    });
    app.use((ctx) => mw(ctx as never));
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const signedIn = { headers: { 'X-Test-User': '1' } };

  it('answers a repeated query string with the same parsed input, and different ones with their own', async () => {
    received.length = 0;
    const a = await (await fetch(`${base}/items?per_page=5&tags[]=x`, signedIn)).json();
    const b = await (await fetch(`${base}/items?per_page=5&tags[]=x`, signedIn)).json();
    const c = await (await fetch(`${base}/items?per_page=7`, signedIn)).json();
    expect(a).to.deep.equal({ query: { per_page: 5, tags: ['x'] } });
    expect(b).to.deep.equal(a);
    expect(c).to.deep.equal({ query: { per_page: 7 } });
    expect(received[1]).to.equal(received[0]);
    expect(Object.isFrozen(received[0])).to.equal(true);
  });

  it('rejects an invalid query string every time, and a handler cannot change a remembered input', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/items?per_page=abc`);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { code: string }).code).to.equal('rest_invalid_param');
    }
    expect((await fetch(`${base}/items?tags[]=mutate`, signedIn)).status).to.equal(500);
    const again = await (await fetch(`${base}/items?tags[]=mutate`, signedIn)).json();
    expect(again).to.not.have.property('query');
    expect((received.at(-1) as { tags: string[] }).tags).to.deep.equal(['mutate']);
  });

  it('keeps nothing for anonymous callers, nor query strings too long to be worth a share of the memo', async () => {
    received.length = 0;
    for (let i = 0; i < 2; i++) await fetch(`${base}/items?per_page=9`);
    expect(received[1]).to.deep.equal(received[0]);
    expect(received[1], 'an anonymous caller parses afresh').to.not.equal(received[0]);
    const long = `${base}/items?pad=${'x'.repeat(QUERY_MEMO_BYTES / 16)}`;
    for (let i = 0; i < 2; i++) await fetch(long, signedIn);
    expect(received[3], 'a long query string is parsed afresh').to.not.equal(received[2]);
    await fetch(`${base}/items?per_page=9`, signedIn);
    await fetch(`${base}/items?per_page=9`, signedIn);
    expect(received[5]).to.equal(received[4]);
  });
});

describe('route query memo: only callers the route lets in add to it', () => {
  const ctxFor = (querystring: string, caller: Caller) =>
    ({
      querystring,
      query: Object.fromEntries(new URLSearchParams(querystring)),
      params: {},
      state: { caller, origin: {} },
      response: {},
      status: 404,
    }) as never;

  it('a refused caller (403) leaves no entry: the next, allowed caller parses afresh', () => {
    const seen: unknown[] = [];
    const mw = routeMiddleware(
      defineRoute({
        method: 'GET',
        path: '/own',
        summary: 'own',
        access: { name: 'admin', description: 'admin', allows: (c) => c.kind === 'user' && c.userId === 1 },
        query: z.object({ per_page: intParam({ min: 1, max: 100 }).optional() }),
        handler: (_ctx, { query }) => {
          seen.push(query);
          return {};
        },
      }),
      '/own',
    );
    expect(() => mw(ctxFor('per_page=4', { ...USER, userId: 2 }))).to.throw(SidecarError);
    mw(ctxFor('per_page=4', USER));
    mw(ctxFor('per_page=4', USER));
    expect(seen).to.have.length(2);
    expect(seen[1]).to.equal(seen[0]);
  });
});

describe('route middleware answers without a promise when the handler does', () => {
  const ctxFor = (querystring: string) =>
    ({
      querystring,
      query: Object.fromEntries(new URLSearchParams(querystring)),
      params: {},
      state: { caller: ANONYMOUS, origin: {} },
      response: {},
      status: 404,
    }) as never;
  const spec = (handler: () => unknown) =>
    defineRoute({
      method: 'GET',
      path: '/now',
      summary: 'now',
      access: access.public,
      query: z.object({ per_page: intParam({ min: 1, max: 100 }).optional() }),
      handler,
    });

  it('a handler with its answer now: no promise, the answer kept for the frame', () => {
    const ctx = ctxFor('per_page=3') as { state: { result?: unknown } };
    const out = routeMiddleware(
      spec(() => ({ ok: true })),
      '/now',
    )(ctx as never);
    expect(out).to.equal(undefined);
    expect(ctx.state.result).to.deep.equal({ ok: true });
  });

  it('a handler that returns a promise is waited for; bad input is refused before any handler runs', async () => {
    const ctx = ctxFor('') as { state: { result?: unknown } };
    const out = routeMiddleware(
      spec(async () => ({ later: 1 })),
      '/now',
    )(ctx as never);
    expect(out).to.be.instanceOf(Promise);
    await out;
    expect(ctx.state.result).to.deep.equal({ later: 1 });
    let ran = false;
    expect(() =>
      routeMiddleware(
        spec(() => (ran = true)),
        '/now',
      )(ctxFor('per_page=0')),
    ).to.throw(SidecarError);
    expect(ran).to.equal(false);
  });
});
