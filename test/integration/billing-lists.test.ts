import { expect } from 'chai';
import { ADMIN_ID, asUser, createApiKey, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { cacheTags } from '../../src/cache/keys.ts';

describe('billing lists on the demo data', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const get = (userId: number, path: string): Promise<JsonResponse> => call(`${sc.url}${NS}${path}`, asUser(userId, 'GET', `${NS}${path}`));
  const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query<any>(sql, params))[0][0].n);
  const tx = () => `${db.prefix}slbp_transactions`;
  const subs = () => `${db.prefix}slbp_subscriptions`;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('X-WP-Total equals COUNT(*) for every list, for admins and owners', async () => {
    const cases: [number, string, string, unknown[]][] = [
      [ADMIN_ID, '/transactions', `SELECT COUNT(*) n FROM ${tx()}`, []],
      [STUDENT_ID, '/transactions', `SELECT COUNT(*) n FROM ${tx()} WHERE user_id = ?`, [STUDENT_ID]],
      [ADMIN_ID, '/subscriptions', `SELECT COUNT(*) n FROM ${subs()}`, []],
      [STUDENT_ID, '/subscriptions', `SELECT COUNT(*) n FROM ${subs()} WHERE user_id = ?`, [STUDENT_ID]],
      [STUDENT_ID, '/notifications', `SELECT COUNT(*) n FROM ${db.prefix}slbp_notifications WHERE user_id = ?`, [STUDENT_ID]],
      [ADMIN_ID, `/transactions?user_id=${STUDENT_ID + 1}`, `SELECT COUNT(*) n FROM ${tx()} WHERE user_id = ?`, [STUDENT_ID + 1]],
      [ADMIN_ID, '/transactions?status=completed', `SELECT COUNT(*) n FROM ${tx()} WHERE status IN ('completed', 'paid')`, []],
      [ADMIN_ID, '/transactions?status=refunded,failed', `SELECT COUNT(*) n FROM ${tx()} WHERE status IN ('refunded', 'failed')`, []],
      [ADMIN_ID, '/subscriptions?status=on_trial', `SELECT COUNT(*) n FROM ${subs()} WHERE status IN ('on_trial', 'trialing')`, []],
      [
        ADMIN_ID,
        '/subscriptions?plan_id=variant_2&gateway=lemon_squeezy',
        `SELECT COUNT(*) n FROM ${subs()} WHERE plan_id = 'variant_2' AND payment_gateway = 'lemon_squeezy'`,
        [],
      ],
      [
        ADMIN_ID,
        '/transactions?course_id=102&after=2026-01-01T00:00:00Z&before=2026-07-01',
        `SELECT COUNT(*) n FROM ${tx()} WHERE course_id = 102 AND created_at > '2026-01-01 00:00:00' AND created_at < '2026-07-01 00:00:00'`,
        [],
      ],
    ];
    for (const [user, path, sql, params] of cases) {
      const res = await get(user, path);
      expect(res.status, path).to.equal(200);
      const expected = await count(sql, params);
      expect(expected, `${path} has rows to compare`).to.be.greaterThan(0);
      expect(Number(res.headers.get('x-wp-total')), path).to.equal(expected);
      expect(Number(res.headers.get('x-wp-totalpages')), path).to.equal(Math.ceil(expected / 10));
    }
  });

  it('walking every page returns every row exactly once, in order, with prev/next links', async () => {
    const total = await count(`SELECT COUNT(*) n FROM ${tx()}`);
    const seen: number[] = [];
    let path: string | null = '/transactions?per_page=37&orderby=amount&order=asc';
    let pages = 0;
    let lastAmount = -Infinity;
    while (path) {
      const res = await get(ADMIN_ID, path);
      expect(res.status).to.equal(200);
      pages++;
      for (const item of res.body) {
        expect(item.amount).to.be.at.least(lastAmount);
        lastAmount = item.amount;
        seen.push(item.id);
      }
      const link = res.headers.get('link') ?? '';
      if (pages > 1) expect(link).to.match(/rel="prev"/);
      const next = /<([^>]+)>; rel="next"/.exec(link);
      path = next ? next[1]!.slice(next[1]!.indexOf(NS) + NS.length) : null;
    }
    expect(pages).to.equal(Math.ceil(total / 37));
    expect(seen.length).to.equal(total);
    expect(new Set(seen).size).to.equal(total);
    const [ids] = await db.pool.query<any>(`SELECT id FROM ${tx()} ORDER BY id`);
    expect([...seen].sort((a, b) => a - b)).to.deep.equal(ids.map((r: any) => Number(r.id)));
  });

  it('items have the documented shape, normalised statuses, numbers for money and _fields trims them', async () => {
    const [[row]] = await db.pool.query<any>(`SELECT * FROM ${tx()} WHERE status = 'paid' ORDER BY id LIMIT 1`);
    const res = await get(ADMIN_ID, `/transactions/${row.id}`);
    expect(res.status).to.equal(200);
    expect(Object.keys(res.body)).to.have.members([
      'id',
      'user_id',
      'order_id',
      'transaction_id',
      'gateway',
      'amount',
      'currency',
      'status',
      'course_id',
      'metadata',
      'created_at',
      'updated_at',
    ]);
    expect(res.body).to.include({
      id: Number(row.id),
      status: 'completed',
      gateway: row.payment_gateway,
      amount: Number(row.amount),
      currency: row.currency,
    });
    expect(res.body.metadata).to.deep.equal(JSON.parse(row.metadata));
    expect(res.body.created_at).to.equal(`${row.created_at.replace(' ', 'T')}Z`);

    const trimmed = await get(ADMIN_ID, '/subscriptions?status=on_trial&per_page=100&_fields=id,status');
    expect(trimmed.body.length).to.be.greaterThan(0);
    for (const s of trimmed.body) {
      expect(Object.keys(s)).to.have.members(['id', 'status']);
      expect(s.status).to.equal('on_trial');
    }
    const arrayForm = await get(ADMIN_ID, '/transactions?_fields[]=id&_fields[]=amount&per_page=3');
    expect(arrayForm.body.map((t: any) => Object.keys(t).sort())).to.deep.equal([
      ['amount', 'id'],
      ['amount', 'id'],
      ['amount', 'id'],
    ]);
  });

  it('a cached page is rendered once: repeats are byte-identical, _fields trims it, and a change shows after invalidation', async () => {
    const path = '/transactions?per_page=5&orderby=id&order=asc';
    const first = await get(STUDENT_ID, path);
    const again = await get(STUDENT_ID, path);
    expect(first.status).to.equal(200);
    expect(again.text).to.equal(first.text);
    expect(again.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
    expect(Number(again.headers.get('content-length'))).to.equal(Buffer.byteLength(first.text));
    expect(again.headers.get('x-wp-total')).to.equal(first.headers.get('x-wp-total'));
    const trimmed = await get(STUDENT_ID, `${path}&_fields=id,amount`);
    expect(trimmed.body).to.deep.equal(first.body.map((t: any) => ({ id: t.id, amount: t.amount })));
    expect((await get(STUDENT_ID, path)).text).to.equal(first.text);

    const id = first.body[0].id;
    await db.pool.query(`UPDATE ${tx()} SET amount = amount + 1 WHERE id = ?`, [id]);
    try {
      // Unchanged until the cache hears of the change (the webhook and the shim's hooks tell it).
      expect((await get(STUDENT_ID, path)).text).to.equal(first.text);
      await sc.container.cache.invalidate({ tags: cacheTags.billingChange(STUDENT_ID) });
      const changed = await get(STUDENT_ID, path);
      expect(changed.body[0].amount).to.equal(first.body[0].amount + 1);
      expect(changed.body.slice(1)).to.deep.equal(first.body.slice(1));
    } finally {
      await db.pool.query(`UPDATE ${tx()} SET amount = amount - 1 WHERE id = ?`, [id]);
      await sc.container.cache.invalidate({ tags: cacheTags.billingChange(STUDENT_ID) });
    }
  });

  it("a subscriber sees only their rows; someone else's id is 404 and another user_id is refused", async () => {
    const mine = await get(STUDENT_ID, '/transactions?per_page=100');
    expect(mine.body.length).to.be.greaterThan(0);
    expect(mine.body.every((t: any) => t.user_id === STUDENT_ID)).to.equal(true);
    const [[other]] = await db.pool.query<any>(`SELECT id FROM ${tx()} WHERE user_id <> ? ORDER BY id LIMIT 1`, [STUDENT_ID]);
    expectRestError(await get(STUDENT_ID, `/transactions/${other.id}`), 'slbp_transaction_not_found', 404);
    expectRestError(await get(STUDENT_ID, `/transactions/${other.id}/invoice`), 'slbp_transaction_not_found', 404);
    expectRestError(await get(STUDENT_ID, '/transactions/999999999'), 'slbp_transaction_not_found', 404);
    const [[otherSub]] = await db.pool.query<any>(`SELECT id FROM ${subs()} WHERE user_id <> ? ORDER BY id LIMIT 1`, [STUDENT_ID]);
    expectRestError(await get(STUDENT_ID, `/subscriptions/${otherSub.id}`), 'slbp_subscription_not_found', 404);
    expectRestError(await get(STUDENT_ID, `/transactions?user_id=${ADMIN_ID}`), 'rest_forbidden', 403);
    expectRestError(await call(`${sc.url}${NS}/transactions`), 'rest_forbidden', 401);
    // Admin-only analytics.
    expectRestError(await get(STUDENT_ID, '/analytics/revenue'), 'rest_forbidden', 403);
  });

  it('API keys act as their user within their permissions', async () => {
    const billingKey = await createApiKey(db, { userId: STUDENT_ID, permissions: ['read_billing'] });
    const res = await call(`${sc.url}${NS}/transactions?per_page=100`, { headers: { 'X-API-Key': billingKey.key } });
    expect(res.status).to.equal(200);
    expect(Number(res.headers.get('x-wp-total'))).to.equal(await count(`SELECT COUNT(*) n FROM ${tx()} WHERE user_id = ?`, [STUDENT_ID]));
    expectRestError(await call(`${sc.url}${NS}/analytics/revenue`, { headers: { 'X-API-Key': billingKey.key } }), 'rest_forbidden', 403);
    const analyticsKey = await createApiKey(db, { userId: STUDENT_ID, permissions: ['read_analytics'] });
    expect((await call(`${sc.url}${NS}/analytics/revenue`, { headers: { 'X-API-Key': analyticsKey.key } })).status).to.equal(200);
    expectRestError(await call(`${sc.url}${NS}/transactions`, { headers: { 'X-API-Key': analyticsKey.key } }), 'rest_forbidden', 403);
    const adminKey = await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'] });
    const all = await call(`${sc.url}${NS}/subscriptions`, { headers: { Authorization: `Bearer ${adminKey.key}` } });
    expect(Number(all.headers.get('x-wp-total'))).to.equal(await count(`SELECT COUNT(*) n FROM ${subs()}`));
  });

  it("a read_billing key of an administrator sees that administrator's own rows, not everyone's (as the README says)", async () => {
    const key = await createApiKey(db, { userId: ADMIN_ID, permissions: ['read_billing'] });
    const headers = { 'X-API-Key': key.key };
    const own = await call(`${sc.url}${NS}/transactions?per_page=100`, { headers });
    expect(own.status).to.equal(200);
    expect(Number(own.headers.get('x-wp-total'))).to.equal(await count(`SELECT COUNT(*) n FROM ${tx()} WHERE user_id = ?`, [ADMIN_ID]));
    expect(own.body.every((t: any) => t.user_id === ADMIN_ID)).to.equal(true);
    expectRestError(await call(`${sc.url}${NS}/transactions?user_id=${STUDENT_ID}`, { headers }), 'rest_forbidden', 403);
    const [[other]] = await db.pool.query<any>(`SELECT id FROM ${tx()} WHERE user_id <> ? ORDER BY id LIMIT 1`, [ADMIN_ID]);
    expectRestError(await call(`${sc.url}${NS}/transactions/${other.id}`, { headers }), 'slbp_transaction_not_found', 404);
  });

  it('bad parameters answer 400 rest_invalid_param naming the parameter; a page past the end is rest_post_invalid_page_number', async () => {
    const bad: [string, string][] = [
      ['per_page=0', 'per_page'],
      ['per_page=101', 'per_page'],
      ['page=-1', 'page'],
      ['after=not-a-date', 'after'],
      ['orderby=password', 'orderby'],
      ['limit=500', 'limit'],
      ['status=bogus', 'status'],
      ['before=2026-13-45', 'before'],
      ['user_id=abc', 'user_id'],
    ];
    for (const [qs, name] of bad) {
      const res = await get(ADMIN_ID, `/transactions?${qs}`);
      expectRestError(res, 'rest_invalid_param', 400);
      expect(Object.keys(res.body.data.params), qs).to.deep.equal([name]);
    }
    expectRestError(await get(ADMIN_ID, '/subscriptions?orderby=password'), 'rest_invalid_param', 400);
    expectRestError(await get(ADMIN_ID, '/analytics/revenue?period=5y'), 'rest_invalid_param', 400);
    expectRestError(await get(ADMIN_ID, '/transactions/abc'), 'rest_invalid_param', 400);
    // Parameters are checked before access: an anonymous bad request is still a 400.
    expectRestError(await call(`${sc.url}${NS}/transactions?per_page=0`), 'rest_invalid_param', 400);
    expectRestError(await get(ADMIN_ID, '/transactions?page=9999'), 'rest_post_invalid_page_number', 400);
    // `limit` is an alias of per_page; unknown parameters are ignored.
    const limited = await get(ADMIN_ID, '/transactions?limit=7&whatever=1');
    expect(limited.status).to.equal(200);
    expect(limited.body).to.have.length(7);
  });

  it('summary, dashboard, enrolled courses and invoices come from the tables', async () => {
    const summary = await get(STUDENT_ID, '/billing/summary');
    expect(summary.status).to.equal(200);
    const [ltv] = await db.pool.query<any>(
      `SELECT currency, SUM(amount) AS total FROM ${tx()} WHERE user_id = ? AND status IN ('completed', 'paid') GROUP BY currency`,
      [STUDENT_ID],
    );
    expect(summary.body.lifetime_value).to.deep.equal(Object.fromEntries(ltv.map((r: any) => [r.currency, Number(r.total)])));
    expect(summary.body.active_subscriptions).to.equal(
      await count(`SELECT COUNT(*) n FROM ${subs()} WHERE user_id = ? AND status IN ('active', 'on_trial', 'trialing', 'past_due')`, [
        STUDENT_ID,
      ]),
    );
    expect((await get(ADMIN_ID, `/billing/summary?user_id=${STUDENT_ID}`)).body).to.deep.equal(summary.body);

    const dash = await get(STUDENT_ID, '/dashboard');
    expect(dash.status).to.equal(200);
    expect(dash.body.user_id).to.equal(STUDENT_ID);
    expect(dash.body.unread_notifications).to.equal(
      await count(`SELECT COUNT(*) n FROM ${db.prefix}slbp_notifications WHERE user_id = ? AND is_read = 0`, [STUDENT_ID]),
    );
    expect(dash.body.recent_transactions.length).to.be.at.most(5);

    const courses = await get(STUDENT_ID, '/courses/enrolled?per_page=100');
    const expected = await count(
      `SELECT COUNT(DISTINCT meta_key) n FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key LIKE 'course\\_%\\_access\\_from'`,
      [STUDENT_ID],
    );
    expect(courses.body).to.have.length(expected);
    expect(courses.body.every((c: any) => typeof c.title === 'string' && c.title.length > 0)).to.equal(true);

    const [[paid]] = await db.pool.query<any>(
      `SELECT id, amount FROM ${tx()} WHERE user_id = ? AND status = 'completed' ORDER BY id LIMIT 1`,
      [STUDENT_ID],
    );
    const invoice = await get(STUDENT_ID, `/transactions/${paid.id}/invoice`);
    expect(invoice.status).to.equal(200);
    expect(invoice.body.total).to.equal(Number(paid.amount));
    expect(invoice.body.seller.name).to.equal('SkyLearn Academy (demo)');
    expect(invoice.body.buyer.id).to.equal(STUDENT_ID);
    const [[failed]] = await db.pool.query<any>(`SELECT id FROM ${tx()} WHERE status = 'failed' ORDER BY id LIMIT 1`);
    expectRestError(await get(ADMIN_ID, `/transactions/${failed.id}/invoice`), 'slbp_invoice_unavailable', 409);
  });
});
