import { expect } from 'chai';
import { snapshotSlots } from '../../src/features/monitoring.ts';
import { SNAPSHOT_EVERY_MS } from '../../src/monitoring/snapshots.ts';
import { SlotLock } from '../../src/jobs/slot-lock.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const TOKEN = 'metrics-token-for-snapshot-tests';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

describe('metric snapshots and /metrics/dashboard (real MariaDB and Redis)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const count = async () => Number(((await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_metrics`))[0] as any[])[0].n);

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_METRICS_TOKEN: TOKEN } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('writes one snapshot per 5-minute slot, which the dashboard shows with a summary', async () => {
    const now = new Date();
    await sc.container.monitoring.snapshotJob.runNow(now);
    const written = await count();
    expect(written).to.be.at.least(18);
    // Same slot again (another node, or a second tick): nothing more is written.
    await sc.container.monitoring.snapshotJob.runNow(new Date(now.getTime() + 1000));
    expect(await count()).to.equal(written);

    const res = await call(`${sc.base}/metrics/dashboard`, auth);
    expect(res.status).to.equal(200);
    expect(res.body).to.have.keys('timeframe', 'timeframe_applied', 'metrics', 'summary', 'alerts');
    expect(res.body.timeframe).to.equal('1h');
    const active = res.body.metrics.find((m: any) => m.category === 'business' && m.metric_name === 'active_subscriptions');
    const [[sql]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions WHERE status = 'active'`);
    // The plugin's row values: the value a string, the time `Y-m-d H:i:s` in the site's zone; the UTC instant beside.
    expect(active).to.include({ metric_value: String(sql.n), metric_unit: 'count' });
    expect(active.collected_at).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(active.collected_at_gmt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.body.summary['business.active_subscriptions']).to.deep.equal({
      count: 1,
      sum: Number(sql.n),
      min: Number(sql.n),
      max: Number(sql.n),
      unit: 'count',
      avg: Number(sql.n),
    });
    expect(res.body.summary['database.connections'].min).to.be.at.least(1);
  });

  it('prunes rows older than the retention when it writes', async () => {
    await db.pool.query(
      `INSERT INTO ${db.prefix}slbp_metrics (category, metric_name, metric_value, metric_unit, collected_at) VALUES ('system', 'memory_usage', 1, 'bytes', UTC_TIMESTAMP() - INTERVAL 40 DAY)`,
    );
    const before = await count();
    await sc.container.monitoring.snapshotJob.runNow(new Date(Date.now() + 5 * 60_000));
    const [[old]] = await db.pool.query<any>(
      `SELECT COUNT(*) AS n FROM ${db.prefix}slbp_metrics WHERE collected_at < UTC_TIMESTAMP() - INTERVAL 30 DAY`,
    );
    expect(Number(old.n)).to.equal(0);
    expect(await count()).to.be.above(before - 1);
  });

  it('the dashboard timeframe: 24h works, an unknown one is answered for 1 hour and named as asked (as the plugin did)', async () => {
    expect((await call(`${sc.base}/metrics/dashboard?timeframe=24h`, auth)).body).to.include({
      timeframe: '24h',
      timeframe_applied: '24h',
    });
    const unknown = await call(`${sc.base}/metrics/dashboard?timeframe=2y`, auth);
    expect(unknown.status).to.equal(200);
    expect(unknown.body).to.include({ timeframe: '2y', timeframe_applied: '1h' });
    expect(unknown.body.metrics).to.deep.equal((await call(`${sc.base}/metrics/dashboard?timeframe=1h`, auth)).body.metrics);
    expectRestError(await call(`${sc.base}/metrics/dashboard`), 'rest_forbidden', 401);
  });

  it('without Redis, the database lock still lets only one of two nodes write a slot', async () => {
    const c = sc.container;
    // The start of a slot an hour ahead, so the late node below (2 s later) is in the same slot
    // whatever the clock says now (an unaligned time could sit within 2 s of the next slot).
    const slot = new Date((Math.floor(Date.now() / SNAPSHOT_EVERY_MS) + 12) * SNAPSHOT_EVERY_MS);
    const node = (id: string) => snapshotSlots(new SlotLock(null, c.db, `${db.name}:${db.prefix}`, id, c.logger), c.monitoring.work);
    const before = await count();
    const outcomes = await Promise.all([node('a')(slot), node('b')(slot)]);
    expect([...outcomes].sort()).to.deep.equal(['ran', 'taken']);
    const perSnapshot = (await count()) - before;
    expect(perSnapshot).to.be.at.least(18);
    // A late node in the same slot finds the rows and writes nothing.
    expect(await node('c')(new Date(slot.getTime() + 2000))).to.equal('taken');
    expect((await count()) - before).to.equal(perSnapshot);
  });
});
