import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createKey, listKeys, revokeKey } from '../../scripts/lib/api-keys-cli.ts';
import { CliError } from '../../src/cli/io.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { sidecarEnv, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('API key CLI (slbp api-keys)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let config: Config;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    config = loadConfig({ env: sidecarEnv(db) });
    sc = await startSidecar(db);
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('create prints the key once and stores only its sha256; the key works; list masks it; revoke stops it within a second', async () => {
    const out = await createKey(config, {
      user: 'manager',
      name: 'reporting',
      permissions: 'read_billing,read_analytics',
      rateLimit: '500',
    });
    const key = /^key: (\S+)$/m.exec(out.join('\n'))?.[1];
    expect(key).to.match(/^slbp_/);
    const [[row]] = await db.pool.query<any>(`SELECT * FROM ${db.prefix}slbp_api_keys WHERE name = 'reporting'`);
    expect(row.api_key).to.equal(createHash('sha256').update(key!).digest('hex'));
    expect(JSON.parse(row.permissions)).to.deep.equal(['read_billing', 'read_analytics']);
    expect(Number(row.rate_limit)).to.equal(500);
    expect(Number(row.user_id)).to.equal(2);

    const verify = await call(`${sc.base}/auth/verify`, { headers: { Authorization: `Bearer ${key}` } });
    expect(verify.body).to.include({ valid: true, user_id: 2, key_id: Number(row.id) });

    const listed = (await listKeys(config)).join('\n');
    expect(listed).to.include(`#${row.id}`).and.include('reporting').and.include('active');
    expect(listed).to.not.include(key!).and.not.include(row.api_key);

    expect(await revokeKey(config, String(row.id))).to.deep.equal([`revoked API key ${row.id}`]);
    // Running nodes hold keys in process; the revocation reaches them through the version key they poll twice a second.
    await new Promise((r) => setTimeout(r, 1000));
    expectRestError(await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': key! } }), 'slbp_invalid_api_key', 401);
    expect((await listKeys(config)).join('\n')).to.include('revoked');
  });

  it('refuses unknown permissions, unknown users and bad dates without writing anything', async () => {
    const [[before]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_api_keys`);
    const attempts: (() => Promise<unknown>)[] = [
      () => createKey(config, { user: 'admin', name: 'x', permissions: 'read,superuser', rateLimit: '1000' }),
      () => createKey(config, { user: 'no-such-user', name: 'x', permissions: 'read', rateLimit: '1000' }),
      () => createKey(config, { user: '1', name: 'x', permissions: 'read', rateLimit: '1000', expires: 'tomorrow' }),
      () => createKey(config, { user: '1', name: 'x', permissions: 'read', rateLimit: 'lots' }),
      () => revokeKey(config, '999999'),
      () => revokeKey(config, 'seven'),
    ];
    for (const [i, attempt] of attempts.entries()) {
      let error: unknown;
      try {
        await attempt();
      } catch (err) {
        error = err;
      }
      expect(error, `attempt ${i}`).to.be.instanceOf(CliError);
    }
    const [[after]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_api_keys`);
    expect(after.n).to.equal(before.n);
  });
});
