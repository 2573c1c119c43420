import { expect } from 'chai';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, type ChildSidecar } from '../helpers/sidecar.ts';
import { spawnReady } from '../helpers/spawn-ready.ts';

const TASKS = 1000;

describe('task queue across two sidecar processes', function () {
  this.timeout(120_000);
  let db: TestDb;
  const nodes: ChildSidecar[] = [];
  const prefix = testRedisPrefix();

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await cleanRedisPrefix(prefix);
    await db?.drop();
  });

  it('runs each of 1,000 tasks exactly once', async () => {
    const values = Array.from({ length: TASKS }, (_, i) => [
      'send_notifications',
      JSON.stringify({ user_id: 3 + (i % 5), type: 'queue_test', title: `task ${i}`, message: 'x' }),
      i % 3,
      'pending',
      0,
    ]);
    await db.pool.query(
      `INSERT INTO ${db.prefix}slbp_background_tasks (task_type, task_data, priority, status, retry_count, scheduled_at) VALUES ?`,
      [values.map((v) => [...v, new Date(Date.now() - 1000).toISOString().slice(0, 19).replace('T', ' ')])],
    );
    const env = sidecarEnv(db, { SLBP_JOBS_ENABLED: 'true' }, prefix);
    nodes.push(...(await Promise.all([spawnReady(env), spawnReady(env)])));

    const deadline = Date.now() + 90_000;
    let left = TASKS;
    while (left > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const [[row]] = await db.pool.query<any>(
        `SELECT COUNT(*) AS n FROM ${db.prefix}slbp_background_tasks WHERE task_type = 'send_notifications' AND status <> 'completed'`,
      );
      left = Number(row.n);
    }
    expect(left, 'tasks not completed').to.equal(0);
    const [[runs]] = await db.pool.query<any>(
      `SELECT COUNT(*) AS total, COUNT(DISTINCT title) AS distinct_titles FROM ${db.prefix}slbp_notifications WHERE type = 'queue_test'`,
    );
    expect(runs).to.deep.equal({ total: TASKS, distinct_titles: TASKS });
    const [[retries]] = await db.pool.query<any>(
      `SELECT SUM(retry_count) AS r FROM ${db.prefix}slbp_background_tasks WHERE task_type = 'send_notifications'`,
    );
    expect(Number(retries.r)).to.equal(0);
  });
});
