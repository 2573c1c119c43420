import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import winston from 'winston';
import { RedisHandle } from '../../src/cache/redis.ts';
import { RedisStore } from '../../src/cache/redis-store.ts';
import { loadConfig } from '../../src/config/load.ts';
import { cleanRedisPrefix } from '../helpers/redis.ts';

const silent = winston.createLogger({ silent: true });

describe('Redis layer of the cache (shared Redis, own prefix)', () => {
  // Glob characters in the prefix must match literally in SCAN, or `all` would reach other keys.
  const id = randomBytes(3).toString('hex');
  const prefix = `slbp-test:${process.pid}:[${id}]*:`;
  // Would match the prefix read as a glob ([...] is one of its characters, * anything).
  const lookalike = `slbp-test:${process.pid}:${id[0]}-lookalike:`;
  const site = 'a1b2c3d4e5f6';
  const ns = `${prefix}${site}:`;
  let handle: RedisHandle;
  let store: RedisStore;
  let plain: Redis;

  before(async () => {
    const cfg = loadConfig({ env: { SLBP_ENV: 'test', DB_NAME: 'unused', SLBP_REDIS_PREFIX: prefix } });
    handle = new RedisHandle(cfg.redis, site, silent);
    store = new RedisStore(handle);
    plain = new Redis({ host: '127.0.0.1', port: 6379 });
    if (!handle.isReady()) await new Promise((resolve) => handle.client.once('ready', resolve));
  });

  after(async () => {
    await plain.del(`${lookalike}c:v1:a`);
    plain.disconnect();
    await handle.close();
    await cleanRedisPrefix(prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`));
  });

  it('stores values with tag sets, deletes by tag, and `all` stays inside its own prefix', async () => {
    await plain.set(`${lookalike}c:v1:a`, 'not ours');
    await store.set('v1:{user:1}:identity', JSON.stringify({ roles: ['editor'] }), 60, ['user:1', 'billing']);
    await store.set('v1:totals', JSON.stringify(5), 60, ['billing']);
    expect((await store.get('v1:{user:1}:identity'))?.value).to.deep.equal({ roles: ['editor'] });
    // The site's namespace follows the operator's prefix, and its key is inside every hash tag.
    expect(await plain.get(`${ns}c:v1:{${site}:user:1}:identity`)).to.equal(JSON.stringify({ roles: ['editor'] }));
    expect(await plain.smembers(`${ns}t:{${site}:billing}`)).to.have.members([`c:v1:{${site}:user:1}:identity`, 'c:v1:totals']);
    expect(await plain.ttl(`${ns}t:{${site}:user:1}`)).to.be.within(1, 60);

    expect(await store.deleteTags(['billing'])).to.equal(2);
    expect(await store.get('v1:totals')).to.equal(undefined);

    await store.set('v1:x', '1', 60, ['analytics']);
    expect(await store.deleteAll()).to.equal(1);
    expect(await plain.keys(`${prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`)}*`)).to.deep.equal([]);
    expect(await plain.get(`${lookalike}c:v1:a`)).to.equal('not ours');
  });
});
