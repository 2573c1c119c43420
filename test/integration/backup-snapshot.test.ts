import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import { restoreDatabase, writeDatabase } from '../../src/backup/components.ts';
import { dbTargetFrom } from '../../src/backup/db-tools.ts';
import { DumpSnapshot } from '../../src/backup/snapshot-checksums.ts';
import { BackupRepository } from '../../src/data/backup-repository.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The checksums a backup records must describe the dump itself, even while the store commits
 * all the time. These tests write continuously from other connections during every dump.
 */
describe("backup checksums taken in the dump's own snapshot", function () {
  this.timeout(180_000);
  let db: TestDb;
  let sc: InProcessSidecar;
  const repo = new BackupRepository();
  const metrics = () => `${db.prefix}slbp_metrics`;
  const tasks = () => `${db.prefix}slbp_background_tasks`;

  before(async () => {
    db = await createTestDb({ size: 'small' });
    sc = await startSidecar(db);
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  /** Commits as fast as two connections can (FLOAT values too), until stopped; counts them. */
  function writeConstantly(pool: mysql.Pool) {
    let stop = false;
    let commits = 0;
    const loop = async () => {
      while (!stop) {
        await pool.query(
          `INSERT INTO ${metrics()} (category, metric_name, metric_value, metric_unit, collected_at) VALUES ('load', 'x', ?, 'n', UTC_TIMESTAMP())`,
          [Math.random() * 1e9],
        );
        await pool.query(
          `UPDATE ${tasks()} SET retry_count = retry_count + 1 WHERE id = (SELECT MIN(id) FROM (SELECT id FROM ${tasks()}) t)`,
        );
        commits += 2;
      }
    };
    const running = Promise.all([loop(), loop()]);
    return {
      async stop() {
        stop = true;
        await running;
        return commits;
      },
    };
  }

  const scratch = async (tag: string) => sc.container.backup.restore.scratchDatabase(tag);
  const drop = (name: string) => db.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);

  it('a digest read in a snapshot does not see what commits after the snapshot started', async () => {
    const conn = await sc.container.db.dedicated();
    try {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      const before = await repo.digest(conn, db.name, metrics());
      await db.pool.query(
        `INSERT INTO ${metrics()} (category, metric_name, metric_value, metric_unit, collected_at) VALUES ('t', 'y', 1.5, 'n', UTC_TIMESTAMP())`,
      );
      expect(await repo.digest(conn, db.name, metrics())).to.deep.equal(before);
      await conn.query('COMMIT');
      expect((await repo.digest(conn, db.name, metrics())).rows).to.equal(before.rows + 1);
    } finally {
      conn.release();
    }
  });

  it('under constant commits, every backup restores to exactly what its checksums say', async () => {
    await db.pool.query(
      `INSERT INTO ${tasks()} (task_type, task_data, priority, status, retry_count, scheduled_at, created_at) VALUES ('billing_run', '{}', 10, 'completed', 0, UTC_TIMESTAMP(), UTC_TIMESTAMP())`,
    );
    const writer = writeConstantly(db.pool);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const { id, finished } = await sc.container.backup.backups.start({ type: 'full', components: ['database'] });
        expect((await finished).status).to.equal('completed');
        ids.push(id);
      }
    } finally {
      console.log(`      ${await writer.stop()} commits during 3 backups`);
    }
    for (const id of ids) {
      const m = (await sc.container.backup.store.manifest(id))!;
      expect(m.database!.checksums, m.database!.checksums_unavailable).to.be.an('object');
      expect(Object.keys(m.database!.checksums!.tables).sort()).to.deep.equal([...m.database!.tables].sort());
      const name = await scratch('snap');
      try {
        const v = await sc.container.backup.restore.restoreDatabaseInto(id, name);
        expect(
          v.tables.filter((t) => !t.match),
          JSON.stringify(v.tables.filter((t) => !t.match)),
        ).to.deep.equal([]);
        expect(v.ok).to.equal(true);
      } finally {
        await drop(name);
      }
    }
    // The live tables moved on since: comparing with them (what the drill did before) would fail.
    const m = (await sc.container.backup.store.manifest(ids[2]!))!;
    expect((await repo.digest(sc.container.db.write, db.name, metrics())).digest).to.not.equal(
      m.database!.checksums!.tables[metrics()]!.digest,
    );
  });

  it('without holding the tables, a snapshot started next to the dump does not match it (the same load)', async () => {
    // Control: the same primitives minus the lock, to show the load above really tells them apart.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-snap-'));
    const conn = await sc.container.db.dedicated(600_000);
    const writer = writeConstantly(db.pool);
    const name = await scratch('ctl');
    try {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      await new Promise((r) => setTimeout(r, 200));
      const file = await writeDatabase({ dir, archive: { gzip: false, key: null } }, dbTargetFrom(sc.container.config.db), db.name, [
        metrics(),
        tasks(),
      ]);
      const expected = await repo.digest(conn, db.name, metrics());
      await conn.query('COMMIT');
      await writer.stop();
      await restoreDatabase(path.join(dir, file.name), file, null, dbTargetFrom(sc.container.config.db), name);
      expect((await repo.digest(sc.container.db.write, name, metrics())).digest).to.not.equal(expected.digest);
    } finally {
      await writer.stop();
      conn.release();
      await drop(name);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the tables cannot be held in time, the backup goes on without checksums and says why', async () => {
    const holder = await db.pool.getConnection();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-snap-'));
    try {
      await holder.query(`LOCK TABLES ${metrics()} WRITE`);
      const snap = new DumpSnapshot({ db: sc.container.db, repo, lockWaitSec: 1, attempts: 2 }, db.name, [tasks(), metrics()]);
      await snap.prepare();
      expect(snap.problem).to.match(/could not hold the tables.*Lock wait timeout/i);
      await holder.query('UNLOCK TABLES');
      const dumping = writeDatabase(
        { dir, archive: { gzip: false, key: null } },
        dbTargetFrom(sc.container.config.db),
        db.name,
        [tasks()],
        { tap: (out) => snap.watch(out) },
      );
      expect(await snap.checksums(dumping)).to.equal(null);
      expect((await dumping).bytes).to.be.greaterThan(0);
    } finally {
      await holder.query('UNLOCK TABLES').catch(() => undefined);
      holder.release();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
