import { expect } from 'chai';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, type JsonResponse } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

/**
 * New York in 2026, written out by hand so the test does not share the sidecar's time zone code:
 * EST (UTC-5) until 2026-03-08 07:00Z, EDT (UTC-4) until 2026-11-01 06:00Z, then EST again.
 */
function nyMidnight(y: number, m: number, d: number): Date {
  const key = Date.UTC(y, m - 1, d);
  const edt = y === 2026 && key >= Date.UTC(2026, 2, 9) && key <= Date.UTC(2026, 9, 31);
  return new Date(key + (edt ? 4 : 5) * 3_600_000);
}
const sql = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const cents = (v: string | number | null) => Math.round(Number(v ?? 0) * 100);

describe('analytics on the demo data', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const get = (path: string): Promise<JsonResponse> => call(`${sc.url}${NS}${path}`, asUser(ADMIN_ID, 'GET', `${NS}${path}`));
  const tx = () => `${db.prefix}slbp_transactions`;

  /** Revenue of [from, to) per currency, computed by the test's own SQL. */
  async function revenue(from: Date, to: Date): Promise<Map<string, { gross: number; refunds: number; n: number }>> {
    const [rows] = await db.pool.query<any>(
      `SELECT currency, SUM(amount) AS gross, SUM(IF(status = 'refunded', amount, 0)) AS refunds, COUNT(*) AS n FROM ${tx()}
       WHERE status IN ('completed', 'paid', 'refunded') AND created_at >= ? AND created_at < ? GROUP BY currency`,
      [sql(from), sql(to)],
    );
    return new Map(rows.map((r: any) => [r.currency, { gross: cents(r.gross), refunds: cents(r.refunds), n: Number(r.n) }]));
  }

  function expectBucket(label: string, got: any, want: Map<string, { gross: number; refunds: number; n: number }>): void {
    const currencies = [...want.keys()].sort();
    expect(Object.keys(got.gross).sort(), label).to.deep.equal(currencies);
    for (const c of currencies) {
      const w = want.get(c)!;
      expect(cents(got.gross[c]), `${label} gross ${c}`).to.equal(w.gross);
      expect(cents(got.refunds[c]), `${label} refunds ${c}`).to.equal(w.refunds);
      expect(cents(got.net[c]), `${label} net ${c}`).to.equal(w.gross - w.refunds);
    }
    expect(got.transactions, `${label} transactions`).to.equal([...want.values()].reduce((n, w) => n + w.n, 0));
  }

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    // Rows either side of local midnight around the 2026-03-08 DST change, in a currency of their own.
    const rows = [
      ['2026-03-08 04:30:00', '10.10', 'completed'],
      ['2026-03-08 05:30:00', '20.20', 'paid'],
      ['2026-03-09 03:30:00', '30.30', 'completed'],
      ['2026-03-09 04:30:00', '40.40', 'completed'],
      ['2026-03-09 12:00:00', '5.05', 'refunded'],
      ['2026-03-09 13:00:00', '99.99', 'failed'],
    ];
    for (const [at, amount, status] of rows) {
      await db.pool.query(
        `INSERT INTO ${tx()} (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at) VALUES (3, 'o', 't', 'lemon_squeezy', ?, 'CHF', ?, ?, ?)`,
        [amount, status, at, at],
      );
    }
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('daily buckets follow the site time zone across a DST change, per currency, equal to independent SQL', async () => {
    const res = await get('/analytics/revenue?period=custom&date_from=2026-03-01&date_to=2026-03-14');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ period: 'custom', group_by: 'day', timezone: 'America/New_York', currency: null });
    expect(res.body.from).to.equal('2026-03-01T05:00:00Z');
    expect(res.body.to).to.equal('2026-03-15T04:00:00Z');
    expect(res.body.series.map((s: any) => s.date)).to.deep.equal(
      Array.from({ length: 14 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`),
    );
    for (let day = 1; day <= 14; day++) {
      expectBucket(`2026-03-${day}`, res.body.series[day - 1], await revenue(nyMidnight(2026, 3, day), nyMidnight(2026, 3, day + 1)));
    }
    expectBucket('totals', res.body.totals, await revenue(nyMidnight(2026, 3, 1), nyMidnight(2026, 3, 15)));
    const chf = (d: number) => res.body.series[d - 1];
    expect([chf(7).gross.CHF, chf(8).gross.CHF, chf(9).gross.CHF]).to.deep.equal([10.1, 50.5, 45.45]);
    expect(chf(9).refunds.CHF).to.equal(5.05);
    expect(chf(9).net.CHF).to.equal(40.4);
  });

  it('weekly buckets start on local Mondays; a currency filter gives plain numbers', async () => {
    const res = await get('/analytics/revenue?period=custom&date_from=2026-02-02&date_to=2026-03-29&group_by=week&currency=eur');
    expect(res.body.currency).to.equal('EUR');
    expect(res.body.series).to.have.length(8);
    for (let i = 0; i < 8; i++) {
      const start = new Date(Date.UTC(2026, 1, 2 + 7 * i));
      const s = res.body.series[i];
      expect(s.date).to.equal(start.toISOString().slice(0, 10));
      const want = (await revenue(nyMidnight(2026, 2, 2 + 7 * i), nyMidnight(2026, 2, 9 + 7 * i))).get('EUR') ?? {
        gross: 0,
        refunds: 0,
        n: 0,
      };
      expect([cents(s.gross), cents(s.refunds), cents(s.net), s.transactions], s.date).to.deep.equal([
        want.gross,
        want.refunds,
        want.gross - want.refunds,
        want.n,
      ]);
    }
  });

  it('12 months: totals, series and MRR equal independent SQL per currency', async () => {
    const res = await get('/analytics/revenue?period=12m');
    expect(res.body.group_by).to.equal('month');
    expect(res.body.series).to.have.length(12);
    expect(res.body.series.every((s: any) => /^\d{4}-\d{2}-01$/.test(s.date))).to.equal(true);
    const want = await revenue(new Date(res.body.from), new Date(res.body.to));
    expect([...want.values()].reduce((n, w) => n + w.n, 0)).to.be.greaterThan(20);
    expectBucket('12m totals', res.body.totals, want);
    // The series adds up to the totals, per currency.
    for (const c of Object.keys(res.body.totals.gross)) {
      expect(res.body.series.reduce((s: number, b: any) => s + cents(b.gross[c] ?? 0), 0)).to.equal(cents(res.body.totals.gross[c]));
    }
    const [subs] = await db.pool.query<any>(
      `SELECT currency, billing_cycle, amount FROM ${db.prefix}slbp_subscriptions WHERE status = 'active'`,
    );
    const twelfths = new Map<string, number>();
    for (const s of subs) {
      const factor = s.billing_cycle === 'yearly' ? 1 : s.billing_cycle === 'weekly' ? 52 : 12;
      twelfths.set(s.currency, (twelfths.get(s.currency) ?? 0) + cents(s.amount) * factor);
    }
    expect(res.body.active_subscriptions).to.equal(subs.length);
    for (const [c, t] of twelfths) {
      expect(cents(res.body.mrr[c]), `mrr ${c}`).to.equal(Math.round(t / 12));
      expect(cents(res.body.arr[c]), `arr ${c}`).to.equal(t);
    }
    expect(res.body.churn_rate).to.be.within(0, 1);
  });

  it('gmt_offset is used when no timezone_string is set', async () => {
    await db.pool.query(
      `UPDATE ${db.prefix}options SET option_value = CASE option_name WHEN 'timezone_string' THEN '' ELSE '5.5' END WHERE option_name IN ('timezone_string', 'gmt_offset')`,
    );
    await sc.container.settings.refresh();
    try {
      const res = await get('/analytics/revenue?period=custom&date_from=2026-03-01&date_to=2026-03-02');
      expect(res.body.timezone).to.equal('+05:30');
      expect([res.body.from, res.body.to]).to.deep.equal(['2026-02-28T18:30:00Z', '2026-03-02T18:30:00Z']);
      expectBucket('+05:30 day', res.body.series[0], await revenue(new Date('2026-02-28T18:30:00Z'), new Date('2026-03-01T18:30:00Z')));
    } finally {
      await db.pool.query(
        `UPDATE ${db.prefix}options SET option_value = CASE option_name WHEN 'timezone_string' THEN 'America/New_York' ELSE '' END WHERE option_name IN ('timezone_string', 'gmt_offset')`,
      );
      await sc.container.settings.refresh();
    }
  });

  it('/analytics/subscriptions counts by status (trialing read as on_trial), plan and gateway', async () => {
    const res = await get('/analytics/subscriptions?period=90d');
    expect(res.status).to.equal(200);
    const [rows] = await db.pool.query<any>(
      `SELECT IF(status = 'trialing', 'on_trial', status) AS s, COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions GROUP BY s`,
    );
    expect(res.body.by_status).to.deep.equal(Object.fromEntries(rows.map((r: any) => [r.s, Number(r.n)])));
    expect(res.body.by_status).to.not.have.property('trialing');
    const [[total]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions`);
    expect(res.body.total).to.equal(Number(total.n));
    const [[created]] = await db.pool.query<any>(
      `SELECT COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions WHERE created_at >= ? AND created_at < ?`,
      [sql(new Date(res.body.from)), sql(new Date(res.body.to))],
    );
    expect(res.body.series.reduce((n: number, s: any) => n + s.new, 0)).to.equal(Number(created.n));
  });

  it('rejects bad analytics parameters by name', async () => {
    for (const [qs, name] of [
      ['period=5y', 'period'],
      ['group_by=hour', 'group_by'],
      ['period=custom&date_from=2026-02-30&date_to=2026-03-01', 'date_from'],
      ['currency=dollars', 'currency'],
    ]) {
      const res = await get(`/analytics/revenue?${qs}`);
      expect(res.status, qs).to.equal(400);
      expect(Object.keys(res.body.data.params), qs).to.deep.equal([name]);
    }
    expect((await get('/analytics/revenue?period=custom&date_from=2026-03-05&date_to=2026-03-01')).body.data.params).to.have.key('date_to');
    expect((await get('/analytics/revenue?period=custom')).body.code).to.equal('rest_missing_callback_param');
  });
});
