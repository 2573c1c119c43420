import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/load.ts';
import type { ImportSummary } from '../../src/domain/payments/plugin-import.ts';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { ADMIN_ID, asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, sidecarEnv, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { orderData, signedDelivery, webhookBody } from '../fixtures/lemon-squeezy.ts';

const run = promisify(execFile);
const FIRST_USER = 100_000;
const SEED = Number(process.env.SLBP_IMPORT_SEED ?? 20261126);

interface Fixture {
  users: { id: number; email: string }[];
  options: { name: string; value: string }[];
  meta: { user_id: number; key: string; value: string }[];
  tx: {
    order_id: string;
    user_id: number | null;
    amount: string;
    currency: string;
    status: string;
    course_id: number | null;
    created_at: string;
  }[];
  subs: {
    subscription_id: string;
    user_id: number | null;
    plan_id: string;
    status: string;
    amount: string;
    currency: string;
    billing_cycle: string;
    next_billing_date: string | null;
    expires_at: string | null;
  }[];
  enrol: { user_id: number; course_id: number; transaction_id: string | null; created_at: string }[];
}

/** Option rows made by real PHP serialize() (test/fixtures/plugin-options.php), and the rows they must become. */
async function phpFixture(): Promise<Fixture> {
  const { stdout } = await run('php', [path.join(projectRoot, 'test/fixtures/plugin-options.php'), String(SEED), String(FIRST_USER)], {
    maxBuffer: 64 << 20,
  });
  const f: Fixture = { users: [], options: [], meta: [], tx: [], subs: [], enrol: [] };
  const into: Record<string, unknown[]> = {
    user: f.users,
    option: f.options,
    meta: f.meta,
    expect_tx: f.tx,
    expect_sub: f.subs,
    expect_enrol: f.enrol,
  };
  for (const line of stdout.trim().split('\n')) {
    const { kind, ...row } = JSON.parse(line);
    into[kind]!.push(row);
  }
  return f;
}

// Broken on purpose: a truncated serialization, and a subscription array without its id.
const BROKEN_ORDER = 'slbp_order_88000001';
const BROKEN_SUB = 'slbp_subscription_88000002';

describe("Import of the PHP plugin's stored orders and subscriptions", function () {
  this.timeout(120_000);
  let db: TestDb;
  let sc: InProcessSidecar;
  let f: Fixture;
  /** `slbp_enrollment_*` meta the demo data already has (with its log rows): present, not imported again. */
  let demoEnrolments = 0;
  const rows = async (sql: string, args: unknown[] = []) => (await db.pool.query<any>(sql, args))[0] as any[];
  const checksums = async () => {
    const p = db.prefix;
    const out: Record<string, string> = {};
    for (const t of ['slbp_transactions', 'slbp_subscriptions', 'slbp_enrollment_logs', 'usermeta', 'users'])
      out[t] = String((await rows(`CHECKSUM TABLE ${p}${t}`))[0].Checksum);
    const opts = await rows(`SELECT option_name, option_value FROM ${p}options WHERE option_name LIKE 'slbp\\_%' ORDER BY option_id`);
    out.plugin_options = createHash('sha256').update(JSON.stringify(opts)).digest('hex');
    return out;
  };
  const api = (userId: number, method: string, rel: string, body?: unknown) =>
    call(`${sc.url}${NS}${rel}`, asUser(userId, method, `${NS}${rel}`, body));
  const matched = <T extends { user_id: number | null }>(list: T[]) => list.filter((r) => r.user_id !== null);
  const webhookOrder = () => f.tx.find((t) => t.user_id !== null && t.course_id === null)!;

  before(async () => {
    [db, f] = await Promise.all([createTestDb({ size: 'tiny' }), phpFixture()]);
    const p = db.prefix;
    await db.pool.query(
      `INSERT INTO ${p}users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name) VALUES ?`,
      [f.users.map((u) => [u.id, `customer${u.id}`, '', `customer${u.id}`, u.email, '2023-01-01 00:00:00', `Customer ${u.id}`])],
    );
    const meta = [
      ...f.meta.map((m) => [m.user_id, m.key, m.value]),
      ...f.users.map((u) => [u.id, `${p}capabilities`, 'a:1:{s:10:"subscriber";b:1;}']),
    ];
    await db.pool.query(`INSERT INTO ${p}usermeta (user_id, meta_key, meta_value) VALUES ?`, [meta]);
    const options = [
      ...f.options.map((o) => [o.name, o.value]),
      [BROKEN_ORDER, 'a:3:{s:2:"id";i:88000001;s:6:"status";s:4:"pa'],
      [BROKEN_SUB, 'a:2:{s:6:"status";s:6:"active";s:10:"variant_id";i:5;}'],
    ];
    await db.pool.query(`INSERT INTO ${p}options (option_name, option_value, autoload) VALUES ?`, [options.map(([n, v]) => [n, v, 'no'])]);
    demoEnrolments = (
      await rows(`SELECT COUNT(*) AS n FROM ${p}usermeta WHERE meta_key LIKE 'slbp\\_enrollment\\_%' AND user_id < ?`, [FIRST_USER])
    )[0].n;
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('uses at least 500 orders and 200 subscriptions made by PHP serialize()', () => {
    expect(f.tx.length).to.be.at.least(500);
    expect(f.subs.length).to.be.at.least(200);
    expect(f.options.find((o) => o.name.startsWith('slbp_order_3'))!.value).to.match(/^a:18:\{s:2:"id";i:\d+;/);
  });

  it('--dry-run prints what it would write, reports the broken options by name and writes nothing', async () => {
    const before = await checksums();
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'import', '--dry-run'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...sidecarEnv(db) },
      maxBuffer: 64 << 20,
    });
    expect(await checksums()).to.deep.equal(before);
    expect(stdout).to.include('dry run: nothing was written');
    // Not a terminal: progress as plain lines on stderr, with the totals.
    // (The totals count every slbp_order_* option, the broken one included.)
    expect(stderr).to.include(`import orders: 100% (${f.tx.length + 1} of ${f.tx.length + 1} orders)`);
    expect(stderr).to.match(new RegExp(`^import subscriptions: done, ${f.subs.length + 1} subscriptions in [\\d.]+ s$`, 'm'));
    expect(stdout).to.include(
      `orders        imported ${matched(f.tx).length}, already present 0, unmatched ${f.tx.length - matched(f.tx).length}, malformed 1`,
    );
    expect(stdout).to.include(
      `subscriptions imported ${matched(f.subs).length}, already present 0, unmatched ${f.subs.length - matched(f.subs).length}, malformed 1`,
    );
    expect(stdout).to.match(new RegExp(`^  ${BROKEN_ORDER}: cannot unserialize`, 'm'));
    expect(stdout).to.match(new RegExp(`^  ${BROKEN_SUB}: id is missing`, 'm'));
    const one = matched(f.tx)[0]!;
    expect(stdout).to.include(`would import order ${one.order_id} → user ${one.user_id}: ${one.amount} ${one.currency} ${one.status}`);
  });

  it("imports exactly the expected rows, keeps a webhook's row, reports unmatched and malformed records", async () => {
    // The webhook saw one of the orders first: the import must neither duplicate nor overwrite it.
    const w = webhookOrder();
    const email = f.users.find((u) => u.id === w.user_id)!.email;
    const res = await call(
      `${sc.base}/webhooks/lemon-squeezy`,
      signedDelivery(
        webhookBody('order_created', orderData({ id: Number(w.order_id), email, productId: 700_001, total: 12_345 })),
        DEMO_WEBHOOK_SECRET,
      ),
    );
    expect(res.status).to.equal(200);
    const optionsBefore = (await checksums()).plugin_options;

    const s = await sc.container.payments.importer.run();
    const txMatched = matched(f.tx);
    const subMatched = matched(f.subs);
    expect(s.orders).to.deep.equal({
      imported: txMatched.length - 1,
      already_present: 1,
      unmatched: f.tx.length - txMatched.length,
      malformed: 1,
    });
    expect(s.subscriptions).to.deep.equal({
      imported: subMatched.length,
      already_present: 0,
      unmatched: f.subs.length - subMatched.length,
      malformed: 1,
    });
    expect(s.enrolments).to.deep.equal({ imported: f.enrol.length, already_present: demoEnrolments, unmatched: 0, malformed: 0 });
    expect(s.malformed.map((m) => m.source).sort()).to.deep.equal([BROKEN_ORDER, BROKEN_SUB]);
    expect(
      s.unmatched
        .filter((u) => u.source.startsWith('slbp_order_'))
        .map((u) => u.source)
        .sort(),
    ).to.deep.equal(
      f.tx
        .filter((t) => t.user_id === null)
        .map((t) => `slbp_order_${t.order_id}`)
        .sort(),
    );
    expect(s.warnings).to.have.length(3);

    const p = db.prefix;
    const tx = await rows(
      `SELECT order_id, user_id, amount, currency, status, course_id, created_at FROM ${p}slbp_transactions WHERE payment_gateway = 'lemon_squeezy' AND order_id IN (?)`,
      [f.tx.map((t) => t.order_id)],
    );
    expect(tx).to.have.length(txMatched.length);
    const byOrder = new Map(tx.map((r) => [r.order_id, r]));
    for (const t of txMatched) {
      const want = t === w ? { ...t, amount: '123.45', currency: 'USD', status: 'completed', created_at: '2026-11-20 10:00:00' } : t;
      expect(byOrder.get(t.order_id), `order ${t.order_id}`).to.deep.equal({
        order_id: want.order_id,
        user_id: want.user_id,
        amount: want.amount,
        currency: want.currency,
        status: want.status,
        course_id: want.course_id,
        created_at: want.created_at,
      });
    }
    const subs = await rows(
      `SELECT subscription_id, user_id, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at FROM ${p}slbp_subscriptions WHERE payment_gateway = 'lemon_squeezy' AND subscription_id IN (?)`,
      [f.subs.map((x) => x.subscription_id)],
    );
    expect(subs).to.have.length(subMatched.length);
    const bySub = new Map(subs.map((r) => [r.subscription_id, r]));
    for (const x of subMatched) expect(bySub.get(x.subscription_id), `subscription ${x.subscription_id}`).to.deep.equal(x);
    const logs = await rows(
      `SELECT user_id, course_id, transaction_id, created_at FROM ${p}slbp_enrollment_logs WHERE user_id >= ? ORDER BY user_id, course_id`,
      [FIRST_USER],
    );
    expect(logs).to.deep.equal([...f.enrol].sort((a, b) => a.user_id - b.user_id || a.course_id - b.course_id));
    expect((await checksums()).plugin_options).to.equal(optionsBefore);
  });

  it('a second run changes nothing and counts everything as already present', async () => {
    const before = await checksums();
    const s: ImportSummary = await sc.container.payments.importer.run();
    expect(await checksums()).to.deep.equal(before);
    expect(s.orders).to.deep.equal({
      imported: 0,
      already_present: matched(f.tx).length,
      unmatched: f.tx.length - matched(f.tx).length,
      malformed: 1,
    });
    expect(s.subscriptions).to.deep.equal({
      imported: 0,
      already_present: matched(f.subs).length,
      unmatched: f.subs.length - matched(f.subs).length,
      malformed: 1,
    });
    expect(s.enrolments).to.deep.equal({ imported: 0, already_present: f.enrol.length + demoEnrolments, unmatched: 0, malformed: 0 });
  });

  it('the admin route runs it as a background task with progress; customers then see their history', async () => {
    const post = await api(ADMIN_ID, 'POST', '/import/plugin-data', {});
    expect(post.status).to.equal(202);
    expect(post.body).to.include({ status: 'pending', dry_run: false });
    const statusPath = `/import/plugin-data/${post.body.task_id}`;
    expectRestError(await api(STUDENT_ID, 'GET', statusPath), 'rest_forbidden', 403);
    const pending = await api(ADMIN_ID, 'GET', statusPath);
    expect(pending.body).to.include({ status: 'pending', summary: null });
    await sc.container.payments.queue.drain();
    const done = await api(ADMIN_ID, 'GET', statusPath);
    expect(done.body).to.include({ status: 'completed', progress: null, error: null });
    expect(done.body.summary.orders).to.deep.equal({
      imported: 0,
      already_present: matched(f.tx).length,
      unmatched: f.tx.length - matched(f.tx).length,
      malformed: 1,
    });
    expect(done.body.summary.malformed.map((m: { source: string }) => m.source).sort()).to.deep.equal([BROKEN_ORDER, BROKEN_SUB]);

    // The customer with the most imported orders sees every one of them, and their subscriptions.
    const counts = new Map<number, number>();
    for (const t of matched(f.tx)) counts.set(t.user_id!, (counts.get(t.user_id!) ?? 0) + 1);
    const [customer] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const txPath = '/transactions?per_page=100';
    const list = await api(customer, 'GET', txPath);
    expect(list.status).to.equal(200);
    const items = Array.isArray(list.body) ? list.body : (list.body.transactions ?? list.body.items ?? list.body.data);
    expect(items.map((t: { order_id: string }) => String(t.order_id)).sort()).to.deep.equal(
      matched(f.tx)
        .filter((t) => t.user_id === customer)
        .map((t) => t.order_id)
        .sort(),
    );
    const subPath = '/subscriptions?per_page=100';
    const subsRes = await api(customer, 'GET', subPath);
    const subItems = Array.isArray(subsRes.body) ? subsRes.body : (subsRes.body.subscriptions ?? subsRes.body.items ?? subsRes.body.data);
    expect(subItems.map((x: { subscription_id: string }) => String(x.subscription_id)).sort()).to.deep.equal(
      f.subs
        .filter((x) => x.user_id === customer)
        .map((x) => x.subscription_id)
        .sort(),
    );
  });
});
