import { expect } from 'chai';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('probes and the HTTP conventions (real MariaDB and Redis)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_HEALTH_TOKEN: 'health-token-for-tests' } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('GET /health answers 200 healthy with the plugin field names', async () => {
    const res = await call(`${sc.base}/health`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include.keys('status', 'timestamp', 'instance_id', 'version', 'checks');
    expect(res.body.status).to.equal('healthy');
    // PHP's date('c'), as the plugin's current_time('c') on a UTC site.
    expect(res.body.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(res.body.checks.database).to.include({ healthy: true, message: 'Database connection OK' });
    expect(res.body.checks.database.response_time).to.be.a('number');
    expect(res.body.checks.cache).to.include({ healthy: true, type: 'redis' });
    expect(res.body.checks.filesystem).to.include({ healthy: true, writable: true });
    expect(res.body.site_id).to.equal('slbp_demo0000000000.00000000');
    expect(res.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
    expect(res.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  it('GET /live and /ready answer 200 with the plugin field names', async () => {
    const live = await call(`${sc.base}/live`);
    expect(live.status).to.equal(200);
    expect(live.body).to.have.keys('alive', 'timestamp', 'instance_id', 'uptime');
    expect(live.body.alive).to.equal(true);
    expect(live.body.uptime).to.be.a('number').at.least(0);
    const ready = await call(`${sc.base}/ready`);
    expect(ready.status).to.equal(200);
    expect(ready.body.ready).to.equal(true);
    expect(ready.body.checks.tables).to.deep.equal({ healthy: true, message: 'All required tables exist', missing_tables: [] });
    expect(ready.body.checks).to.include.keys('database', 'dependencies');
  });

  it('routes without parameters match as koa-router matches: any case, one trailing slash, HEAD with GET', async () => {
    const live = await call(`${sc.base}/live`);
    const variants = [`${sc.base}/live/`, `${sc.url}/WP-JSON/skylearn-billing-pro/v1/LIVE`, `${sc.base}/live?x=1`];
    for (const url of variants) {
      const res = await call(url);
      expect(res.status, url).to.equal(200);
      expect(Object.keys(res.body), url).to.deep.equal(Object.keys(live.body));
    }
    const head = await fetch(`${sc.base}/live`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
    const headers = (r: { headers: Headers }) =>
      [...r.headers.keys()].filter((k) => !['date', 'x-request-id', 'content-length', 'connection', 'keep-alive'].includes(k)).sort();
    expect(headers(head)).to.deep.equal(headers(live));
    // /live is answered by the light lane; with a query string it goes through the framework: same answer.
    const framework = await call(`${sc.base}/live?via=framework`);
    expect(headers(framework)).to.deep.equal(headers(live));
    expect(framework.headers.get('content-type')).to.equal(live.headers.get('content-type'));
    expect(framework.body.instance_id).to.equal(live.body.instance_id);
    // An unknown Bearer value on a public probe is ignored, as WordPress core ignores it; a bad API key header is refused.
    expect((await call(`${sc.base}/live`, { headers: { Authorization: 'Bearer not-a-real-key' } })).status).to.equal(200);
    expect((await call(`${sc.base}/live`, { headers: { 'X-API-Key': 'not-a-real-key' } })).status).to.equal(401);
    for (const probe of ['health', 'ready']) {
      const lane = await call(`${sc.base}/${probe}`);
      const viaKoa = await call(`${sc.base}/${probe}?via=framework`);
      expect(lane.status, probe).to.equal(viaKoa.status);
      expect(headers(lane), probe).to.deep.equal(headers(viaKoa));
      expect(Object.keys(lane.body), probe).to.deep.equal(Object.keys(viaKoa.body));
    }
    expectRestError(await call(`${sc.base}/live//`), 'rest_no_route', 404);
    expectRestError(await call(`${sc.base}/live`, { method: 'POST' }), 'rest_no_route', 404);
    expectRestError(await call(`${sc.base}/l%69ve`), 'rest_no_route', 404);
    // Parameterised routes are matched by their pattern.
    expectRestError(await call(`${sc.base}/transactions/12`), 'rest_forbidden', 401);
  });

  it('/ready answers 503 naming a dropped plugin table, and 200 once it is back', async () => {
    await db.pool.query(`RENAME TABLE ${db.prefix}slbp_webhooks TO ${db.prefix}slbp_webhooks_aside`);
    try {
      await new Promise((r) => setTimeout(r, 1100));
      const res = await call(`${sc.base}/ready`);
      expect(res.status).to.equal(503);
      expect(res.body.ready).to.equal(false);
      expect(res.body.checks.tables.missing_tables).to.deep.equal([`${db.prefix}slbp_webhooks`]);
    } finally {
      await db.pool.query(`RENAME TABLE ${db.prefix}slbp_webhooks_aside TO ${db.prefix}slbp_webhooks`);
    }
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(`${sc.base}/ready`)).status).to.equal(200);
  });

  it('/health answers 503 unhealthy while plugin tables are missing, naming the prefix that holds them', async () => {
    const wrong = await startSidecar(db, { env: { SLBP_TABLE_PREFIX: 'shop_' } });
    try {
      const res = await call(`${wrong.base}/health`);
      expect(res.status).to.equal(503);
      expect(res.body.status).to.equal('unhealthy');
      expect(res.body.checks.database.healthy).to.equal(true);
      expect(res.body.checks.tables).to.include({ healthy: false, prefix_guess: 'wp_' });
      expect(res.body.checks.tables.missing_tables).to.include('shop_slbp_transactions');
      expect(res.body.checks.tables.message).to.match(
        /the tables exist with the prefix wp_: set SLBP_TABLE_PREFIX=wp_ \(or \$table_prefix in wp-config.php\)$/,
      );
    } finally {
      await wrong.stop();
    }
    expect((await call(`${sc.base}/health`)).body.checks.tables).to.deep.equal({
      healthy: true,
      message: 'All required tables exist',
      missing_tables: [],
    });
  });

  it('/health/detailed admits a load balancer address from slbp_health_check_ips, and the health token', async () => {
    // The demo's slbp_health_check_ips holds 127.0.0.1, which is where the test client connects from.
    expect((await call(`${sc.base}/health/detailed`)).status).to.equal(200);
    const withToken = await call(`${sc.base}/health/detailed`, { headers: { Authorization: 'Bearer health-token-for-tests' } });
    expect(withToken.status).to.equal(200);
    expect(withToken.body).to.include.keys(
      'status',
      'timestamp',
      'instance_id',
      'version',
      'system_info',
      'performance_metrics',
      'service_checks',
    );
    expect(withToken.body.system_info.node_version).to.equal(process.version);
    expect(withToken.body.system_info.mariadb_version).to.match(/MariaDB/);
    expect(withToken.body.service_checks).to.include.keys(
      'database',
      'cache',
      'filesystem',
      'database_pool',
      'background_processing',
      'cache_layers',
    );
    expect(withToken.body.service_checks.cache_layers.hit_ratio).to.be.within(0, 1);
  });

  it('/health/detailed answers 401 rest_forbidden when the address is not allowlisted and no token is sent', async () => {
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'a:0:{}' WHERE option_name = 'slbp_health_check_ips'`);
    await sc.container.settings.refresh();
    try {
      expectRestError(await call(`${sc.base}/health/detailed`), 'rest_forbidden', 401);
      // A bearer value that is neither the health token nor a valid key is a bad credential, not anonymity.
      expectRestError(
        await call(`${sc.base}/health/detailed`, { headers: { Authorization: 'Bearer wrong' } }),
        'slbp_invalid_api_key',
        401,
      );
    } finally {
      await db.pool.query(
        `UPDATE ${db.prefix}options SET option_value = 'a:1:{i:0;s:9:"127.0.0.1";}' WHERE option_name = 'slbp_health_check_ips'`,
      );
      await sc.container.settings.refresh();
    }
    expect((await call(`${sc.base}/health/detailed`)).status).to.equal(200);
  });

  it('lists the namespace like WordPress does', async () => {
    const res = await call(sc.base);
    expect(res.status).to.equal(200);
    expect(res.body.namespace).to.equal('skylearn-billing-pro/v1');
    expect(res.body.routes['/skylearn-billing-pro/v1/health'].methods).to.deep.equal(['GET']);
    expect(res.body.routes['/skylearn-billing-pro/v1/health'].endpoints[0]).to.have.keys('methods', 'args');
  });

  it('answers rest_no_route for unknown paths and for a known path with the wrong method', async () => {
    expectRestError(await call(`${sc.base}/nope`), 'rest_no_route', 404);
    expectRestError(await call(`${sc.base}/health`, { method: 'DELETE' }), 'rest_no_route', 404);
    expectRestError(await call(`${sc.url}/wp-json/other/v1/x`), 'rest_no_route', 404);
  });

  it('answers 400 rest_invalid_json for a malformed JSON body and 413 for an oversized one', async () => {
    expectRestError(
      await call(`${sc.base}/health`, { method: 'POST', body: '{"a":', headers: { 'Content-Type': 'application/json' } }),
      'rest_invalid_json',
      400,
    );
    const big = 'x'.repeat(sc.container.config.server.bodyLimitBytes + 10);
    expectRestError(
      await call(`${sc.base}/health`, { method: 'POST', body: big, headers: { 'Content-Type': 'application/json' } }),
      'slbp_payload_too_large',
      413,
    );
  });

  it('sends the usual security headers', async () => {
    const res = await call(`${sc.base}/live`);
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
  });
});

describe('without Redis', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    // Nothing listens on port 1: Redis is unreachable from the start.
    sc = await startSidecar(db, { env: { WP_REDIS_PORT: '1' } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('still starts and serves; /health says degraded (200) with cache.healthy=false', async () => {
    const res = await call(`${sc.base}/health`);
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('degraded');
    expect(res.body.checks.cache.healthy).to.equal(false);
    expect(res.body.checks.database.healthy).to.equal(true);
    expect((await call(`${sc.base}/ready`)).status).to.equal(200);
  });
});
