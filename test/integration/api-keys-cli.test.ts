import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { CliError, runApiKeysCli } from '../../scripts/lib/api-keys-cli.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { sidecarEnv, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('API key CLI (scripts/api-keys.ts)', () => {
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

  it('create prints the key once and stores only its sha256; the key works; list masks it; revoke stops it at once', async () => {
    const out = await runApiKeysCli(['create', '--user', 'manager', '--name', 'reporting', '--permissions', 'read_billing,read_analytics', '--rate-limit', '500'], config);
    const key = /^key: (\S+)$/m.exec(out.join('\n'))?.[1];
    expect(key).to.match(/^slbp_/);
    const [[row]] = await db.pool.query<any>(`SELECT * FROM ${db.prefix}slbp_api_keys WHERE name = 'reporting'`);
    expect(row.api_key).to.equal(createHash('sha256').update(key!).digest('hex'));
    expect(JSON.parse(row.permissions)).to.deep.equal(['read_billing', 'read_analytics']);
    expect(Number(row.rate_limit)).to.equal(500);
    expect(Number(row.user_id)).to.equal(2);

    const verify = await call(`${sc.base}/auth/verify`, { headers: { Authorization: `Bearer ${key}` } });
    expect(verify.body).to.include({ valid: true, user_id: 2, key_id: Number(row.id) });

    const listed = (await runApiKeysCli(['list'], config)).join('\n');
    expect(listed).to.include(`#${row.id}`).and.include('reporting').and.include('active');
    expect(listed).to.not.include(key!).and.not.include(row.api_key);

    expect(await runApiKeysCli(['revoke', String(row.id)], config)).to.deep.equal([`revoked API key ${row.id}`]);
    expectRestError(await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': key! } }), 'slbp_invalid_api_key', 401);
    expect((await runApiKeysCli(['list'], config)).join('\n')).to.include('revoked');
  });

  it('refuses unknown permissions, unknown users and bad dates without writing anything', async () => {
    const [[before]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_api_keys`);
    for (const args of [
      ['create', '--user', 'admin', '--name', 'x', '--permissions', 'read,superuser'],
      ['create', '--user', 'no-such-user', '--name', 'x'],
      ['create', '--user', '1', '--name', 'x', '--expires', 'tomorrow'],
      ['revoke', '999999'],
      ['frobnicate'],
    ]) {
      let error: unknown;
      try {
        await runApiKeysCli(args, config);
      } catch (err) {
        error = err;
      }
      expect(error, args.join(' ')).to.be.instanceOf(CliError);
    }
    const [[after]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_api_keys`);
    expect(after.n).to.equal(before.n);
  });
});
