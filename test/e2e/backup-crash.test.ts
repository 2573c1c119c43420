import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/config/load.ts';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall, waitFor } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { cleanRedisPrefix, sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

/** Every regular file under `dir` (a few levels deep) whose text holds `needle`. */
async function filesHolding(dir: string, needle: string, depth = 6): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0) found.push(...(await filesHolding(p, needle, depth - 1)));
    else if (e.isFile() && (await stat(p)).size < 1_000_000 && (await readFile(p, 'latin1')).includes(needle)) found.push(p);
  }
  return found;
}

/** The command lines of every process on this host that mention `needle`. */
async function commandLinesHolding(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) out.push(cmd.replaceAll('\0', ' '));
  }
  return out;
}

describe('backups: a node killed mid-backup', () => {
  let db: TestDb;
  let env: Record<string, string>;
  let sc: ChildSidecar | null = null;
  // The backup connects as a user of its own with a password, so a leaked credential can be found.
  const user = `slbp_bk_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  let tmp = '';

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    await db.pool.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await db.pool.query(`GRANT ALL PRIVILEGES ON \`${db.name}\`.* TO '${user}'@'%'`);
    // The node's system temp directory, private to this test so other processes' files do not count.
    tmp = await mkdtemp(path.join(os.tmpdir(), 'slbp-crash-tmp-'));
    env = sidecarEnv(db, { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, DB_USER: user, DB_PASSWORD: password, TMPDIR: tmp });
  });
  after(async () => {
    await sc?.stop('SIGKILL');
    await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    await db?.pool.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await db?.drop();
    await rm(path.join(projectRoot, env.SLBP_DATA_DIR!), { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
  });

  it('leaves no completed backup, and the next start removes the partial files', async () => {
    // The site's own backup directory (docs/decisions/0024-site-identity.md).
    const backups = path.join(projectRoot, env.SLBP_DATA_DIR!, 'backups', siteKeyOf(db.name, db.prefix));
    // What a killed backup of an earlier version left behind: its credentials file, in the temp directory.
    const leftover = path.join(tmp, 'slbp-db-Ab12Cd');
    await mkdir(leftover);
    await writeFile(path.join(leftover, 'client.cnf'), `[client]\nuser="${user}"\npassword="${password}"\n`, { mode: 0o600 });
    const old = new Date(Date.now() - 3_600_000);
    await utimes(leftover, old, old);
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
      // mysqldump is running (waiting on the lock) as the backup's user, its password in no command line.
      expect((await commandLinesHolding(`--user=${user}`)).some((c) => c.includes('mysqldump'))).to.equal(true);
      expect(await commandLinesHolding(password)).to.deep.equal([]);
      // The start's recovery removed the earlier version's file; the running backup wrote none.
      expect(existsSync(leftover)).to.equal(false);
      expect(await filesHolding(tmp, password)).to.deep.equal([]);
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
    // No credentials anywhere outside the private data directory, and none inside it either: the
    // password never went into a file.
    expect(await filesHolding(tmp, password)).to.deep.equal([]);
    expect(await filesHolding(tmp, user)).to.deep.equal([]);
    expect(await filesHolding(path.join(projectRoot, env.SLBP_DATA_DIR!), password)).to.deep.equal([]);
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
