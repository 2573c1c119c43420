import { expect } from 'chai';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_ID, asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall, tableFingerprint, waitFor } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('backups: create, list, restore, refuse', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let root: string;
  const tx = () => `${db.prefix}slbp_transactions`;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
    root = sc.container.backup.store.root;
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  async function create(components = ['database', 'config']) {
    const res = await adminCall(sc.url, 'POST', '/backup/create', { components });
    expect(res.status, res.text).to.equal(200);
    return res.body.backup_id as string;
  }

  it('creates a backup with the plugin fields and a manifest, private on disk, for administrators only', async () => {
    const student = await call(`${sc.base}/backup/create`, asUser(STUDENT_ID, 'POST', `${NS}/backup/create`, {}));
    expectRestError(student, 'rest_forbidden', 403);
    const res = await adminCall(sc.url, 'POST', '/backup/create', { components: ['database', 'config'] });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ success: true, message: 'Backup created successfully' });
    const info = res.body.backup_info;
    expect(info).to.include({ id: res.body.backup_id, type: 'full', status: 'completed' });
    expect(info.components).to.deep.equal(['database', 'config']);
    expect(info.files).to.have.keys('database', 'config');
    expect(info.size).to.be.greaterThan(1000);
    // The plugin's date format (site time), the UTC instant beside it.
    expect(info.created_at).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(info.created_at_gmt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const one = await adminCall(sc.url, 'GET', `/backup/${info.id}`);
    expect(one.status).to.equal(200);
    const m = one.body.backup_info.manifest;
    expect(m.files.database.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(m.files.database.bytes).to.be.greaterThan(0);
    expect(m.tool_versions.mysqldump).to.match(/mysqldump/);
    expect(m.fencing_token).to.be.a('number');
    expect(m.database.tables).to.include(tx());
    expect(statSync(root).mode & 0o777).to.equal(0o700);
    expect(statSync(path.join(root, info.id)).mode & 0o777).to.equal(0o700);
    expect(statSync(path.join(root, info.id, m.files.database.name)).mode & 0o777).to.equal(0o600);
    // The config archive carries the options but no secrets.
    const { readConfig } = await import('../../src/backup/components.ts');
    const snap = (await readConfig(path.join(root, info.id, m.files.config.name), m.files.config, null)) as any;
    expect(snap.options).to.have.property('slbp_backup_config');
    expect(JSON.stringify(snap)).to.not.include(TEST_SHIM_SECRET);
  });

  it('SLBP_BACKUP_SCOPE=plugin dumps only the plugin tables', async () => {
    const cfg = sc.container.config.backup as { scope: 'all' | 'plugin' };
    cfg.scope = 'plugin';
    try {
      const id = await create(['database']);
      const m = (await adminCall(sc.url, 'GET', `/backup/${id}`)).body.backup_info.manifest;
      expect(m.database.scope).to.equal('plugin');
      expect(m.database.tables).to.have.length(14);
      expect(m.database.tables.every((t: string) => t.startsWith(`${db.prefix}slbp_`))).to.equal(true);
      const scratch = await sc.container.backup.restore.scratchDatabase('p');
      try {
        await sc.container.backup.restore.restoreDatabaseInto(id, scratch);
        expect(Object.keys(await tableFingerprint(db.pool, scratch)).sort()).to.deep.equal([...m.database.tables].sort());
      } finally {
        await db.pool.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
      }
    } finally {
      cfg.scope = 'all';
    }
  });

  it('lists newest first with working filters', async () => {
    const a = await create(['config']);
    const b = await create(['config']);
    const list = await adminCall(sc.url, 'GET', '/backup/list');
    expect(list.status).to.equal(200);
    const ids = list.body.backups.map((x: any) => x.id);
    expect(ids.indexOf(b)).to.be.lessThan(ids.indexOf(a));
    expect(list.body.total).to.equal(list.body.backups.length);
    const created = list.body.backups.map((x: any) => x.created_at);
    expect([...created].sort().reverse()).to.deep.equal(created);
    expect((await adminCall(sc.url, 'GET', '/backup/list?status=failed')).body.total).to.equal(0);
    expect((await adminCall(sc.url, 'GET', '/backup/list?type=nightly')).body.total).to.equal(0);
    expect((await adminCall(sc.url, 'GET', '/backup/list?type=full&status=completed')).body.total).to.equal(list.body.total);
    expect((await adminCall(sc.url, 'GET', '/backup/list?to_date=2000-01-01')).body.total).to.equal(0);
    expect((await adminCall(sc.url, 'GET', '/backup/list?from_date=2000-01-01')).body.total).to.equal(list.body.total);
    expect((await adminCall(sc.url, 'GET', '/backup/list?from_date=2999-01-01')).body.total).to.equal(0);
    expectRestError(await adminCall(sc.url, 'GET', '/backup/list?from_date=yesterday'), 'rest_invalid_param', 400);
  });

  it('restores into a fresh database with every table equal to the original (CHECKSUM TABLE and rows)', async () => {
    const id = await create(['database']);
    const original = await tableFingerprint(db.pool, db.name);
    const scratch = await sc.container.backup.restore.scratchDatabase('t');
    try {
      await sc.container.backup.restore.restoreDatabaseInto(id, scratch);
      const restored = await tableFingerprint(db.pool, scratch);
      expect(Object.keys(restored)).to.have.length(Object.keys(original).length).and.to.be.greaterThan(20);
      expect(restored).to.deep.equal(original);
      expect(original[tx()]!.rows).to.equal(300);
    } finally {
      await db.pool.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
    }
  });

  it('restores over the live site after a safety backup', async () => {
    const before = await tableFingerprint(db.pool, db.name);
    const id = await create(['database']);
    await db.pool.query(`DELETE FROM ${tx()} WHERE id % 2 = 0`);
    expect((await tableFingerprint(db.pool, db.name))[tx()]!.rows).to.be.lessThan(300);
    const res = await adminCall(sc.url, 'POST', `/backup/restore/${id}`, {});
    expect(res.status, res.text).to.equal(200);
    expect(res.body.success).to.equal(true);
    expect(await tableFingerprint(db.pool, db.name)).to.deep.equal(before);
    const safety = res.body.restore_results.safety_backup_id;
    const s = await adminCall(sc.url, 'GET', `/backup/${safety}`);
    expect(s.body.backup_info).to.include({ type: 'pre_restore', status: 'completed' });
  });

  it('refuses with 422 when one byte of an archive changed, and leaves the database untouched', async () => {
    const id = await create(['database']);
    await db.pool.query(`UPDATE ${tx()} SET amount = amount + 1 WHERE id = 1`);
    const changed = await tableFingerprint(db.pool, db.name);
    const m = (await adminCall(sc.url, 'GET', `/backup/${id}`)).body.backup_info.manifest;
    const file = path.join(root, id, m.files.database.name);
    const bytes = await readFile(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(file, bytes);
    const countBefore = (await adminCall(sc.url, 'GET', '/backup/list')).body.total;
    const res = await adminCall(sc.url, 'POST', `/backup/restore/${id}`, {});
    expectRestError(res, 'slbp_backup_checksum_mismatch', 422);
    expect(res.body.data.files[0].component).to.equal('database');
    expect(await tableFingerprint(db.pool, db.name)).to.deep.equal(changed);
    expect((await adminCall(sc.url, 'GET', '/backup/list')).body.total).to.equal(countBefore);
  });

  it("answers an unknown id the plugin's way (200, success false) and 409 for a backup that did not complete", async () => {
    const res = await adminCall(sc.url, 'POST', '/backup/restore/backup_2020-01-01_00-00-00_AAAAAAAA', {});
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ success: false, message: 'Backup not found' });
    expectRestError(await adminCall(sc.url, 'GET', '/backup/backup_2020-01-01_00-00-00_AAAAAAAA'), 'slbp_backup_not_found', 404);
    // The files component with an uploads directory that does not exist fails the backup.
    (sc.container.config.backup as { uploadsDir: string }).uploadsDir = path.join(root, 'no-such-dir');
    try {
      const failed = await adminCall(sc.url, 'POST', '/backup/create', { components: ['database', 'files'] });
      expect(failed.status).to.equal(200);
      expect(failed.body.success).to.equal(false);
      expect(failed.body.backup_info.status).to.equal('failed');
      expect(await readdir(path.join(root, failed.body.backup_id))).to.deep.equal(['failure.json']);
      expectRestError(await adminCall(sc.url, 'POST', `/backup/restore/${failed.body.backup_id}`, {}), 'slbp_backup_not_completed', 409);
      expect((await adminCall(sc.url, 'GET', '/backup/list?status=failed')).body.total).to.equal(1);
    } finally {
      (sc.container.config.backup as { uploadsDir: string }).uploadsDir = '';
    }
  });

  it('refuses traversal ids and ignores a backup_id in the query string', async () => {
    const outside = path.join(path.dirname(root), 'outside-sentinel');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'keep.txt'), 'x');
    const keep = await create(['config']);
    for (const bad of [
      '..%2Foutside-sentinel',
      '..%2F..%2Fetc',
      'backup_1%2F..%2F..%2Fetc',
      'backup_2020-01-01_00-00-00_AAAAAAAA%2F..%2F..%2Foutside-sentinel',
    ]) {
      const del = await adminCall(sc.url, 'DELETE', `/backup/delete/${bad}`);
      expect(del.status, bad).to.be.oneOf([400, 404]);
      const get = await adminCall(sc.url, 'GET', `/backup/${bad}`);
      expect(get.status, bad).to.be.oneOf([400, 404]);
      expect((await adminCall(sc.url, 'POST', `/backup/restore/${bad}`, {})).status, bad).to.be.oneOf([400, 404]);
    }
    const target = await create(['config']);
    const del = await adminCall(sc.url, 'DELETE', `/backup/delete/${target}?backup_id=${encodeURIComponent('../outside-sentinel')}`);
    expect(del.status).to.equal(200);
    expect(del.body.backup_id).to.equal(target);
    expect(existsSync(path.join(root, target))).to.equal(false);
    expect(existsSync(path.join(outside, 'keep.txt'))).to.equal(true);
    expect(existsSync(path.join(root, keep))).to.equal(true);
    const viaQuery = await adminCall(sc.url, 'DELETE', `/backup/delete/..%2Foutside-sentinel?backup_id=${keep}`);
    expectRestError(viaQuery, 'rest_invalid_param', 400);
    expect(existsSync(path.join(root, keep))).to.equal(true);
    const unknown = await adminCall(sc.url, 'DELETE', '/backup/delete/backup_2020-01-01_00-00-00_AAAAAAAA');
    expect([unknown.status, unknown.body.success, unknown.body.message]).to.deep.equal([200, false, 'Backup not found']);
  });

  it('?async=1 answers 202 and the backup shows in_progress until it completes', async () => {
    const res = await adminCall(sc.url, 'POST', '/backup/create?async=1', { components: ['database'] });
    expect(res.status).to.equal(202);
    expect(res.body.backup_info.status).to.equal('in_progress');
    const id = res.body.backup_id;
    const listed = (await adminCall(sc.url, 'GET', '/backup/list')).body.backups.find((b: any) => b.id === id);
    expect(listed.status).to.be.oneOf(['in_progress', 'completed']);
    await waitFor(
      async () => (await adminCall(sc.url, 'GET', `/backup/${id}`)).body.backup_info.status === 'completed',
      20_000,
      'async backup',
    );
    // Completed is visible once the manifest is written; retention and notices still hold the lock.
    await waitFor(async () => !sc.container.backup.backups.busy(), 20_000, 'async backup post-steps');
  });

  it('GET/POST /backup/config keep the plugin shape, validate, and take effect', async () => {
    const got = await adminCall(sc.url, 'GET', '/backup/config');
    expect(got.body.config).to.include.keys(
      'enabled',
      'schedule',
      'retention_days',
      'compression',
      'daily_components',
      'weekly_components',
      'notifications',
      'remote_storage',
    );
    expectRestError(await adminCall(sc.url, 'POST', '/backup/config', { schedule: 'every tuesday' }), 'rest_invalid_param', 400);
    expectRestError(
      await adminCall(sc.url, 'POST', '/backup/config', { weekly_components: ['database', 'photos'] }),
      'rest_invalid_param',
      400,
    );
    const saved = await adminCall(sc.url, 'POST', '/backup/config', { compression: false, schedule: '15 2 * * *' });
    expect(saved.status).to.equal(200);
    expect(saved.body.config).to.include({ compression: false, schedule: '15 2 * * *' });
    try {
      const id = await create(['database']);
      const m = (await adminCall(sc.url, 'GET', `/backup/${id}`)).body.backup_info.manifest;
      expect(m.files.database.name).to.equal('database.sql');
      expect((await readFile(path.join(root, id, 'database.sql'), 'utf8')).slice(0, 4000)).to.include('CREATE TABLE');
    } finally {
      await adminCall(sc.url, 'POST', '/backup/config', { compression: true, schedule: 'daily' });
    }
  });

  it('the DR drill restores into a scratch database, compares every table and cleans up', async () => {
    const res = await adminCall(sc.url, 'POST', '/backup/dr-test', {});
    expect(res.status, res.text).to.equal(200);
    expect(res.body.overall_success, JSON.stringify(res.body.test_results)).to.equal(true);
    expect(res.body.duration_ms).to.be.a('number');
    const r = res.body.test_results;
    expect(r).to.include({
      backup_creation: true,
      backup_extraction: true,
      database_verification: true,
      cleanup: true,
      overall_success: true,
    });
    expect(r.tables.length).to.be.greaterThan(20);
    expect(r.tables.every((t: any) => t.match && t.checksum === t.restored_checksum)).to.equal(true);
    const [dbs] = await db.pool.query<any[]>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      r.scratch_database,
    ]);
    expect(dbs).to.have.length(0);
    expect(existsSync(path.join(root, r.backup_id))).to.equal(false);
  });

  it('reports the last successful backup age in /health/detailed', async () => {
    const res = await call(`${sc.base}/health/detailed`, asUser(ADMIN_ID, 'GET', `${NS}/health/detailed`));
    expect(res.body.service_checks.backups.last_backup_age_seconds).to.be.a('number').and.at.most(600);
  });
});
