import { expect } from 'chai';
import { AddressList } from '../../src/http/client-ip.ts';
import { requestOrigin } from '../../src/http/middleware/origin.ts';
import type { AppContext } from '../../src/http/route.ts';

describe('request origin', () => {
  let listsBuilt = 0;
  const step = requestOrigin({
    trustedProxies: new AddressList(['10.0.0.1']),
    healthCheckIps: () => (listsBuilt++, ['203.0.113.0/24']),
    monitoringIps: () => (listsBuilt++, ['198.51.100.7']),
    version: () => 1,
    metricsToken: 'metrics-token-0123456789',
    healthToken: '',
  });
  const ctxFrom = (peer: string, headers: Record<string, string>) => {
    const ctx = { req: { headers, socket: { remoteAddress: peer } }, state: {} } as unknown as AppContext;
    step(ctx);
    return ctx.state.origin;
  };

  it('works nothing out until asked, then answers from the socket, the trusted proxy chain and the allowlists', () => {
    listsBuilt = 0;
    const origin = ctxFrom('10.0.0.1', { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' });
    expect(listsBuilt).to.equal(0);
    expect(origin.ip).to.equal('203.0.113.9');
    expect(origin.healthCheckAddress).to.equal(true);
    expect(origin.monitoringAddress).to.equal(false);
    expect(origin.healthCheckAddress).to.equal(true);
    expect(listsBuilt).to.equal(2);
    // An untrusted peer's X-Forwarded-For is ignored.
    expect(ctxFrom('192.0.2.4', { 'x-forwarded-for': '198.51.100.7' }).monitoringAddress).to.equal(false);
    expect(ctxFrom('198.51.100.7', {}).monitoringAddress).to.equal(true);
  });

  it('keeps the peer address it started with, even when the socket no longer tells it', () => {
    const socket: { remoteAddress?: string } = { remoteAddress: '203.0.113.20' };
    const ctx = { req: { headers: {}, socket }, state: {} } as unknown as AppContext;
    step(ctx);
    delete socket.remoteAddress;
    expect(ctx.state.origin.ip).to.equal('203.0.113.20');
    expect(ctx.state.origin.healthCheckAddress).to.equal(true);
  });

  it('grants the metrics token only to its exact bearer, and an unset token to nobody', () => {
    expect(ctxFrom('192.0.2.4', { authorization: 'Bearer metrics-token-0123456789' }).metricsToken).to.equal(true);
    expect(ctxFrom('192.0.2.4', { authorization: 'Bearer metrics-token-012345678' }).metricsToken).to.equal(false);
    expect(ctxFrom('192.0.2.4', {}).metricsToken).to.equal(false);
    expect(ctxFrom('192.0.2.4', { authorization: 'Bearer ' }).healthToken).to.equal(false);
  });
});
