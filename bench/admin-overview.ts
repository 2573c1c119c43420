/**
 * PHP time of Billing → Overview on the 1,000,000-transaction site, with the sidecar's analytics
 * cached (acceptance: under 300 ms).
 *
 *   npx tsx bench/admin-overview.ts [--rounds 20] [--size bench]
 *
 * Installs Debian's WordPress into a database of its own (`slbp_t_<pid>_wp…`, dropped at the end),
 * fills its billing tables with the demo generator (`--size bench`: 1,000,000 transactions and
 * 100,000 subscriptions), applies the sidecar's index migration, starts a sidecar on it, signs in
 * as the administrator and requests the Overview: once cold (the sidecar computes the reports),
 * then `--rounds` times warm. A bench-only must-use plugin records, inside PHP, each request's time
 * from REQUEST_TIME_FLOAT to shutdown and the part spent waiting for the sidecar. Not part of `npm test`.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { fillBillingRows, SIZES } from '../scripts/lib/demo-data.ts';
import { Database } from '../src/data/database.ts';
import { migrateUp } from '../src/data/migrations/index.ts';
import { createTables } from '../src/data/tables.ts';
import { loadConfig } from '../src/config/load.ts';
import { freePort } from '../test/helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../test/helpers/redis.ts';
import { spawnSidecar, type ChildSidecar } from '../test/helpers/sidecar.ts';
import { testServer } from '../test/helpers/db.ts';
import { installWordPress, type WordPressSite } from '../test/helpers/wordpress.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const rounds = Number(arg('rounds', '20'));
const size = SIZES[arg('size', 'bench')];
if (!size || !Number.isInteger(rounds) || rounds < 1) {
  console.error(`admin-overview: --size is one of ${Object.keys(SIZES).join(', ')}; --rounds is a whole number`);
  process.exit(2);
}

/** Records, per request, PHP's own wall time and the time spent in the HTTP API (the sidecar). */
const TIMING_MU_PLUGIN = `<?php
$GLOBALS['slbp_bench_http'] = 0.0;
add_filter( 'pre_http_request', static function ( $pre ) { $GLOBALS['slbp_bench_http_start'] = microtime( true ); return $pre; }, PHP_INT_MAX );
add_action( 'http_api_debug', static function () { $GLOBALS['slbp_bench_http'] += microtime( true ) - $GLOBALS['slbp_bench_http_start']; } );
add_action( 'shutdown', static function () {
	$line = json_encode( array( 'uri' => $_SERVER['REQUEST_URI'] ?? '', 'php_ms' => 1000 * ( microtime( true ) - $_SERVER['REQUEST_TIME_FLOAT'] ), 'sidecar_ms' => 1000 * $GLOBALS['slbp_bench_http'] ) );
	file_put_contents( getenv( 'SLBP_BENCH_TIMINGS' ) ?: sys_get_temp_dir() . '/slbp-bench-timings.jsonl', $line . "\\n", FILE_APPEND );
}, PHP_INT_MAX );
`;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function signIn(wp: WordPressSite): Promise<string> {
  const res = await fetch(`${wp.url}/wp-login.php`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    body: new URLSearchParams({ log: 'admin', pwd: wp.adminPassword, testcookie: '1', redirect_to: `${wp.url}/wp-admin/` }),
  });
  const cookies = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => c.startsWith('wordpress_'));
  if (res.status !== 302 || !cookies.length) throw new Error(`sign-in failed: HTTP ${res.status}`);
  return cookies.join('; ');
}

async function main(): Promise<void> {
  const started = Date.now();
  const say = (msg: string) => console.log(`admin-overview: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const port = await freePort();
  const redisPrefix = testRedisPrefix();
  const secret = randomBytes(24).toString('hex');
  let wp: WordPressSite | null = null;
  let sidecar: ChildSidecar | null = null;
  try {
    say('installing WordPress');
    // A long shim timeout: the cold request waits while the sidecar computes the reports.
    wp = await installWordPress({ sidecarUrl: `http://127.0.0.1:${port}`, secret, timeoutSec: 60 });
    const timings = path.join(path.dirname(wp.debugLog), 'timings.jsonl');
    await writeFile(
      path.join(wp.dir, 'wp-content/mu-plugins/bench-timing.php'),
      TIMING_MU_PLUGIN.replace("getenv( 'SLBP_BENCH_TIMINGS' )", `'${timings}'`),
    );
    const conn = await mysql.createConnection({
      host: testServer.host,
      port: testServer.port,
      user: testServer.user,
      password: testServer.password,
      database: wp.dbName,
    });
    try {
      await conn.query("SET time_zone = '+00:00'");
      await fillBillingRows(conn, wp.prefix, size!, { first: wp.studentId, count: 1 }, say);
    } finally {
      await conn.end();
    }
    say('applying the index migration');
    const db = new Database({
      ...loadConfig({ argv: ['--wp-config', wp.wpConfig], env: { SLBP_ENV: 'production', SLBP_REDIS_ENABLED: 'false' } }).db,
      queryTimeoutMs: 30 * 60_000,
    });
    try {
      await migrateUp(db.write, createTables(wp.prefix));
    } finally {
      await db.close();
    }
    const [[counts]] = await wp.pool.query<any[]>(
      `SELECT (SELECT COUNT(*) FROM ${wp.prefix}slbp_transactions) AS tx, (SELECT COUNT(*) FROM ${wp.prefix}slbp_subscriptions) AS subs`,
    );
    say(`${counts.tx} transactions, ${counts.subs} subscriptions`);
    sidecar = await spawnSidecar(
      {
        SLBP_ENV: 'production',
        SLBP_PORT: String(port),
        SLBP_REDIS_PREFIX: redisPrefix,
        SLBP_DATA_DIR: path.join('var', `bench-admin-${process.pid}`),
      },
      ['--wp-config', wp.wpConfig],
    );
    const cookie = await signIn(wp);
    const overview = `${wp.url}/wp-admin/admin.php?page=slbp-billing`;
    const get = async () => {
      const t0 = performance.now();
      const res = await fetch(overview, { headers: { Cookie: cookie } });
      const html = await res.text();
      if (res.status !== 200 || !html.includes('slbp-chart-revenue-usd') || html.includes('could not be read'))
        throw new Error(`the Overview did not render: HTTP ${res.status}`);
      return { wall: performance.now() - t0, bytes: html.length };
    };
    const lastTiming = async () =>
      JSON.parse(
        (await readFile(timings, 'utf8'))
          .trim()
          .split('\n')
          .filter((l) => l.includes('page=slbp-billing'))
          .at(-1)!,
      ) as { php_ms: number; sidecar_ms: number };
    const cold = await get();
    const coldPhp = await lastTiming();
    say(
      `cold: PHP ${ms(coldPhp.php_ms)} (waiting for the sidecar ${ms(coldPhp.sidecar_ms)}), client ${ms(cold.wall)}, ${cold.bytes} bytes of HTML`,
    );
    const php: number[] = [];
    const side: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await get();
      const t = await lastTiming();
      php.push(t.php_ms);
      side.push(t.sidecar_ms);
      wall.push(r.wall);
    }
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(24)} min ${ms(Math.min(...xs)).padStart(9)}  median ${ms(quantile(xs, 0.5)).padStart(9)}  p95 ${ms(quantile(xs, 0.95)).padStart(9)}  max ${ms(Math.max(...xs)).padStart(9)}`;
    console.log(`\nBilling → Overview, warm (cached analytics), ${rounds} requests, ${counts.tx} transactions:`);
    console.log(row('PHP time', php));
    console.log(row('  of which sidecar wait', side));
    console.log(row('client wall time', wall));
    console.log(`\nacceptance (PHP time < 300 ms): ${quantile(php, 0.95) < 300 ? 'met' : 'NOT met'} at p95`);
  } finally {
    await sidecar?.stop();
    await wp?.destroy();
    await cleanRedisPrefix(redisPrefix);
  }
}

await main();
