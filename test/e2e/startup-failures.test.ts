import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createWordPressDatabase } from '../../scripts/lib/db-admin.ts';
import { projectRoot } from '../../src/config/load.ts';
import { demoRows, SIZES } from '../../scripts/lib/demo-data.ts';
import { hasStack, runInProcess, runProcess } from '../helpers/cli.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { freePort, startMariaDb } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, sidecarEnv, spawnSidecar } from '../helpers/sidecar.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the server with `env`; resolves with its exit code and output once it has exited. */
async function startFails(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; out: string }> {
  const sc = await spawnSidecar(env, args, { waitForListen: false });
  const timer = setTimeout(() => sc.stop('SIGKILL'), 30_000);
  const code = await sc.exited;
  clearTimeout(timer);
  return { code, out: sc.output() };
}

describe('starting the server: failures say what to change, in one line', function () {
  this.timeout(120_000);
  let db: TestDb;
  let env: Record<string, string>;
  let scratch: string;
  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    env = sidecarEnv(db);
    scratch = await mkdtemp(path.join(os.tmpdir(), 'slbp-start-'));
  });
  after(async () => {
    await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    await db?.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('--help and --version are answered, not refused as settings', async () => {
    const help = await runProcess(['--help'], {}, 'src/main.ts');
    expect(help.code).to.equal(0);
    expect(help.out).to.match(/^Usage: slbp serve \[options\]/);
    const version = await runProcess(['--version'], {}, 'src/main.ts');
    expect(version.code).to.equal(0);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version.out.trim()).to.equal(pkg.version);
  });

  it('a wrong password: exit 2 and one line naming DB_USER and DB_PASSWORD with where they came from', async () => {
    const r = await startFails({ ...env, DB_PASSWORD: 'not-the-password' });
    expect(r.code).to.equal(2);
    expect(r.out.trim().split('\n')).to.have.length(1);
    expect(r.out).to.match(
      /^slbp: the database at 127\.0\.0\.1:3306 refused the login of "root" \(Access denied.*\): check DB_USER \(from environment\) and DB_PASSWORD \(from environment\)$/m,
    );
  });

  it('an unknown database: exit 2 and one line naming DB_NAME', async () => {
    const r = await startFails({ ...env, DB_NAME: `${db.name}_missing` });
    expect(r.code).to.equal(2);
    expect(r.out.trim()).to.equal(
      `slbp: the database "${db.name}_missing" does not exist on 127.0.0.1:3306: check DB_NAME (from environment)`,
    );
  });

  it('a DB_PASSWORD given as getenv(...) in wp-config.php: exit 2 naming it as skipped, never an empty password', async () => {
    const file = path.join(scratch, 'wp-config.php');
    await writeFile(
      file,
      `<?php\ndefine( 'DB_NAME', '${db.name}' );\ndefine( 'DB_USER', 'root' );\ndefine( 'DB_PASSWORD', getenv( 'WP_DB_PASSWORD' ) );\n$table_prefix = 'wp_';\n`,
    );
    const { DB_NAME: _n, DB_USER: _u, DB_PASSWORD: _p, ...rest } = env;
    const r = await startFails(rest, ['--wp-config', file]);
    expect(r.code).to.equal(2);
    expect(r.out.trim()).to.equal(
      `slbp: invalid configuration: DB_PASSWORD: ${file} sets DB_PASSWORD with getenv(...), which is not a literal and is skipped; set DB_PASSWORD in the environment`,
    );
  });

  it('an unwritable data directory: exit 2 and one line naming SLBP_DATA_DIR', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, 'not a directory');
    const r = await startFails({ ...env, SLBP_DATA_DIR: path.join(file, 'var') });
    expect(r.code).to.equal(2);
    expect(r.out.trim()).to.equal(
      `slbp: ${path.join(file, 'var')} is not a writable directory (ENOTDIR): set SLBP_DATA_DIR (from environment) to a directory the sidecar's user can write`,
    );
    expect(hasStack(r.out)).to.equal(false);
  });

  it('a busy port: exits with one line naming --port, no stack trace', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await startFails({ ...env, SLBP_PORT: String(port) });
      expect(r.code).to.equal(1);
      const errors = r.out.split('\n').filter((l) => l.startsWith('slbp:'));
      expect(errors).to.deep.equal([
        `slbp: port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port or SLBP_PORT (now from environment)`,
      ]);
      expect(hasStack(r.out)).to.equal(false);
    } finally {
      blocker.close();
    }
  });

  it('slbp demo prints the URL it really listens on, and a busy port as one line instead of a URL', async () => {
    const port = await freePort();
    // The demo database exists (this test's): kept as it is, then served.
    const demoArgs = ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--db', db.name];
    const demo = spawn(process.execPath, [...demoArgs, '--port', String(port)], {
      cwd: projectRoot,
      env: { ...env, PATH: process.env.PATH ?? '' },
    });
    let out = '';
    demo.stderr!.on('data', (d) => {
      out += d;
    });
    demo.stdout!.on('data', (d) => {
      out += d;
    });
    try {
      for (const until = Date.now() + 30_000; !out.includes('demo: sidecar on') && Date.now() < until;) await sleep(100);
      expect(out).to.include(`demo: database ${db.name} already has the plugin's tables; keeping it`);
      expect(out).to.include(`demo: sidecar on http://127.0.0.1:${port}/wp-json/skylearn-billing-pro/v1 (Ctrl-C stops it)`);
      expect((await call(`http://127.0.0.1:${port}/wp-json/skylearn-billing-pro/v1/live`)).status).to.equal(200);
      const busy = await runProcess(['demo', '--db', db.name, '--port', String(port)], env);
      expect(busy.code).to.equal(1);
      expect(busy.out + busy.err).to.not.include('demo: sidecar on');
      expect(busy.err).to.include(
        `slbp: port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port`,
      );
    } finally {
      const closed = new Promise((r) => demo.once('close', r));
      demo.kill('SIGTERM');
      await closed;
    }
  });

  it('slbp demo --no-serve fills a new database with progress lines against the total rows', async () => {
    const name = `${db.name}_demo`;
    try {
      const r = await runInProcess(['demo', '--no-serve', '--db', name, '--size', 'tiny'], env);
      expect(r.code, r.err).to.equal(0);
      const total = demoRows(SIZES.tiny!).toLocaleString('en-US');
      expect(r.err).to.match(new RegExp(`^demo data \\(tiny\\): \\d+% \\([\\d,]+ of ${total} rows`, 'm'));
      expect(r.err).to.match(new RegExp(`^demo data \\(tiny\\): done, ${total} rows in [\\d.]+ s \\(database ${name}\\)$`, 'm'));
      const [[row]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM \`${name}\`.wp_slbp_transactions`);
      expect(Number(row.n)).to.equal(SIZES.tiny!.transactions);
    } finally {
      await db.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  });

  it('a wrong table prefix: one start-up warning naming the prefix whose tables exist; /health and /ready 503 (body: probes.test.ts)', async () => {
    const sc = await spawnSidecar({ ...env, SLBP_TABLE_PREFIX: 'shop_' });
    try {
      expect((await call(`${sc.base}/health`)).status).to.equal(503);
      expect((await call(`${sc.base}/ready`)).status).to.equal(503);
      const warnings = sc
        .output()
        .split('\n')
        .filter((l) => l.includes('plugin tables are missing'));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('SLBP_TABLE_PREFIX=wp_');
    } finally {
      await sc.stop();
    }
  });

  it('an unreachable database: the sidecar serves /health 503 and logs a few lines, not one per second, over 10 s', async () => {
    const port = await freePort();
    const sc = await spawnSidecar({ ...env, DB_HOST: `127.0.0.1:${port}`, SLBP_JOBS_ENABLED: 'true', SLBP_LOG_LEVEL: 'info' });
    try {
      await sleep(1000);
      const before = sc.output().trim().split('\n').length;
      expect(sc.output()).to.include('database unreachable at start; retrying with backoff');
      const health = await call(`${sc.base}/health`);
      expect(health.status).to.equal(503);
      await sleep(10_000);
      const later = sc.output().trim().split('\n').slice(before);
      console.log(`      ${before} lines at start, ${later.length} in the next 10 s`);
      // Before: a task queue warning every second and a wp_options warning every refresh (1 s in test).
      expect(later.length, later.join('\n')).to.be.at.most(3);
      expect(sc.proc.exitCode).to.equal(null);
    } finally {
      await sc.stop();
    }
  });

  it('a database that answers only later and refuses the login: exit 2 with the same one line', async () => {
    const maria = await startMariaDb();
    try {
      await createWordPressDatabase({ host: '127.0.0.1', port: maria.port, user: 'root', password: '' }, 'wordpress', 'wp_');
      await maria.stop();
      const sc = await spawnSidecar({ ...env, DB_HOST: `127.0.0.1:${maria.port}`, DB_NAME: 'wordpress', DB_USER: 'nobody_here' });
      expect(sc.output()).to.include('database unreachable at start');
      await maria.start();
      const timer = setTimeout(() => sc.stop('SIGKILL'), 40_000);
      const code = await sc.exited;
      clearTimeout(timer);
      expect(code).to.equal(2);
      const errors = sc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('slbp:'));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(
        /refused the login of "nobody_here".*check DB_USER \(from environment\) and DB_PASSWORD \(from environment\)$/,
      );
    } finally {
      await maria.destroy();
    }
  });
});
