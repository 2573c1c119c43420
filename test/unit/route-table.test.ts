import { expect } from 'chai';
import { z } from 'zod';
import { access } from '../../src/domain/access.ts';
import { defineRoute, type RouteSpec } from '../../src/http/route.ts';
import { BASE, RouteTable } from '../../src/http/router.ts';

const route = (method: RouteSpec['method'], path: string, extra: Partial<RouteSpec> = {}) =>
  defineRoute({ method, path, summary: `${method} ${path}`, access: access.public, handler: () => undefined, ...extra } as never);

const list = route('GET', '/backup/list');
const one = route('GET', '/backup/:id', { params: z.object({ id: z.string() }) });
const invoice = route('GET', '/transactions/:id/invoice', { params: z.object({ id: z.string() }) });
const login = route('POST', '/auth/login', { rateLimit: 'auth' });
const webhook = route('POST', '/wp-json/slbp/v1/webhook/lemon_squeezy', { absolute: true, rawBody: true });
const table = new RouteTable([one, list, invoice, login, webhook], () => 'https://shop.example');

const matched = (method: string, path: string) => {
  const m = table.match(method, path);
  return m && { spec: m.route.spec, params: m.params };
};

describe('the route table: every route, matched once per request', () => {
  it('finds a route by method and path in any case, with one optional trailing slash, HEAD with GET', () => {
    for (const path of [`${BASE}/auth/login`, `${BASE}/AUTH/Login`, `${BASE}/auth/login/`])
      expect(matched('POST', path), path).to.deep.equal({ spec: login, params: {} });
    expect(matched('HEAD', `${BASE}/backup/list`)?.spec).to.equal(list);
    expect(matched('POST', '/WP-JSON/slbp/v1/webhook/lemon_squeezy')?.spec).to.equal(webhook);
  });

  it('answers nothing for another method, two trailing slashes, or an encoded path of a route without parameters', () => {
    expect(matched('GET', `${BASE}/auth/login`)).to.equal(null);
    expect(matched('POST', `${BASE}/auth/login//`)).to.equal(null);
    expect(matched('POST', `${BASE}/auth/logi%6E`)).to.equal(null);
    expect(matched('POST', `${BASE}/auth%2Flogin`)).to.equal(null);
    expect(matched('GET', '/elsewhere')).to.equal(null);
  });

  it('fills path parameters decoded, one segment each; a route without parameters wins over a pattern it also fits', () => {
    expect(matched('GET', `${BASE}/backup/list`)?.spec).to.equal(list);
    expect(matched('GET', `${BASE}/backup/backup_2026%2D01`)).to.deep.equal({ spec: one, params: { id: 'backup_2026-01' } });
    expect(matched('GET', `${BASE}/TRANSACTIONS/12/invoice/`)).to.deep.equal({ spec: invoice, params: { id: '12' } });
    expect(matched('GET', `${BASE}/transactions/12/13/invoice`)).to.equal(null);
    // A malformed escape is passed on as it is (the route's schema decides).
    expect(matched('GET', `${BASE}/backup/%E0%A4%A`)?.params).to.deep.equal({ id: '%E0%A4%A' });
  });

  it('holds the namespace index, and routes only :name parameters', () => {
    expect(matched('GET', BASE)?.spec).to.include({ method: 'GET', path: BASE });
    expect(matched('GET', `${BASE}/`)?.spec).to.include({ path: BASE });
    expect(() => new RouteTable([route('GET', '/files/*')], () => '')).to.throw(/only :name parameters/);
  });
});
