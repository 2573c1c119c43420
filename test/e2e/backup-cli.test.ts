import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/load.ts';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { cleanRedisPrefix, sidecarEnv } from '../helpers/sidecar.ts';

const run = promisify(execFile);

describe('backup command line', () => {
  let db: TestDb;
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    env = sidecarEnv(db);
  });
  after(async () => {
    await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    await db?.drop();
    await rm(path.join(projectRoot, env.SLBP_DATA_DIR!), { recursive: true, force: true });
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli/main.ts'), 'backup', ...args], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
    );

  it('creates, lists and verifies with plain lines when not on a terminal, and flags a damaged archive', async () => {
    const created = await cli('create', '--components', 'database,config');
    expect(created.code, created.err).to.equal(0);
    const id = /^(backup_\S+) completed/m.exec(created.out)?.[1];
    expect(id, created.out).to.be.a('string');
    expect(created.out).to.not.include('\r');
    const list = await cli('list');
    expect(list.out).to.match(new RegExp(`^${id}\\tfull\\tcompleted\\t`, 'm'));
    const ok = await cli('verify', id!);
    expect(ok.code).to.equal(0);
    expect(
      ok.out
        .trim()
        .split('\n')
        .every((l) => l.startsWith('ok')),
    ).to.equal(true);
    const file = path.join(projectRoot, env.SLBP_DATA_DIR!, 'backups', siteKeyOf(db.name, db.prefix), id!, 'config.json.gz');
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    await writeFile(file, bytes);
    const bad = await cli('verify', id!);
    expect(bad.code).to.equal(1);
    expect(bad.out).to.match(/^BAD\s+config/m);
  });

  it('restore without --yes where nobody can answer refuses, names the target and changes nothing', async () => {
    const created = await cli('create', '--components', 'database');
    const id = /^(backup_\S+) completed/m.exec(created.out)![1]!;
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'changed after the backup' WHERE option_name = 'blogname'`);
    const r = await cli('restore', id);
    expect(r.code).to.equal(2);
    expect(r.err)
      .to.include(`backup:  ${id}, taken `)
      .and.match(
        new RegExp(
          `from database "${db.name}", table prefix "wp_" \\(site key ${siteKeyOf(db.name, 'wp_')}\\) on \\S+ \\(all tables\\); database,`,
        ),
      );
    expect(r.err).to.include(`target:  database ${db.name} on 127.0.0.1:3306 (table prefix wp_)`);
    expect(r.err.trimEnd().split('\n').at(-1)).to.equal(
      `slbp: refusing to restore over database ${db.name} without confirmation: stdin is not a terminal; pass --yes`,
    );
    expect(r.out).to.equal('');
    const [[row]] = await db.pool.query<any>(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'blogname'`);
    expect(row.option_value).to.equal('changed after the backup');
    expect((await cli('list')).out).to.not.include('pre_restore');
  });

  it('restore --yes restores with progress lines: checksums, the safety backup, then the data with its total', async () => {
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'value in the backup' WHERE option_name = 'blogname'`);
    const created = await cli('create', '--components', 'database');
    const id = /^(backup_\S+) completed/m.exec(created.out)![1]!;
    expect(created.err).to.match(/^backup database: done, \d+ tables in [\d.]+ s$/m);
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'changed after the backup' WHERE option_name = 'blogname'`);
    const r = await cli('restore', id, '--yes');
    expect(r.code, r.err).to.equal(0);
    const lines = r.err.split('\n');
    const size = '[\\d.]+ (?:B|kB|MB)';
    expect(
      lines.some((l) => new RegExp(`^verify checksums: 100% \\(${size} of ${size}\\)$`).test(l)),
      r.err,
    ).to.equal(true);
    expect(
      lines.some((l) => /^safety backup database: \d+% \(\d+ of \d+ tables/.test(l)),
      r.err,
    ).to.equal(true);
    expect(
      lines.some((l) => new RegExp(`^restore database: 100% \\(${size} of ${size}\\)$`).test(l)),
      r.err,
    ).to.equal(true);
    expect(
      lines.some((l) => new RegExp(`^restore database: done, ${size} in [\\d.]+ s$`).test(l)),
      r.err,
    ).to.equal(true);
    expect(r.err).to.not.include('\r');
    expect(JSON.parse(r.out)).to.include.keys('safety_backup_id', 'database', 'duration_ms');
    const [[row]] = await db.pool.query<any>(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'blogname'`);
    expect(row.option_value).to.equal('value in the backup');
  });

  it("lists every site's backups with --all-sites, and restores another site's backup only with --allow-other-site", async () => {
    const other = await createTestDb({ size: 'tiny' });
    // The other site shares this data directory, as two stores on one host would.
    const otherEnv = { ...sidecarEnv(other), SLBP_DATA_DIR: env.SLBP_DATA_DIR!, SLBP_REDIS_PREFIX: env.SLBP_REDIS_PREFIX! };
    const otherCli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli/main.ts'), 'backup', ...args], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...otherEnv },
      }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
      );
    try {
      const made = await otherCli('create', '--components', 'database');
      expect(made.code, made.err).to.equal(0);
      const id = /^(backup_\S+) completed/m.exec(made.out)![1]!;
      expect((await cli('list')).out).to.not.include(id);
      const all = await cli('list', '--all-sites');
      expect(all.code, all.err).to.equal(0);
      expect(all.out).to.match(
        new RegExp(
          `^${id}\\tfull\\tcompleted\\t.*database "${other.name}", table prefix "wp_" \\(site key ${siteKeyOf(other.name, 'wp_')}\\)`,
          'm',
        ),
      );
      expect(all.out).to.include(`this site: database "${db.name}"`);

      const backups = path.join(projectRoot, env.SLBP_DATA_DIR!, 'backups');
      await cp(path.join(backups, siteKeyOf(other.name, 'wp_'), id), path.join(backups, siteKeyOf(db.name, db.prefix), id), {
        recursive: true,
      });
      const refused = await cli('restore', id, '--components', 'database', '--yes');
      expect(refused.code).to.equal(1);
      expect(refused.err)
        .to.include('slbp_backup_other_site')
        .and.include(`database "${other.name}"`)
        .and.include(`database "${db.name}"`)
        .and.include('--allow-other-site');
      const [[marker]] = await other.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${other.prefix}slbp_transactions`);
      await db.pool.query(`DELETE FROM ${db.prefix}slbp_transactions`);
      const allowed = await cli('restore', id, '--components', 'database', '--allow-other-site', '--yes');
      expect(allowed.code, allowed.err).to.equal(0);
      const [[restored]] = await db.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_transactions`);
      expect(restored.n).to.equal(marker.n);
    } finally {
      await other.drop();
    }
  });
});
