import { expect } from 'chai';
import winston from 'winston';
import { LayeredCache } from '../../src/cache/layered-cache.ts';
import { DatabaseUnavailableError } from '../../src/data/database.ts';
import { cacheKeys, hashTagOf, isValidTag } from '../../src/cache/keys.ts';
import { NonceStore } from '../../src/cache/nonce-store.ts';
import { stalePurge } from '../../src/cache/stale-purge.ts';

const silent = winston.createLogger({ silent: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function l1Only(overrides: Partial<ConstructorParameters<typeof LayeredCache>[1]> = {}) {
  return new LayeredCache(
    null,
    { maxEntries: 100, maxBytes: 1_000_000, l1TtlSec: 300, l2TtlSec: () => 3600, jitter: 0.1, ...overrides },
    silent,
  );
}

/** A loader that counts its calls and answers, after `ms`, what it read when it started. */
function counting<T>(value: () => T, ms = 20) {
  const loader = async () => {
    loader.calls++;
    const v = value();
    await sleep(ms);
    return v;
  };
  loader.calls = 0;
  return loader;
}

describe('layered cache, in-process layer (no Redis)', () => {
  it('200 concurrent reads of a cold key run the loader once and all get its value', async () => {
    const cache = l1Only();
    const load = counting(() => ({ n: 42 }));
    const results = await Promise.all(Array.from({ length: 200 }, () => cache.wrap('k', load)));
    expect(load.calls).to.equal(1);
    expect(results.every((r) => r.n === 42)).to.equal(true);
    expect(cache.stats()).to.include({ loads: 1 });
    await cache.wrap('k', load);
    expect(cache.stats().l1.hits).to.equal(1);
  });

  it('peek answers only what this process holds: nothing before a load, the value after, nothing after an invalidation', async () => {
    const cache = l1Only();
    expect(cache.peek('k')).to.equal(undefined);
    const value = await cache.wrap('k', async () => ({ n: 1 }), { tags: ['t'] });
    expect(cache.peek('k')).to.equal(value);
    expect(cache.stats().l1.hits).to.equal(1);
    await cache.invalidate({ tags: ['t'] });
    expect(cache.peek('k')).to.equal(undefined);
    expect(cache.stats()).to.include({ loads: 1 });
  });

  it('a failed load is not cached and the next read tries again', async () => {
    const cache = l1Only();
    let fail = true;
    const load = async () => {
      if (fail) throw new Error('db down');
      return 'ok';
    };
    await cache.wrap('k', load).then(
      () => expect.fail('should throw'),
      (e) => expect(e.message).to.equal('db down'),
    );
    fail = false;
    expect(await cache.wrap('k', load)).to.equal('ok');
    expect(cache.stats().load_errors).to.equal(1);
  });

  it('invalidating a tag drops every key carrying it and nothing else', async () => {
    const cache = l1Only();
    let version = 1;
    const load = async () => version;
    await cache.wrap('a', load, { tags: ['user:1', 'billing'] });
    await cache.wrap('b', load, { tags: ['user:2'] });
    await cache.wrap('c', load, { tags: ['billing'] });
    version = 2;
    const res = await cache.invalidate({ tags: ['billing'] });
    expect(res).to.deep.equal({ invalidated: 2, nodes_notified: 0 });
    expect(await cache.wrap('a', load)).to.equal(2);
    expect(await cache.wrap('b', load)).to.equal(1);
    expect(await cache.wrap('c', load)).to.equal(2);
    await cache.invalidate({ keys: ['b'] });
    expect(await cache.wrap('b', load)).to.equal(2);
    await cache.invalidate({ all: true });
    expect(cache.size).to.equal(0);
  });

  it('a load that was running when an invalidation arrived is returned but not kept', async () => {
    const cache = l1Only();
    let version = 1;
    const slow = counting(() => version, 50);
    const first = cache.wrap('k', slow, { tags: ['options'] });
    await sleep(10);
    version = 2;
    await cache.invalidate({ tags: ['options'] });
    // A caller after the invalidation does not join the stale load.
    const second = cache.wrap('k', slow, { tags: ['options'] });
    expect(await first).to.equal(1);
    expect(await second).to.equal(2);
    expect(await cache.wrap('k', slow)).to.equal(2);
    expect(slow.calls).to.equal(2);
  });

  it('keeps L1 within its entry and byte bounds, and honours the L1 TTL', async () => {
    const cache = l1Only({ maxEntries: 5, maxBytes: 2000 });
    for (let i = 0; i < 20; i++) await cache.wrap(`k${i}`, async () => 'x'.repeat(100));
    expect(cache.stats().l1.entries).to.be.at.most(5);
    expect(cache.stats().l1.bytes).to.be.at.most(2000);
    const short = l1Only({ jitter: 0 });
    const load = counting(() => 'v', 0);
    await short.wrap('k', load, { l1TtlSec: 1 });
    await sleep(1100);
    await short.wrap('k', load, { l1TtlSec: 1 });
    expect(load.calls).to.equal(2);
  });

  it('reports hit ratios between 0 and 1', async () => {
    const cache = l1Only();
    await cache.wrap('k', async () => 1);
    for (let i = 0; i < 3; i++) await cache.wrap('k', async () => 1);
    const s = cache.stats();
    expect(s.hit_ratio).to.equal(0.75);
    expect(s.l1.hit_ratio).to.equal(0.75);
  });
});

describe('layered cache: stale-if-error (#24)', () => {
  const page = { rows: [{ id: 1 }], total: 1 };
  const down = () => Promise.reject(new DatabaseUnavailableError('database unavailable: ECONNREFUSED'));

  it('past its lifetime an entry is not answered, but a load that finds the database unavailable answers it, marked stale', async () => {
    const cache = l1Only({ l1TtlSec: 1, jitter: 0, staleIfErrorSec: 60 });
    expect(await cache.wrap('k', async () => page)).to.equal(page);
    expect(cache.staleAge(page)).to.equal(undefined);
    await sleep(1100);
    expect(cache.peek('k')).to.equal(undefined);
    const answered = await cache.wrap('k', down);
    expect(answered).to.equal(page);
    expect(cache.staleAge(answered)).to.be.a('number').and.at.least(1);
    // The rows inside are marked too: a route renders them, not the page object.
    expect(cache.staleAge(page.rows)).to.equal(cache.staleAge(page));
    expect(cache.stats().stale_answers).to.equal(1);
    // Once the database answers, the fresh value replaces it and is not marked.
    const fresh = { rows: [{ id: 2 }], total: 1 };
    expect(await cache.wrap('k', async () => fresh)).to.equal(fresh);
    expect(cache.staleAge(fresh)).to.equal(undefined);
  });

  it('other load errors are not hidden, and nothing is kept past the window or without one', async () => {
    const cache = l1Only({ l1TtlSec: 1, jitter: 0, staleIfErrorSec: 1 });
    await cache.wrap('k', async () => page);
    await sleep(1100);
    let err: unknown;
    await cache.wrap('k', () => Promise.reject(new Error('a bug'))).catch((e) => (err = e));
    expect((err as Error).message).to.equal('a bug');
    await sleep(1100);
    err = undefined;
    await cache.wrap('k', down).catch((e) => (err = e));
    expect(err).to.be.instanceOf(DatabaseUnavailableError);

    const none = l1Only({ l1TtlSec: 1, jitter: 0 });
    await none.wrap('k', async () => page);
    await sleep(1100);
    err = undefined;
    await none.wrap('k', down).catch((e) => (err = e));
    expect(err).to.be.instanceOf(DatabaseUnavailableError);
  });
});

describe('expired in-process entries leave without being read again', () => {
  /** Polls (the purge runs on its own timer) until `done`, for at most two seconds. */
  async function until(done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await sleep(10);
  }

  it('the purge service removes expired L1 entries and their tag index, and keeps live ones', async () => {
    let now = 1_000_000;
    const cache = l1Only({ l1TtlSec: 60, jitter: 0, clock: { now: () => now } });
    for (let i = 0; i < 50; i++) await cache.wrap(`short:${i}`, async () => ({ i }), { tags: [`user:${i}`] });
    await cache.wrap('long', async () => ({ kept: true }), { tags: ['site'], l1TtlSec: 600 });
    expect(cache.size).to.equal(51);
    expect(cache.taggedCount).to.equal(51);
    const purge = stalePurge('cache-expiry', [cache], 5);
    purge.start!();
    try {
      now += 61_000; // past the short entries' lifetime; no read touches them
      await until(() => cache.size === 1);
      expect(cache.size).to.equal(1);
      expect(cache.taggedCount).to.equal(1);
      expect(cache.peek('long')).to.deep.equal({ kept: true });
      expect(cache.stats().l1.bytes).to.be.below(100);
    } finally {
      purge.stop();
    }
  });

  it('without the purge, expired entries stay until a read or the cap (what the service is for)', async () => {
    let now = 1_000_000;
    const cache = l1Only({ l1TtlSec: 60, jitter: 0, clock: { now: () => now } });
    for (let i = 0; i < 10; i++) await cache.wrap(`k:${i}`, async () => ({ i }));
    now += 61_000;
    expect(cache.size).to.equal(10);
    expect(cache.purgeStale()).to.equal(true);
    expect(cache.size).to.equal(0);
  });

  it("the nonce store's in-process set forgets nonces past their TTL", async () => {
    const nonces = new NonceStore(null, 1);
    for (let i = 0; i < 20; i++) expect(await nonces.claim('shim', `n${i}`)).to.equal(true);
    expect(await nonces.claim('shim', 'n0')).to.equal(false);
    await sleep(1100);
    const purge = stalePurge('nonce-expiry', [nonces], 5);
    purge.start!();
    try {
      await until(() => nonces.size === 0);
      expect(nonces.size).to.equal(0);
    } finally {
      purge.stop();
    }
  });
});

describe('layered cache, Redis layer faked in memory', () => {
  /** Just enough of RedisStore to watch what the cache asks of Redis. */
  function fakeStore() {
    const data = new Map<string, string>();
    const deleted: string[] = [];
    const store = {
      available: true,
      async get(key: string) {
        const raw = data.get(key);
        return raw === undefined ? undefined : { value: JSON.parse(raw), chars: raw.length };
      },
      async set(key: string, json: string) {
        data.set(key, json);
      },
      async deleteKeys(keys: string[]) {
        deleted.push(...keys);
        keys.forEach((k) => data.delete(k));
        return keys.length;
      },
      async deleteTags() {
        return 0;
      },
      async deleteAll() {
        return 0;
      },
    };
    return { store, data, deleted };
  }

  it("another node's invalidation also deletes what this node wrote to Redis just before it arrived", async () => {
    const { store, data, deleted } = fakeStore();
    const cache = new LayeredCache(
      store as never,
      { maxEntries: 100, maxBytes: 1_000_000, l1TtlSec: 300, l2TtlSec: () => 3600, jitter: 0 },
      silent,
    );
    await cache.wrap('v1:{user:1}:identity', async () => ({ role: 'editor' }), { tags: ['user:1'] });
    await cache.wrap('v1:other', async () => 1, { tags: ['billing'] });
    expect(data.has('v1:{user:1}:identity')).to.equal(true);
    cache.applyRemote({ tags: ['user:1'] });
    await sleep(0);
    expect(deleted).to.deep.equal(['v1:{user:1}:identity']);
    expect(cache.size).to.equal(1);
  });

  it('an invalidation Redis could not take is replayed once it is back', async () => {
    const { store, deleted } = fakeStore();
    const cache = new LayeredCache(
      store as never,
      { maxEntries: 100, maxBytes: 1_000_000, l1TtlSec: 300, l2TtlSec: () => 3600, jitter: 0 },
      silent,
    );
    store.available = false;
    expect(await cache.invalidate({ keys: ['v1:a'] })).to.deep.equal({ invalidated: 0, nodes_notified: 0 });
    expect(cache.hasPending).to.equal(true);
    store.available = true;
    await cache.replayPending();
    expect(deleted).to.deep.equal(['v1:a']);
    expect(cache.hasPending).to.equal(false);
  });
});

describe('cache keys', () => {
  it('put a user-scoped key in the slot of its tag set, and validate tags', () => {
    expect(cacheKeys.userIdentity(42)).to.match(/^v\d+:/);
    expect(hashTagOf(cacheKeys.userIdentity(42))).to.equal('user:42');
    expect(isValidTag('user:42')).to.equal(true);
    expect(isValidTag('options')).to.equal(true);
    expect(isValidTag('*')).to.equal(false);
    expect(isValidTag('user:4 2')).to.equal(false);
  });
});
