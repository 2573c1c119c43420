import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import winston from 'winston';
import { AddressList } from '../../src/http/client-ip.ts';
import { frame } from '../../src/http/middleware/frame.ts';
import { SidecarError } from '../../src/errors.ts';
import { access } from '../../src/domain/access.ts';
import { defineRoute, type AppContext } from '../../src/http/route.ts';

/**
 * The frame writes JSON answers itself, so everything that goes on the response (the draining
 * node's `Connection: close`, the observers' status) must be settled before it writes.
 */
const anyRoute = defineRoute({ method: 'GET', path: '/*', summary: 'any path', access: access.public, handler: () => undefined });
function run(ctx: AppContext) {
  ctx.state.routeName = ctx.path;
  if (ctx.path === '/fails') throw new SidecarError('slbp_test', 'Refused.', 409);
  ctx.state.result = { ok: true };
}

describe('the frame around every request', () => {
  let draining = false;
  let server: http.Server;
  let base = '';
  const seen: { status: number; route: string }[] = [];

  before(async () => {
    const app = new Koa();
    app.silent = true;
    app.use(
      frame({
        logger: winston.createLogger({ silent: true }),
        trustedProxies: new AddressList([]),
        observers: [(r) => seen.push({ status: r.status, route: r.route })],
        headers: () => false,
        origin: () => undefined,
        // Every path is a route here: it names itself, and /fails refuses.
        route: () => ({ route: { spec: anyRoute, run }, params: {} }),
        body: () => undefined,
        identity: () => undefined,
        limit: () => undefined,
        draining: () => draining,
        staleAge: () => undefined,
      }) as never,
    );
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  it("answers 200 with the JSON, or the error in WordPress's shape, and reports each status", async () => {
    const ok = await fetch(`${base}/ok`);
    expect([ok.status, await ok.json()]).to.deep.equal([200, { ok: true }]);
    const refused = await fetch(`${base}/fails`);
    expect(refused.status).to.equal(409);
    expect(await refused.json()).to.deep.include({ code: 'slbp_test', message: 'Refused.' });
    expect(seen.slice(-2)).to.deep.equal([
      { status: 200, route: '/ok' },
      { status: 409, route: '/fails' },
    ]);
  });

  it('asks keep-alive clients to reconnect while the node drains, on answers and errors alike', async () => {
    expect((await fetch(`${base}/ok`)).headers.get('connection')).to.not.equal('close');
    draining = true;
    try {
      for (const path of ['/ok', '/fails']) {
        const res = await fetch(`${base}${path}`);
        expect(res.headers.get('connection'), path).to.equal('close');
        await res.arrayBuffer();
      }
    } finally {
      draining = false;
    }
  });
});
