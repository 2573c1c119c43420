import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import { projectRoot } from '../../src/config/load.ts';
import type { CronJob } from '../../src/jobs/cron-job.ts';
import { slotId } from '../../src/backup/scheduled-backups.ts';
import { PLUGIN_TABLES } from '../../src/data/tables.ts';
import { waitFor } from '../helpers/backup.ts';
import { copyTestDb, createTestDb, type TestDb } from '../helpers/db.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

type Row = Record<string, unknown>;
interface TableDiff {
  added: Row[];
  removed: Row[];
  changed: { before: Row; after: Row; columns: string[] }[];
}

/** Every row of a table by primary key. */
async function rowsOf(pool: mysql.Pool, database: string, table: string): Promise<Map<string, Row>> {
  const [keys] = await pool.query<any[]>(
    `SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
    [database, table],
  );
  const [rows] = await pool.query<any[]>(`SELECT * FROM \`${database}\`.\`${table}\``);
  return new Map(rows.map((r: Row) => [keys.map((k: { c: string }) => String(r[k.c])).join('|'), r]));
}

async function diff(pool: mysql.Pool, original: string, copy: string, table: string): Promise<TableDiff> {
  const [before, after] = [await rowsOf(pool, original, table), await rowsOf(pool, copy, table)];
  const d: TableDiff = { added: [], removed: [], changed: [] };
  for (const [k, row] of after) {
    const old = before.get(k);
    if (!old) d.added.push(row);
    else {
      const columns = Object.keys(row).filter((c) => JSON.stringify(row[c]) !== JSON.stringify(old[c]));
      if (columns.length) d.changed.push({ before: old, after: row, columns });
    }
  }
  for (const [k, row] of before) if (!after.has(k)) d.removed.push(row);
  return d;
}

/**
 * A sidecar with jobs, started on a fresh copy of a seeded site, after the first run of every job:
 * only the writes the README lists ("Jobs: what the sidecar writes without being asked") differ.
 */
describe('the first start on an existing site changes only the documented writes', function () {
  this.timeout(180_000);
  let original: TestDb;
  let copy: TestDb;
  let sc: InProcessSidecar;
  const dataDir = path.join('var', 'test', `${process.pid}-first-start-${Date.now()}`);
  const t = (name: string) => `${original.prefix}${name}`;
  const subsNotified: string[] = [];

  before(async () => {
    original = await createTestDb({ size: 'small' });
    const q = (sql: string, args: unknown[] = []) => original.pool.query(sql, args);
    // What a live store has that the jobs must leave alone, or may only touch as documented.
    const sub = (id: string, status: string, expires: string) =>
      q(
        `INSERT INTO ${t('slbp_subscriptions')} (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, expires_at, expiry_notified, created_at, updated_at)
      VALUES (5, ?, 'lemon_squeezy', 'variant_1', ?, '19.00', 'USD', 'monthly', ${expires}, 0, UTC_TIMESTAMP() - INTERVAL 90 DAY, UTC_TIMESTAMP() - INTERVAL 3 DAY)`,
        [id, status],
      );
    await sub('fs-active-3d', 'active', 'UTC_TIMESTAMP() + INTERVAL 3 DAY');
    await sub('fs-active-past', 'active', 'UTC_TIMESTAMP() - INTERVAL 2 DAY');
    await sub('fs-active-20d', 'active', 'UTC_TIMESTAMP() + INTERVAL 20 DAY');
    await sub('fs-trial-2d', 'on_trial', 'UTC_TIMESTAMP() + INTERVAL 2 DAY');
    await sub('fs-cancelled-over', 'cancelled', 'UTC_TIMESTAMP() - INTERVAL 1 DAY');
    subsNotified.push('fs-active-3d', 'fs-active-past');
    await q(`INSERT INTO ${t('slbp_background_tasks')} (task_type, task_data, priority, status, retry_count, scheduled_at, started_at, created_at) VALUES
      ('billing_run', '{}', 5, 'pending', 0, UTC_TIMESTAMP() - INTERVAL 1 HOUR, NULL, UTC_TIMESTAMP() - INTERVAL 1 HOUR),
      ('email_campaign', '{}', 10, 'processing', 0, UTC_TIMESTAMP() - INTERVAL 3 HOUR, UTC_TIMESTAMP() - INTERVAL 2 HOUR, UTC_TIMESTAMP() - INTERVAL 3 HOUR),
      ('send_notifications', '{"user_id":3,"title":"t","message":"m"}', 10, 'completed', 0, UTC_TIMESTAMP() - INTERVAL 60 DAY, UTC_TIMESTAMP() - INTERVAL 60 DAY, UTC_TIMESTAMP() - INTERVAL 60 DAY)`);
    await q(`INSERT INTO ${t('slbp_metrics')} (category, metric_name, metric_value, metric_unit, collected_at) VALUES
      ('system', 'memory_usage', 123456789, 'bytes', UTC_TIMESTAMP() - INTERVAL 40 DAY), ('system', 'memory_usage', 98765432, 'bytes', UTC_TIMESTAMP() - INTERVAL 1 DAY)`);
    await q(
      `INSERT INTO ${t('slbp_sessions')} (session_key, session_data, expires_at) VALUES ('expired-one', 'x', UTC_TIMESTAMP() - INTERVAL 1 HOUR), ('live-one', 'y', UTC_TIMESTAMP() + INTERVAL 1 DAY)`,
    );
    await q(
      `INSERT INTO ${t('slbp_webhook_logs')} (webhook_id, event, payload, status, created_at) VALUES (0, 'old', '{}', 'processed', UTC_TIMESTAMP() - INTERVAL 60 DAY)`,
    );
    copy = await copyTestDb(original);

    sc = await startSidecar(copy, { env: { SLBP_DATA_DIR: dataDir }, overrides: { jobs: { enabled: true } } });
    // First runs: the expiry task the scheduler queued at start (worked by the queue), then every timed job once.
    await waitFor(
      async () => {
        const [[row]] = await copy.pool.query<any[]>(
          `SELECT status FROM ${t('slbp_background_tasks')} WHERE task_type = 'subscription_expiry'`,
        );
        return row?.status === 'completed';
      },
      30_000,
      'the first subscription_expiry task',
    );
    const job = (name: string) => sc.container.services.find((s) => s.name === name) as CronJob;
    await job('metrics-snapshot').runNow();
    await job('alert-evaluation').runNow();
    await job('session-purge').runNow();
    expect(await sc.container.backup.slots.runSlot(slotId('daily', new Date()), 'daily')).to.equal('ran');
    await sc.running.shutdown('first runs done');
  });
  after(async () => {
    await sc?.running.shutdown('test done').catch(() => undefined);
    await original?.drop();
    await copy?.drop();
    await rm(path.join(projectRoot, dataDir), { recursive: true, force: true });
  });

  it('every plugin table, wp_options, users and usermeta: only the documented writes differ', async () => {
    const diffs: Record<string, TableDiff> = {};
    for (const name of [...PLUGIN_TABLES.map((p) => `slbp_${p}`), 'options', 'users', 'usermeta'])
      diffs[name] = await diff(original.pool, original.name, copy.name, t(name));

    // Expiry: exactly the active subscriptions inside the plugin's window, only expiry_notified.
    const subs = diffs.slbp_subscriptions!;
    expect(subs.added.concat(subs.removed)).to.deep.equal([]);
    expect(subs.changed.map((c) => c.after.subscription_id).sort()).to.deep.equal([...subsNotified].sort());
    for (const c of subs.changed) expect(c.columns, String(c.after.subscription_id)).to.deep.equal(['expiry_notified']);
    const notices = diffs.slbp_notifications!;
    expect(notices.removed.concat(notices.changed as never[])).to.deep.equal([]);
    expect(notices.added.map((n) => [n.type, JSON.parse(String(n.data)).subscription_id]).sort()).to.deep.equal(
      subsNotified.map((s) => ['subscription_expiring', s]).sort(),
    );

    // The queue: its own expiry task added; the plugin's pending and stuck tasks untouched.
    const tasks = diffs.slbp_background_tasks!;
    expect(tasks.removed.concat(tasks.changed as never[])).to.deep.equal([]);
    expect(tasks.added.map((r) => [r.task_type, r.status])).to.deep.equal([['subscription_expiry', 'completed']]);

    // Metric snapshot rows added; the row older than the retention removed, nothing changed.
    const metrics = diffs.slbp_metrics!;
    expect(metrics.changed).to.deep.equal([]);
    expect(metrics.removed).to.have.length(1);
    expect(Date.parse(`${String(metrics.removed[0]!.collected_at).replace(' ', 'T')}Z`)).to.be.below(Date.now() - 30 * 86_400_000);
    expect(metrics.added.length).to.be.at.least(18);

    // Alerts: only rows for rules that fired (none changed or removed).
    const alerts = diffs.slbp_alerts!;
    expect(alerts.removed.concat(alerts.changed as never[])).to.deep.equal([]);
    for (const a of alerts.added) expect(a.status).to.equal('active');

    // Session purge: the expired row only.
    expect(diffs.slbp_sessions).to.deep.equal({
      added: [],
      removed: [(await rowsOf(original.pool, original.name, t('slbp_sessions'))).get('expired-one')],
      changed: [],
    });

    // Nothing else, anywhere: no options written (no stored site id), no access or user changed.
    const documented = new Set([
      'slbp_subscriptions',
      'slbp_notifications',
      'slbp_background_tasks',
      'slbp_metrics',
      'slbp_alerts',
      'slbp_sessions',
    ]);
    for (const [name, d] of Object.entries(diffs)) {
      if (!documented.has(name)) expect(d, name).to.deep.equal({ added: [], removed: [], changed: [] });
    }
    // And every table that differs is in the README's list of job writes.
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    const jobs = readme.slice(readme.indexOf('## Jobs: what the sidecar writes'), readme.indexOf('## Importing'));
    for (const [name, d] of Object.entries(diffs))
      if (d.added.length + d.removed.length + d.changed.length) expect(jobs, name).to.include(`{prefix}${name}`);
  });
});
