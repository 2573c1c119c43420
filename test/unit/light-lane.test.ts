import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { access } from '../../src/domain/access.ts';
import { AddressList } from '../../src/http/client-ip.ts';
import { lightLane } from '../../src/http/light-lane.ts';
import { RouteTable } from '../../src/http/router.ts';
import { defineRoute, viaLight, type RouteSpec } from '../../src/http/route.ts';

const NS = '/wp-json/skylearn-billing-pro/v1';

describe('light lane: probes answered before the framework', () => {
  let server: http.Server;
  let base: string;
  let draining = false;
  let throws = false;
  const seen: { method: string; route: string; status: number }[] = [];
  let ready = true;
  const probeAnswer = () => {
    if (throws) throw new Error('broken');
    return { status: 200, body: { alive: true, note: 'Café' } };
  };
  const probe = defineRoute({
    method: 'GET',
    path: '/probe',
    light: probeAnswer,
    rateLimit: 'exempt',
    access: access.public,
    summary: 'probe',
    handler: viaLight(probeAnswer),
  });
  const readyAnswer = async () => {
    await new Promise((r) => setTimeout(r, 5));
    if (throws) throw new Error('database gone');
    return { status: ready ? 200 : 503, body: { ready } };
  };
  const readyRoute = defineRoute({
    method: 'GET',
    path: '/ready',
    light: readyAnswer,
    rateLimit: 'exempt',
    access: access.public,
    summary: 'ready',
    handler: viaLight(readyAnswer),
  });

  before(async () => {
    const lane = lightLane(new RouteTable([probe, readyRoute], () => ''), {
      trustedProxies: new AddressList(['127.0.0.1']),
      credentialHeaders: ['authorization', 'x-slbp-signature'],
      observers: [(r) => seen.push(r)],
      draining: () => draining,
    });
    // Whatever the lane declines gets 418 here, so each answer shows who gave it.
    server = http.createServer(async (req, res) => {
      if (!(await lane(req, res))) res.writeHead(418).end('framework');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${NS}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('answers GET and HEAD of a light route with the JSON body, security headers and a request id, and reports it', async () => {
    seen.length = 0;
    const res = await fetch(`${base}/probe`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ alive: true, note: 'Café' });
    expect(res.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(res.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const head = await fetch(`${base}/PROBE/`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
    expect(Number(head.headers.get('content-length'))).to.equal(Buffer.byteLength(JSON.stringify({ alive: true, note: 'Café' })));
    expect(seen.map((r) => [r.method, r.route, r.status])).to.deep.equal([
      ['GET', '/probe', 200],
      ['HEAD', '/probe', 200],
    ]);
  });

  it('answers asynchronous probes with their status (503 when not ready); a failing one goes to the framework', async () => {
    seen.length = 0;
    expect((await fetch(`${base}/ready`)).status).to.equal(200);
    ready = false;
    try {
      const res = await fetch(`${base}/ready`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.equal({ ready: false });
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
    } finally {
      ready = true;
    }
    expect(seen.map((r) => r.status)).to.deep.equal([200, 503]);
    throws = true;
    try {
      expect((await fetch(`${base}/ready`)).status).to.equal(418);
    } finally {
      throws = false;
    }
  });

  it("keeps a trusted proxy's request id and asks clients to reconnect while draining", async () => {
    const res = await fetch(`${base}/probe`, { headers: { 'X-Request-Id': 'lb-check-0001' } });
    expect(res.headers.get('x-request-id')).to.equal('lb-check-0001');
    draining = true;
    try {
      expect((await fetch(`${base}/probe`)).headers.get('connection')).to.equal('close');
    } finally {
      draining = false;
    }
  });

  it('leaves everything else to the framework: other paths and methods, query strings, CORS, credentials, a failing handler', async () => {
    for (const [url, init] of [
      [`${base}/probe?_fields=alive`, {}],
      [`${base}/probe`, { method: 'POST' }],
      [`${base}/probe`, { headers: { Origin: 'https://shop.example' } }],
      [`${base}/probe`, { headers: { Authorization: 'Bearer not-a-key' } }],
      [`${base}/probe`, { headers: { 'X-SLBP-Signature': 'f'.repeat(64) } }],
      [`${base}/probe//`, {}],
      [`${base}/other`, {}],
    ] as [string, RequestInit][]) {
      expect((await fetch(url, init)).status, `${init.method ?? 'GET'} ${url}`).to.equal(418);
    }
    throws = true;
    try {
      expect((await fetch(`${base}/probe`)).status).to.equal(418);
    } finally {
      throws = false;
    }
  });

  it('refuses to mark a route light that needs the framework', () => {
    const opts = { trustedProxies: new AddressList([]), credentialHeaders: [], observers: [], draining: () => false };
    const bad: RouteSpec[] = [
      { ...probe, access: access.healthDetailed },
      { ...probe, method: 'POST' },
      { ...probe, rateLimit: undefined },
    ];
    for (const r of bad) expect(() => lightLane(new RouteTable([r], () => ''), opts)).to.throw(/cannot be light/);
  });
});
