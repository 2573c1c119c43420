import http from 'node:http';
import { expect } from 'chai';
import { demoOptions } from '../../scripts/lib/demo-data.ts';
import { SIZES } from '../../scripts/lib/demo-data.ts';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { signedHeaders } from './auth.ts';
import { call } from './http.ts';
import { NS } from './sidecar.ts';
import type { WordPressSite } from './wordpress.ts';

/**
 * The plugin's slbp_* options and billing rows for the users WordPress created. The health-check
 * allowlist is left empty on purpose: WordPress and the test both run on 127.0.0.1, and a
 * loopback entry would let every caller through /health/detailed.
 */
export async function seedBilling(site: WordPressSite): Promise<void> {
  const options = demoOptions(site.prefix, SIZES.tiny!, site.url)
    .filter(([name]) => name.startsWith('slbp_'))
    .map(([name, value]) => [name, name === 'slbp_health_check_ips' ? phpSerialize([]) : value, 'yes']);
  await site.pool.query(`INSERT INTO ${site.prefix}options (option_name, option_value, autoload) VALUES ?`, [options]);
  const rows: unknown[][] = [];
  const add = (userId: number, n: number, amount: number, status: string) => {
    rows.push([
      userId,
      `ord-${userId}-${n}`,
      `txn-${userId}-${n}`,
      'lemon_squeezy',
      amount.toFixed(2),
      'USD',
      status,
      101,
      JSON.stringify({ n }),
      `2026-11-${String(10 + n).padStart(2, '0')} 10:00:00`,
    ]);
  };
  for (let n = 1; n <= 3; n++) add(site.adminId, n, 19 + n, 'completed');
  for (let n = 1; n <= 12; n++) add(site.studentId, n, 49 + n, n % 4 === 0 ? 'refunded' : 'completed');
  await site.pool.query(
    `INSERT INTO ${site.prefix}slbp_transactions (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at) VALUES ?`,
    [rows],
  );
}

const PAGINATION = ['x-wp-total', 'x-wp-totalpages', 'link'];

/**
 * Acceptance 1 for /transactions (needs the billing routes on the sidecar): through WordPress
 * with an Application Password, the administrator's page equals the sidecar's direct answer
 * for that user (body and pagination headers), and the subscriber sees only their own rows.
 */
export async function expectTransactionsForwarded(site: WordPressSite, sidecarUrl: string, secret: string): Promise<void> {
  const query = 'page=2&per_page=5';
  for (const [auth, userId] of [
    [site.adminAuth, site.adminId],
    [site.studentAuth, site.studentId],
  ] as const) {
    const viaWp = await call(`${site.url}/wp-json/skylearn-billing-pro/v1/transactions?${query}`, { headers: { Authorization: auth } });
    const path = `${NS}/transactions?${query}`;
    const direct = await call(`${sidecarUrl}${path}`, { headers: signedHeaders({ method: 'GET', path, userId, secret }) });
    expect(direct.status, direct.text).to.equal(200);
    expect(viaWp.status, viaWp.text).to.equal(200);
    expect(viaWp.body).to.deep.equal(direct.body);
    for (const h of PAGINATION) expect(viaWp.headers.get(h), h).to.equal(direct.headers.get(h));
  }
  const mine = await call(`${site.url}/wp-json/skylearn-billing-pro/v1/transactions?per_page=100`, {
    headers: { Authorization: site.studentAuth },
  });
  expect(mine.body).to.have.length(12);
  expect(mine.body.every((t: { user_id: number | string }) => Number(t.user_id) === site.studentId)).to.equal(true);
  expect(mine.headers.get('x-wp-total')).to.equal('12');
}

/** GET `url` from a given loopback source address (127.0.0.2 is a different visitor than 127.0.0.1). */
export function getFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
}

/** Sets slbp_health_check_ips and waits until the sidecar (re-reading options every second) applies it. */
export async function setHealthCheckIps(site: WordPressSite, sidecarUrl: string, ips: string[]): Promise<void> {
  await site.pool.query(`UPDATE ${site.prefix}options SET option_value = ? WHERE option_name = 'slbp_health_check_ips'`, [
    phpSerialize(ips),
  ]);
  const want = ips.includes('127.0.0.1') ? 200 : 401;
  for (let i = 0; i < 50; i++) {
    if ((await call(`${sidecarUrl}${NS}/health/detailed`)).status === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the sidecar did not apply slbp_health_check_ips = ${JSON.stringify(ips)}`);
}
