import { expect } from 'chai';
import { adminConnection, createWordPressDatabase } from '../../scripts/lib/db-admin.ts';
import { fillDemoData, SIZES } from '../../scripts/lib/demo-data.ts';
import { ADMIN_ID, asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, type JsonResponse } from '../helpers/http.ts';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb-instance.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

/**
 * The read pool is a private server holding the same demo data that never receives the writes:
 * a replica that lags forever, so which pool answered is visible in the response.
 */
describe('billing reads: read pool, and read-your-writes on the writer', () => {
  let db: TestDb;
  let replica: MariaDbInstance;
  let sc: InProcessSidecar;
  const get = (userId: number, path: string): Promise<JsonResponse> => call(`${sc.url}${NS}${path}`, asUser(userId, 'GET', `${NS}${path}`));

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    replica = await startMariaDb();
    const server = { host: '127.0.0.1', port: replica.port, user: 'root', password: '' };
    await createWordPressDatabase(server, db.name, db.prefix);
    const conn = await adminConnection(server, db.name);
    try {
      await fillDemoData(conn, db.prefix, SIZES.tiny!);
    } finally {
      await conn.end();
    }
    sc = await startSidecar(db, {
      env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, DB_HOST_READ: `127.0.0.1:${replica.port}`, SLBP_READ_YOUR_WRITES_MS: '3000' },
    });
  });
  after(async () => {
    await sc?.stop();
    await replica?.destroy();
    await db?.drop();
  });

  it('after a write the writer serves that caller for the configured window; everyone else reads the read pool', async () => {
    const [[row]] = await db.pool.query<any>(
      `SELECT id FROM ${db.prefix}slbp_subscriptions WHERE user_id = ? AND status = 'active' ORDER BY id LIMIT 1`,
      [STUDENT_ID],
    );
    const path = `/subscriptions/${row.id}`;
    expect((await get(STUDENT_ID, path)).body.status).to.equal('active');

    const cancelled = await call(`${sc.url}${NS}${path}/cancel`, asUser(STUDENT_ID, 'POST', `${NS}${path}/cancel`));
    expect(cancelled.body.status).to.equal('cancelled');
    const writtenAt = Date.now();

    // The writer of the change sees it at once; the administrator reads the (stale) read pool.
    expect((await get(STUDENT_ID, path)).body.status).to.equal('cancelled');
    expect((await get(STUDENT_ID, '/subscriptions?status=cancelled&per_page=100')).body.map((s: any) => s.id)).to.include(Number(row.id));
    expect((await get(ADMIN_ID, path)).body.status).to.equal('active');

    // Once the window is over, the caller is back on the read pool.
    await new Promise((r) => setTimeout(r, Math.max(0, writtenAt + 3200 - Date.now())));
    expect((await get(STUDENT_ID, path)).body.status).to.equal('active');
  });
});
