import { expect } from 'chai';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { scheduledPluginCronHooks } from '../../src/data/plugin-cron.ts';
import { createTables } from '../../src/data/tables.ts';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { cleanRedisPrefix, NS, sidecarEnv, spawnSidecar } from '../helpers/sidecar.ts';

/** WordPress's `cron` option as it stores it: timestamp → hook → args key → event. */
function cronOption(events: { at: number; hook: string; schedule: string | false }[]): string {
  const cron: Record<string, unknown> = {};
  for (const e of events) {
    const slot = (cron[e.at] ??= {}) as Record<string, unknown>;
    slot[e.hook] = { '40cd750bba9870f18aada2478b24840a': { schedule: e.schedule, args: [], ...(e.schedule ? { interval: 86_400 } : {}) } };
  }
  return phpSerialize({ ...cron, version: 2 });
}

describe("the plugin's duplicated WP-cron hooks, as the sidecar sees them", () => {
  let db: TestDb;
  const setCron = (value: string) =>
    db.pool.query(
      `INSERT INTO ${db.prefix}options (option_name, option_value, autoload) VALUES ('cron', ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [value],
    );

  before(async () => {
    db = await createTestDb({ size: 'tiny', prefix: 'shop_' });
  });
  after(async () => {
    await db?.drop();
  });

  it("reads them from WordPress's cron option (other hooks ignored), soonest first", async () => {
    await setCron(
      cronOption([
        { at: 1_800_000_100, hook: 'slbp_daily_backup', schedule: 'daily' },
        { at: 1_800_000_000, hook: 'slbp_daily_cron', schedule: 'daily' },
        { at: 1_800_000_000, hook: 'slbp_license_check', schedule: 'daily' },
        { at: 1_800_000_050, hook: 'wp_version_check', schedule: 'twicedaily' },
        { at: 1_800_000_060, hook: 'slbp_check_alerts', schedule: false },
      ]),
    );
    const q = { query: async (sql: string, params?: unknown[]) => (await db.pool.query(sql, params))[0] as any };
    expect(await scheduledPluginCronHooks(q, createTables('shop_'))).to.deep.equal([
      { hook: 'slbp_daily_cron', next_run: '2027-01-15T08:00:00.000Z', schedule: 'daily' },
      { hook: 'slbp_check_alerts', next_run: '2027-01-15T08:01:00.000Z', schedule: null },
      { hook: 'slbp_daily_backup', next_run: '2027-01-15T08:01:40.000Z', schedule: 'daily' },
    ]);
  });

  it('a sidecar says so at start, in /ready (staying ready) and in /health/detailed', async () => {
    await setCron(
      cronOption([
        { at: 1_800_000_000, hook: 'slbp_daily_backup', schedule: 'daily' },
        { at: 1_800_000_000, hook: 'slbp_collect_metrics', schedule: 'slbp_metrics_interval' },
      ]),
    );
    const env = sidecarEnv(db, { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET });
    const sc = await spawnSidecar(env);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const warned = sc
        .output()
        .split('\n')
        .filter((l) => l.includes('are still scheduled'))
        .map((l) => JSON.parse(l));
      expect(warned).to.have.length(1);
      expect(warned[0]).to.include({ level: 'warn' });
      expect(warned[0].still_scheduled).to.deep.equal(['slbp_collect_metrics', 'slbp_daily_backup']);
      const ready = await call(`${sc.base}/ready`);
      expect(ready.status).to.equal(200);
      expect(ready.body.checks.plugin_cron).to.include({ healthy: false });
      expect(ready.body.checks.plugin_cron.still_scheduled.map((h: { hook: string }) => h.hook).sort()).to.deep.equal([
        'slbp_collect_metrics',
        'slbp_daily_backup',
      ]);
      const detailed = await call(`${sc.base}/health/detailed`, asUser(ADMIN_ID, 'GET', `${NS}/health/detailed`));
      expect(detailed.body.service_checks.plugin_cron.message).to.include('slbp_daily_backup');

      await setCron(cronOption([{ at: 1_800_000_000, hook: 'wp_version_check', schedule: 'twicedaily' }]));
      // Re-read with the options (SLBP_OPTIONS_REFRESH_MS: 1 s in the test environment).
      await new Promise((r) => setTimeout(r, 1200));
      expect((await call(`${sc.base}/ready`)).body.checks.plugin_cron).to.include({ healthy: true });
    } finally {
      await sc.stop();
      await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    }
  });
});
