import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { buildShimZip } from '../../scripts/shim-zip.ts';
import { adminConnection, dropDatabase, schemaSql } from '../../scripts/lib/db-admin.ts';
import { projectRoot } from '../../src/config/load.ts';
import { testServer } from './db.ts';
import { freePort } from './mariadb-instance.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { cleanRedisPrefix, testRedisPrefix } from './redis.ts';
import { seedBilling } from './shim-fixtures.ts';
import { spawnSidecar, type ChildSidecar } from './sidecar.ts';

const run = promisify(execFile);
const DEBIAN_WORDPRESS = '/usr/share/wordpress';
const FIXTURES = path.join(projectRoot, 'test/fixtures/wordpress');

export interface WordPressSite {
  url: string;
  dir: string;
  wpConfig: string;
  debugLog: string;
  /** The one database: WordPress's core tables and the plugin's slbp_ tables. */
  dbName: string;
  prefix: string;
  pool: mysql.Pool;
  adminId: number;
  studentId: number;
  adminPassword: string;
  /** Application Passwords as `Basic` credentials. */
  adminAuth: string;
  studentAuth: string;
  /**
   * Calls SkyLearn Billing Pro's PHP helpers (test/fixtures/wordpress/plugin-api-reads.php) in
   * this WordPress for a user (0: nobody logged in) and the given courses; `problems` lists every
   * PHP notice, warning or error they raised.
   */
  pluginApi(userId: number, courseIds?: number[]): Promise<PluginApiAnswer>;
  /** Runs test/fixtures/wordpress/cli.php: a command, then WordPress's cron schedule and whether the shim is active. */
  cli(
    command: 'plugin-activated' | 'deactivate-shim' | 'activate-shim' | 'show',
  ): Promise<{ active: boolean; scheduled: { hook: string; schedule: string | false }[] }>;
  output(): string;
  destroy(): Promise<void>;
}

/** What the plugin's PHP helpers answered (test/fixtures/wordpress/plugin-api.php). */
export interface PluginApiAnswer {
  subscriptions: unknown[];
  billing_stats: Record<string, number> | [];
  course_access: Record<string, boolean>;
  problems: string[];
}

/** The plugin's 14 tables from the schema dump (WordPress's installer creates the core ones). */
export function pluginTablesSql(prefix: string): string[] {
  return [...schemaSql(prefix).matchAll(new RegExp(`CREATE TABLE \`${prefix}slbp_[a-z_]+\` \\([\\s\\S]*?\\) ENGINE=[^;]*;`, 'g'))].map(
    (m) => m[0],
  );
}

/** Request header that makes the test site load without the shim's constants (see wpConfigSource). */
export const UNCONFIGURED_HEADER = 'X-Test-Shim-Unconfigured';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function wpConfigSource(o: {
  dbName: string;
  prefix: string;
  sidecarUrl: string;
  secret: string;
  timeoutSec: number;
  debugLog: string;
}): string {
  const salt = () => randomBytes(24).toString('hex');
  const keys = [
    'AUTH_KEY',
    'SECURE_AUTH_KEY',
    'LOGGED_IN_KEY',
    'NONCE_KEY',
    'AUTH_SALT',
    'SECURE_AUTH_SALT',
    'LOGGED_IN_SALT',
    'NONCE_SALT',
  ];
  return `<?php
define( 'DB_NAME', '${o.dbName}' );
define( 'DB_USER', '${testServer.user}' );
define( 'DB_PASSWORD', '${testServer.password}' );
define( 'DB_HOST', '${testServer.host}:${testServer.port}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
${keys.map((k) => `define( '${k}', '${salt()}' );`).join('\n')}
// Application Passwords over plain http need a local environment.
define( 'WP_ENVIRONMENT_TYPE', 'local' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', true );
define( 'WP_DEBUG_LOG', '${o.debugLog}' );
// No cron loopbacks, update checks or calls to wordpress.org from a test site.
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
// Test sites only: a request carrying this header sees WordPress with the shim unconfigured.
if ( empty( $_SERVER['HTTP_${UNCONFIGURED_HEADER.toUpperCase().replaceAll('-', '_')}'] ) ) {
	define( 'SLBP_SIDECAR_URL', '${o.sidecarUrl}' );
	define( 'SLBP_SIDECAR_SECRET', '${o.secret}' );
	define( 'SLBP_SIDECAR_TIMEOUT', ${o.timeoutSec} );
}
$table_prefix = '${o.prefix}';
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`;
}

async function waitForHttp(url: string, proc: ChildProcess, out: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`php -S exited:\n${out()}`);
    try {
      await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`WordPress did not answer on ${url}:\n${out()}`);
}

/**
 * A real WordPress from Debian's package, copied into a temp directory and installed into a new
 * database (wp_install, then the plugin's tables), with the shim activated and served by PHP's
 * built-in server on a free loopback port. `sidecarUrl` and the secret go into wp-config.php,
 * which the sidecar reads as well.
 */
export async function installWordPress(opts: {
  sidecarUrl: string;
  secret: string;
  timeoutSec: number;
  prefix?: string;
}): Promise<WordPressSite> {
  const prefix = opts.prefix ?? 'wp_';
  const dbName = `slbp_t_${process.pid}_wp${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'slbp-wp-'));
  const dir = path.join(tmp, 'wordpress');
  const debugLog = path.join(tmp, 'debug.log');
  const wpConfig = path.join(dir, 'wp-config.php');
  let proc: ChildProcess | null = null;
  let pool: mysql.Pool | null = null;
  let out = '';
  const destroy = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const p = proc;
      const exited = new Promise((r) => p.once('exit', r));
      // The whole process group: with PHP_CLI_SERVER_WORKERS the workers outlive a killed master.
      process.kill(-p.pid!, 'SIGTERM');
      await exited;
    }
    await pool?.end();
    await dropDatabase(testServer, dbName);
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    const conn = await adminConnection(testServer);
    await conn.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`);
    await conn.end();
    // -L: Debian's tree is full of symlinks into /etc and /var/lib, and wp-admin finds
    // wp-load.php through dirname(__DIR__), which must be the copy, not /usr/share/wordpress.
    await run('cp', ['-rL', DEBIAN_WORDPRESS, dir]);
    await rm(path.join(dir, 'wp-config.php'), { force: true });
    await rm(path.join(dir, '.htaccess'), { force: true });
    await mkdir(path.join(dir, 'wp-content/mu-plugins'), { recursive: true });
    await cp(path.join(FIXTURES, 'test-site-mu-plugin.php'), path.join(dir, 'wp-content/mu-plugins/test-site.php'));
    await cp(path.join(FIXTURES, 'original-plugin-routes.php'), path.join(dir, 'wp-content/mu-plugins/original-plugin-routes.php'));
    await cp(path.join(FIXTURES, 'original-plugin-cron.php'), path.join(dir, 'wp-content/mu-plugins/original-plugin-cron.php'));
    await cp(path.join(FIXTURES, 'plugin-api-reads.php'), path.join(dir, 'wp-content/mu-plugins/plugin-api-reads.php'));
    await writeFile(
      wpConfig,
      wpConfigSource({ dbName, prefix, sidecarUrl: opts.sidecarUrl, secret: opts.secret, timeoutSec: opts.timeoutSec, debugLog }),
    );

    const adminPassword = `admin-${randomBytes(6).toString('hex')}`;
    // The plugin goes in from the zip `npm run shim:zip` builds, unpacked by WordPress itself.
    const zip = await buildShimZip(tmp);
    const { stdout } = await run('php', [path.join(FIXTURES, 'install.php'), dir, url, zip], {
      timeout: 120_000,
      env: { ...process.env, WP_ADMIN_PASSWORD: adminPassword, WP_STUDENT_PASSWORD: `student-${randomBytes(6).toString('hex')}` },
    });
    const installed = JSON.parse(stdout.slice(stdout.indexOf('{')));

    const db = await adminConnection(testServer, dbName);
    try {
      for (const sql of pluginTablesSql(prefix)) await db.query(sql);
    } finally {
      await db.end();
    }
    pool = mysql.createPool({
      host: testServer.host,
      port: testServer.port,
      user: testServer.user,
      password: testServer.password,
      database: dbName,
      timezone: 'Z',
      dateStrings: true,
      connectionLimit: 2,
    });

    // Two workers: the admin page's browser requests must not queue behind each other.
    proc = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', dir, path.join(FIXTURES, 'router.php')], {
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.stdout!.on('data', (d) => {
      out += d;
    });
    proc.stderr!.on('data', (d) => {
      out += d;
    });
    await waitForHttp(`${url}/wp-login.php`, proc, () => out);

    return {
      url,
      dir,
      wpConfig,
      debugLog,
      dbName,
      prefix,
      pool,
      adminId: installed.admin_id,
      studentId: installed.student_id,
      adminPassword,
      adminAuth: basic('admin', installed.admin_app),
      studentAuth: basic('student', installed.student_app),
      async cli(command) {
        const { stdout } = await run('php', [path.join(FIXTURES, 'cli.php'), dir, url, command]);
        return JSON.parse(stdout.slice(stdout.indexOf('{')));
      },
      async pluginApi(userId, courseIds = []) {
        const { stdout } = await run('php', [path.join(FIXTURES, 'plugin-api.php'), dir, url, String(userId), ...courseIds.map(String)]);
        return JSON.parse(stdout.slice(stdout.indexOf('{')));
      },
      output: () => out,
      destroy,
    };
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
}

/** A WordPress site with the shim and the sidecar it forwards to (startShimSite). */
export interface ShimSite {
  wp: WordPressSite;
  sidecar: ChildSidecar;
  /** Between the shim and the sidecar: what the shim sent, exactly. */
  proxy: RecordingProxy;
  /** The sidecar itself, for direct calls. */
  sidecarUrl: string;
  secret: string;
  stop(): Promise<void>;
}

/** A sidecar process for `wp`: its wp-config.php, the given port and Redis prefix, a data directory of its own. */
export function spawnSiteSidecar(wp: WordPressSite, port: number, redisPrefix: string): Promise<ChildSidecar> {
  return spawnSidecar(
    {
      SLBP_ENV: 'test',
      SLBP_PORT: String(port),
      SLBP_REDIS_PREFIX: redisPrefix,
      SLBP_DATA_DIR: path.join('var', 'test', `${process.pid}-${wp.dbName}`),
    },
    ['--wp-config', wp.wpConfig],
  );
}

/**
 * installWordPress() with the plugin's options and billing rows (seedBilling), and a sidecar
 * process reading the same wp-config.php (database, table prefix, shared secret), which the shim
 * reaches through a recording proxy.
 */
export async function startShimSite(opts: { timeoutSec: number }): Promise<ShimSite> {
  const secret = randomBytes(24).toString('hex');
  const redisPrefix = testRedisPrefix();
  const port = await freePort();
  const sidecarUrl = `http://127.0.0.1:${port}`;
  const proxy = await startRecordingProxy(sidecarUrl);
  let wp: WordPressSite | undefined;
  let sidecar: ChildSidecar | undefined;
  const stop = async () => {
    await sidecar?.stop();
    await proxy.close();
    await wp?.destroy();
    await cleanRedisPrefix(redisPrefix);
  };
  try {
    wp = await installWordPress({ sidecarUrl: proxy.url, secret, timeoutSec: opts.timeoutSec });
    await seedBilling(wp);
    sidecar = await spawnSiteSidecar(wp, port, redisPrefix);
    return { wp, sidecar, proxy, sidecarUrl, secret, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
