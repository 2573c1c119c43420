import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import type { BackupObserver } from '../../src/backup/backup-service.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { orderData, signedDelivery, webhookBody } from '../fixtures/lemon-squeezy.ts';

/** POST /backup/dr-test on a store that keeps taking orders and running jobs meanwhile. */
describe('the DR drill on a live store', function () {
  this.timeout(180_000);
  let db: TestDb;
  let sc: InProcessSidecar;
  const observers: BackupObserver[] = [];
  const count = async (table: string) =>
    Number(((await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}${table}`))[0] as any[])[0].n);

  before(async () => {
    db = await createTestDb({ size: 'small' });
    // Jobs on: the task queue worker and the schedules run in this node, as on a live pool.
    sc = await startSidecar(db, {
      env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET },
      overrides: { jobs: { enabled: true } },
      observers: {
        backup: [
          (r) => {
            for (const o of observers) o(r);
          },
        ],
      },
    });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  /** Orders by webhook, tasks queued by WordPress and worked by the sidecar, metric snapshots: all at once. */
  function liveStore() {
    let stop = false;
    const applied: number[] = [];
    let order = 700_000;
    const webhooks = async () => {
      while (!stop) {
        const id = order++;
        const body = webhookBody(
          'order_created',
          orderData({ id, email: `live${id}@example.test`, productId: 900_001, total: 1999 + (id % 100) }),
        );
        const res = await call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
        if (res.status === 200 && res.body.processed) applied.push(Date.now());
      }
    };
    const tasks = async () => {
      while (!stop) {
        // The worker's claims (FOR UPDATE SKIP LOCKED) can deadlock a concurrent insert: InnoDB picks one; try again.
        await db.pool
          .query(
            `INSERT INTO ${db.prefix}slbp_background_tasks (task_type, task_data, priority, status, retry_count, scheduled_at, created_at) VALUES ('send_notifications', ?, 10, 'pending', 0, UTC_TIMESTAMP(), UTC_TIMESTAMP())`,
            [JSON.stringify({ user_id: 3, title: 'Live', message: 'A notice while the drill runs' })],
          )
          .catch((err) => {
            if (err.code !== 'ER_LOCK_DEADLOCK') throw err;
          });
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const snapshots = async () => {
      // Each run in its own 5-minute slot, so every one writes its rows (FLOAT values included).
      for (let slot = 1; !stop; slot++) {
        await sc.container.monitoring.snapshotJob.runNow(new Date(Date.now() + slot * 300_000));
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const running = Promise.all([webhooks(), webhooks(), tasks(), snapshots()]);
    return {
      applied,
      async stop() {
        stop = true;
        await running;
      },
    };
  }

  it('passes while webhooks, the task queue and metric snapshots write during it', async () => {
    const load = liveStore();
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    let res;
    try {
      res = await adminCall(sc.url, 'POST', '/backup/dr-test', {});
    } finally {
      await load.stop();
    }
    const ended = Date.now();
    const r = res.body.test_results;
    expect(res.status, res.text).to.equal(200);
    expect(
      r.tables.filter((t: any) => !t.match),
      JSON.stringify(r.tables.filter((t: any) => !t.match)),
    ).to.deep.equal([]);
    expect(res.body.overall_success, JSON.stringify({ ...r, tables: undefined })).to.equal(true);
    expect(r).to.include({ database_verification: true, backup_verification: true, cleanup: true });
    const during = load.applied.filter((t) => t > started && t < ended).length;
    console.log(`      drill took ${ended - started} ms; ${during} orders applied during it, ${load.applied.length} in all`);
    expect(during).to.be.greaterThan(0);
    // The snapshot's counts are behind the live tables: they kept changing under the drill.
    const rowsOf = (t: string) => r.tables.find((x: any) => x.table === `${db.prefix}${t}`).rows;
    for (const t of ['slbp_transactions', 'slbp_webhook_logs', 'slbp_background_tasks', 'slbp_notifications', 'slbp_metrics']) {
      expect(await count(t), t).to.be.greaterThan(rowsOf(t));
    }
  });

  it('fails when one byte of the archive is changed', async () => {
    observers.push((b) => {
      if (b.type !== 'dr_test' || !b.ok) return;
      const file = path.join(sc.container.backup.store.dirOf(b.id), 'database.sql.gz');
      const bytes = readFileSync(file);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(file, bytes);
    });
    try {
      const res = await adminCall(sc.url, 'POST', '/backup/dr-test', {});
      expect(res.status).to.equal(200);
      expect(res.body.overall_success).to.equal(false);
      expect(res.body.test_results).to.include({ backup_creation: true, backup_verification: false, database_verification: false });
    } finally {
      observers.pop();
    }
  });

  it('fails, naming the table, when the archive holds different data under a matching hash', async () => {
    // A dump that lost or changed a value (re-hashed, so only the table checksums can tell).
    observers.push((b) => {
      if (b.type !== 'dr_test' || !b.ok) return;
      const dir = sc.container.backup.store.dirOf(b.id);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      const file = path.join(dir, manifest.files.database.name);
      const sql = gunzipSync(readFileSync(file)).toString('utf8');
      const at = sql.indexOf(`INSERT INTO \`${db.prefix}slbp_transactions\``);
      const usd = sql.indexOf("'USD'", at);
      const changed = gzipSync(Buffer.from(`${sql.slice(0, usd)}'EUR'${sql.slice(usd + 5)}`, 'utf8'));
      writeFileSync(file, changed);
      manifest.files.database.sha256 = createHash('sha256').update(changed).digest('hex');
      manifest.files.database.bytes = changed.length;
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    });
    try {
      const res = await adminCall(sc.url, 'POST', '/backup/dr-test', {});
      const r = res.body.test_results;
      expect(res.body.overall_success).to.equal(false);
      expect(r).to.include({ backup_verification: true, backup_extraction: true, database_verification: false });
      expect(r.tables.filter((t: any) => !t.match).map((t: any) => t.table)).to.deep.equal([`${db.prefix}slbp_transactions`]);
    } finally {
      observers.pop();
    }
  });
});
