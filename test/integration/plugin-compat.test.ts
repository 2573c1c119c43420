import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/load.ts';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, type JsonResponse } from '../helpers/http.ts';
import { compareShape, listedDifferences, type Difference } from '../helpers/plugin-compat.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

/** The PHP plugin's answers, captured on a seeded WordPress 6.1 site: `<caller>-<route>.<status>.json`. */
const CAPTURES = path.join(projectRoot, 'test/fixtures/plugin-responses');
const DOC = path.join(projectRoot, 'docs/compatibility.md');

interface Request {
  as: 'admin' | 'anonymous';
  method: 'GET' | 'POST' | 'DELETE';
  /** Under the namespace, or absolute (`/wp-json/...`). */
  path: string;
  body?: unknown;
  /** Puts the site in the state the capture was made in. */
  before?: (sc: InProcessSidecar, db: TestDb) => Promise<void>;
}

/**
 * The request behind each captured answer, in the order they are made (the list after the two
 * creates). A capture without a request here fails the test: every captured answer is compared.
 */
const REQUESTS: Record<string, Request> = {
  'anon-health.200': { as: 'anonymous', method: 'GET', path: '/health' },
  'anon-live.200': { as: 'anonymous', method: 'GET', path: '/live' },
  'anon-ready.200': { as: 'anonymous', method: 'GET', path: '/ready' },
  // From an address the site does not list in slbp_health_check_ips.
  'anon-health-detailed.401': {
    as: 'anonymous',
    method: 'GET',
    path: '/health/detailed',
    before: async (sc, db) => {
      await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'a:0:{}' WHERE option_name = 'slbp_health_check_ips'`);
      await sc.container.settings.refresh();
    },
  },
  'admin-health-detailed.200': { as: 'admin', method: 'GET', path: '/health/detailed' },
  'admin-metrics.200': {
    as: 'admin',
    method: 'GET',
    path: '/metrics',
    before: (sc) => sc.container.monitoring.snapshotJob.runNow(),
  },
  'admin-metrics-dashboard.200': { as: 'admin', method: 'GET', path: '/metrics/dashboard' },
  'admin-alerts.200': { as: 'admin', method: 'GET', path: '/alerts' },
  // The capture was made on a site that never saved slbp_alert_config.
  'admin-alerts-config.200': {
    as: 'admin',
    method: 'GET',
    path: '/alerts/config',
    before: async (sc, db) => {
      await db.pool.query(`DELETE FROM ${db.prefix}options WHERE option_name = 'slbp_alert_config'`);
      await sc.container.settings.refresh();
    },
  },
  'admin-alerts-config-post-invalid.400': {
    as: 'admin',
    method: 'POST',
    path: '/alerts/config',
    body: { high_memory_usage: { enabled: true, metric: 'system.memory_usage', condition: 'about', threshold: 1, severity: 'warning' } },
  },
  'admin-backup-config.200': { as: 'admin', method: 'GET', path: '/backup/config' },
  'admin-backup-create-db-config.200': {
    as: 'admin',
    method: 'POST',
    path: '/backup/create',
    body: { components: ['database', 'config'] },
  },
  // The plugin's default components include `files`, which cannot run on a site whose uploads directory is unknown.
  'admin-backup-create-default.200': { as: 'admin', method: 'POST', path: '/backup/create', body: {} },
  'admin-backup-list-after-create.200': { as: 'admin', method: 'GET', path: '/backup/list' },
  'admin-backup-restore-missing.200': {
    as: 'admin',
    method: 'POST',
    path: '/backup/restore/backup_2020-01-01_00-00-00_MISSING0',
    body: {},
  },
  'admin-backup-dr-test.200': { as: 'admin', method: 'POST', path: '/backup/dr-test', body: {} },
  'anon-webhook-lemon-squeezy.400': {
    as: 'anonymous',
    method: 'POST',
    path: '/wp-json/slbp/v1/webhook/lemon_squeezy',
    body: { meta: { event_name: 'order_created' }, data: { type: 'orders', id: '1' } },
  },
};

const captures = readdirSync(CAPTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort((a, b) => (Object.keys(REQUESTS).indexOf(a) + 1 || 1e9) - (Object.keys(REQUESTS).indexOf(b) + 1 || 1e9));

describe("the plugin's routes answer like the plugin: every captured answer, field by field (real MariaDB and Redis)", () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const listed = listedDifferences(DOC);
  const found: { answer: string; differences: Difference[] }[] = [];

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_LEMON_SQUEEZY_API_URL: 'http://127.0.0.1:9/v1' } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  async function send(r: Request): Promise<JsonResponse> {
    const full = r.path.startsWith('/wp-json/') ? r.path : `${NS}${r.path}`;
    if (r.as === 'admin') return call(`${sc.url}${full}`, asUser(ADMIN_ID, r.method, full, r.body));
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    return call(`${sc.url}${full}`, { method: r.method, body, headers: body ? { 'Content-Type': 'application/json' } : {} });
  }

  it('has a request for every captured answer', () => {
    expect(captures.length).to.be.greaterThan(10);
    expect(captures.filter((c) => !REQUESTS[c])).to.deep.equal([]);
  });

  for (const answer of captures) {
    it(`${answer}: the same status, and every field of the plugin's with the same JSON type and format`, async () => {
      const r = REQUESTS[answer];
      if (!r) throw new Error(`no request for ${answer} in REQUESTS`);
      const status = Number(/\.(\d{3})$/.exec(answer)![1]);
      const theirs = JSON.parse(readFileSync(path.join(CAPTURES, `${answer}.json`), 'utf8'));
      await r.before?.(sc, db);
      const res = await send(r);
      const differences: Difference[] = [];
      if (res.status !== status) differences.push({ path: 'status', problem: `the plugin answered ${status}, the sidecar ${res.status}` });
      const json = /json/.test(res.headers.get('content-type') ?? '');
      if (!json) differences.push({ path: '$', problem: `not JSON (${res.headers.get('content-type')})` });
      else differences.push(...compareShape(theirs, res.body));
      found.push({ answer, differences });
      const unlisted = differences.filter((d) => !listed.some((l) => l.answer === answer && l.path === d.path));
      expect(unlisted, `differences not listed in docs/compatibility.md, for ${res.text.slice(0, 400)}`).to.deep.equal([]);
    });
  }

  it('lists no difference in docs/compatibility.md that does not occur (the table stays true)', () => {
    expect(
      found.map((f) => f.answer),
      'every captured answer was compared',
    ).to.have.members(captures);
    const stale = listed.filter((l) => !found.some((f) => f.answer === l.answer && f.differences.some((d) => d.path === l.path)));
    expect(stale).to.deep.equal([]);
  });
});
