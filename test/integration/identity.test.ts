import { expect } from 'chai';
import { ADMIN_ID, asUser, createApiKey, signedHeaders, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const DETAILED = `${NS}/health/detailed`;

describe('identity: shim signatures and API keys', () => {
  let db: TestDb;
  let sc: InProcessSidecar;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    // No address allowlist, so only identity can open /health/detailed.
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'a:0:{}' WHERE option_name = 'slbp_health_check_ips'`);
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('a signed administrator is an admin; a signed subscriber gets 403', async () => {
    expect((await call(`${sc.url}${DETAILED}`, asUser(ADMIN_ID, 'GET', DETAILED))).status).to.equal(200);
    expectRestError(await call(`${sc.url}${DETAILED}`, asUser(STUDENT_ID, 'GET', DETAILED)), 'rest_forbidden', 403);
    expectRestError(await call(`${sc.url}${DETAILED}`), 'rest_forbidden', 401);
  });

  it('refuses a forged signature, a stale timestamp and a replayed nonce with 401', async () => {
    const forged = signedHeaders({ method: 'GET', path: DETAILED, userId: ADMIN_ID, secret: 'not-the-secret' });
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: forged }), 'slbp_invalid_signature', 401);

    const stale = signedHeaders({ method: 'GET', path: DETAILED, userId: ADMIN_ID, timestamp: Math.floor(Date.now() / 1000) - 120 });
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: stale }), 'slbp_stale_request', 401);

    const once = signedHeaders({ method: 'GET', path: DETAILED, userId: ADMIN_ID });
    expect((await call(`${sc.url}${DETAILED}`, { headers: once })).status).to.equal(200);
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: once }), 'slbp_replayed_request', 401);
  });

  it('refuses a request whose path, user or body changed after signing', async () => {
    const h = signedHeaders({ method: 'GET', path: `${NS}/live`, userId: STUDENT_ID });
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: h }), 'slbp_invalid_signature', 401);
    const h2 = signedHeaders({ method: 'GET', path: DETAILED, userId: STUDENT_ID });
    expectRestError(
      await call(`${sc.url}${DETAILED}`, { headers: { ...h2, 'X-SLBP-User': String(ADMIN_ID) } }),
      'slbp_invalid_signature',
      401,
    );
    const h3 = signedHeaders({ method: 'POST', path: `${NS}/live`, userId: ADMIN_ID, body: '{"a":1}' });
    expectRestError(
      await call(`${sc.url}${NS}/live`, { method: 'POST', headers: { ...h3, 'Content-Type': 'application/json' }, body: '{"a":2}' }),
      'slbp_invalid_signature',
      401,
    );
  });

  it('reads roles from the database, not from headers: a role change shows on the next request', async () => {
    const caps = `${db.prefix}capabilities`;
    await db.pool.query(
      `UPDATE ${db.prefix}usermeta SET meta_value = 'a:1:{s:13:"administrator";b:1;}' WHERE user_id = ? AND meta_key = ?`,
      [STUDENT_ID, caps],
    );
    try {
      await sc.container.cache.invalidate({ tags: [`user:${STUDENT_ID}`] });
      expect((await call(`${sc.url}${DETAILED}`, asUser(STUDENT_ID, 'GET', DETAILED))).status).to.equal(200);
    } finally {
      await db.pool.query(
        `UPDATE ${db.prefix}usermeta SET meta_value = 'a:1:{s:10:"subscriber";b:1;}' WHERE user_id = ? AND meta_key = ?`,
        [STUDENT_ID, caps],
      );
      await sc.container.cache.invalidate({ tags: [`user:${STUDENT_ID}`] });
    }
    expect((await call(`${sc.url}${DETAILED}`, asUser(STUDENT_ID, 'GET', DETAILED))).status).to.equal(403);
  });

  it('API keys: Bearer and X-API-Key work, permissions restrict, and last_used_at is recorded', async () => {
    const admin = await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'] });
    expect((await call(`${sc.url}${DETAILED}`, { headers: { Authorization: `Bearer ${admin.key}` } })).status).to.equal(200);
    expect((await call(`${sc.url}${DETAILED}`, { headers: { 'X-API-Key': admin.key } })).status).to.equal(200);
    const [[row]] = await db.pool.query<any>(`SELECT last_used_at FROM ${db.prefix}slbp_api_keys WHERE id = ?`, [admin.id]);
    expect(row.last_used_at).to.be.a('string');

    // An administrator's key without the `admin` permission is not an admin key.
    const readOnly = await createApiKey(db, { userId: ADMIN_ID, permissions: ['read'] });
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: { 'X-API-Key': readOnly.key } }), 'rest_forbidden', 403);
  });

  it('API keys: expired, revoked or unknown keys get 401; the query string is never read', async () => {
    const expired = await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'], expiresAt: '2020-01-01 00:00:00' });
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: { 'X-API-Key': expired.key } }), 'slbp_invalid_api_key', 401);
    const revoked = await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'], active: false });
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: { 'X-API-Key': revoked.key } }), 'slbp_invalid_api_key', 401);
    expectRestError(await call(`${sc.url}${DETAILED}`, { headers: { 'X-API-Key': 'slbp_made_up' } }), 'slbp_invalid_api_key', 401);
    const good = await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'] });
    expectRestError(await call(`${sc.url}${DETAILED}?api_key=${good.key}`), 'rest_forbidden', 401);
  });
});
