import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../src/config/load.ts';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall, waitFor } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { cleanRedisPrefix, sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

describe('backups: a node killed mid-backup', () => {
  let db: TestDb;
  let env: Record<string, string>;
  let sc: ChildSidecar | null = null;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    env = sidecarEnv(db, { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET });
  });
  after(async () => {
    await sc?.stop('SIGKILL');
    await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    await db?.drop();
    await rm(path.join(projectRoot, env.SLBP_DATA_DIR!), { recursive: true, force: true });
  });

  it('leaves no completed backup, and the next start removes the partial files', async () => {
    // The site's own backup directory (docs/decisions/0024-site-identity.md).
    const backups = path.join(projectRoot, env.SLBP_DATA_DIR!, 'backups', siteKeyOf(db.name, db.prefix));
    sc = await spawnSidecar(env);
    // A long write transaction on a table late in the dump keeps mysqldump waiting half-way,
    // as a busy site would: the archive is partly written when the node dies.
    const lock = await db.pool.getConnection();
    let id = '';
    try {
      await lock.query(`LOCK TABLES ${db.prefix}terms WRITE`);
      const res = await adminCall(sc.url, 'POST', '/backup/create?async=1', { components: ['database', 'config'] });
      expect(res.status).to.equal(202);
      id = res.body.backup_id;
      // The backup first tries to hold the tables for its snapshot checksums (three 2 s waits on the
      // locked table) and then dumps without them: the archive appears after that.
      await waitFor(async () => existsSync(path.join(backups, id, 'database.sql.gz')), 30_000, 'partial archive');
      const listed = await adminCall(sc.url, 'GET', '/backup/list');
      expect(listed.body.backups.find((b: any) => b.id === id).status).to.equal('in_progress');
      sc.proc.kill('SIGKILL');
      await sc.exited;
    } finally {
      await lock.query('UNLOCK TABLES');
      lock.release();
    }
    expect(existsSync(path.join(backups, id, 'manifest.json'))).to.equal(false);
    expect(existsSync(path.join(backups, id, 'database.sql.gz'))).to.equal(true);

    sc = await spawnSidecar(env);
    const list = await adminCall(sc.url, 'GET', '/backup/list');
    expect(list.body.backups.filter((b: any) => b.status === 'completed')).to.deep.equal([]);
    const entry = list.body.backups.find((b: any) => b.id === id);
    expect(entry.status).to.equal('failed');
    expect(entry.error).to.match(/interrupted/);
    expect(await readdir(path.join(backups, id))).to.deep.equal(['failure.json']);
    // The pool-wide lock died with the node: a new backup runs once its lease lapses.
    const again = await waitFor(
      async () => {
        const r = await adminCall(sc!.url, 'POST', '/backup/create', { components: ['config'] });
        return r.status === 200 ? r : null;
      },
      40_000,
      'lock lease to lapse',
    );
    expect(again.body.backup_info.status).to.equal('completed');
    await sc.stop();
    sc = null;
  });
});
