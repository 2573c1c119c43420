import { expect } from 'chai';
import { hashTagOf, tagSetKey, valueKey, withSiteHashTag } from '../../src/cache/keys.ts';
import { loadConfig } from '../../src/config/load.ts';
import { describeSite, siteIdentity, siteKeyOf } from '../../src/config/site-identity.ts';

const keyFor = (env: Record<string, string>) => {
  const c = loadConfig({ env: { SLBP_ENV: 'test', ...env } });
  return siteIdentity(c.db.name, c.db.tablePrefix).key;
};

describe('site identity', () => {
  it('is the same on every node of a site, whatever name each node reaches the database by', () => {
    const keys = [
      keyFor({ DB_NAME: 'shop', DB_HOST: '127.0.0.1' }),
      keyFor({ DB_NAME: 'shop', DB_HOST: 'localhost' }),
      keyFor({ DB_NAME: 'shop', DB_HOST: 'localhost:/run/mysqld/mysqld.sock' }),
      keyFor({ DB_NAME: 'shop', DB_HOST: 'db.internal:3307', DB_HOST_WRITE: '10.0.0.5', DB_HOST_READ: 'replica1,replica2' }),
    ];
    expect(new Set(keys).size).to.equal(1);
    expect(keys[0]).to.match(/^[0-9a-f]{12}$/);
  });

  it('differs for a copy in another database or under another table prefix', () => {
    const base = siteKeyOf('shop', 'wp_');
    expect(siteKeyOf('shop_staging', 'wp_')).to.not.equal(base);
    expect(siteKeyOf('shop', 'wpstg0_')).to.not.equal(base);
    // The separator keeps "ab"+"c_" apart from "a"+"bc_".
    expect(siteKeyOf('ab', 'c_')).to.not.equal(siteKeyOf('a', 'bc_'));
  });

  it('puts the site key inside every Redis Cluster hash tag, and only there', () => {
    expect(withSiteHashTag('v1:{user:42}:identity', 's1')).to.equal('v1:{s1:user:42}:identity');
    expect(withSiteHashTag('v1:billing:transactions:{all}:page=1', 's1')).to.equal('v1:billing:transactions:{s1:all}:page=1');
    expect(withSiteHashTag('v1:analytics:revenue:q', 's1')).to.equal('v1:analytics:revenue:q');
    expect(valueKey('v1:{user:42}:identity', 's1')).to.equal('c:v1:{s1:user:42}:identity');
    expect(tagSetKey('user:42', 's1')).to.equal('t:{s1:user:42}');
    // A value and its owner's tag set still share a slot: the same hash tag.
    expect(hashTagOf(valueKey('v1:{user:42}:identity', 's1'))).to.equal(hashTagOf(tagSetKey('user:42', 's1')));
    expect(hashTagOf(tagSetKey('user:42', 's1'))).to.not.equal(hashTagOf(tagSetKey('user:42', 's2')));
  });

  it('names a site in messages by database, prefix, key and server', () => {
    expect(describeSite({ database: 'shop', table_prefix: 'wp_', site_key: 'abc', server: 'db1:3306' })).to.equal(
      'database "shop", table prefix "wp_" (site key abc) on db1:3306',
    );
  });
});
