import { expect } from 'chai';
import winston from 'winston';
import { LayeredCache } from '../../src/cache/layered-cache.ts';
import type { DatabaseRouter } from '../../src/data/database-router.ts';
import { BillingReads, whenReady } from '../../src/domain/billing/billing-reads.ts';

const silent = winston.createLogger({ silent: true });

function reads(hasReplicas: boolean) {
  const cache = new LayeredCache(null, { maxEntries: 100, maxBytes: 1_000_000, l1TtlSec: 300, l2TtlSec: () => 3600, jitter: 0 }, silent);
  const routing = {
    hasReplicas,
    asked: 0,
    async wroteRecently() {
      routing.asked++;
      return false;
    },
  };
  return { cache, routing, reads: new BillingReads(routing as unknown as DatabaseRouter, cache) };
}

describe('billing reads', () => {
  const admin = { userId: 1, admin: true };

  it('answers a value this process has cached as it is, not as a promise, when there are no replicas', async () => {
    const { reads: r } = reads(false);
    let loads = 0;
    const load = async () => ({ rows: [1, 2, 3], loads: ++loads });
    const first = r.read(admin, 'billing:k', ['billing'], load);
    expect(first).to.be.instanceOf(Promise);
    const value = await first;
    const second = r.read(admin, 'billing:k', ['billing'], load);
    expect(second).to.not.be.instanceOf(Promise);
    expect(second).to.equal(value);
    expect(loads).to.equal(1);
  });

  it('with replicas every read asks the routing first (a viewer who just wrote must not get a cached value)', async () => {
    const { reads: r, routing } = reads(true);
    const load = async () => ({ n: 1 });
    await r.read(admin, 'billing:k', ['billing'], load);
    const again = r.read(admin, 'billing:k', ['billing'], load);
    expect(again).to.be.instanceOf(Promise);
    await again;
    expect(routing.asked).to.equal(2);
  });

  it('whenReady applies its function now to a value and later to a promise', async () => {
    expect(whenReady(2, (n) => n * 3)).to.equal(6);
    const later = whenReady(Promise.resolve(2), (n) => n * 3);
    expect(later).to.be.instanceOf(Promise);
    expect(await later).to.equal(6);
  });
});
