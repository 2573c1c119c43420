import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { projectRoot } from '../../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../../src/config/node-flags.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, NS, sidecarEnv } from '../helpers/sidecar.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' });

/**
 * The release as an operator makes it: npm run build, the package's files (package.json
 * "files") with the lock file, npm ci --omit=dev, npm start. No TypeScript, no tsx.
 */
describe('the production build', function () {
  this.timeout(300_000);
  let db: TestDb;
  let dir: string;
  let env: Record<string, string>;
  let pkg: { version: string; files: string[] };
  let server: ChildProcess | null = null;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-release-'));
    pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8'));
    env = { ...sidecarEnv(db), SLBP_DATA_DIR: path.join(dir, 'var') };
  });
  after(async () => {
    if (server?.pid && server.exitCode === null && server.signalCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds, installs with --omit=dev into a scratch directory, and npm start serves /ready 200 against a test site', async () => {
    const t0 = Date.now();
    await run('npm', ['run', 'build', '--', '--outDir', path.join(dir, 'dist')], { cwd: projectRoot, env: baseEnv(), maxBuffer: 16 << 20 });
    const built = Date.now();
    for (const f of [...pkg.files.filter((f) => !f.startsWith('dist')), 'package.json', 'package-lock.json']) {
      if (existsSync(path.join(projectRoot, f))) await cp(path.join(projectRoot, f), path.join(dir, f), { recursive: true });
    }
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      env: baseEnv(),
      maxBuffer: 16 << 20,
    });
    const installed = Date.now();
    console.log(`      build ${((built - t0) / 1000).toFixed(1)} s, npm ci --omit=dev ${((installed - built) / 1000).toFixed(1)} s`);
    for (const dev of ['tsx', 'typescript', 'mocha']) expect(existsSync(path.join(dir, 'node_modules', dev)), dev).to.equal(false);
    expect(existsSync(path.join(dir, 'src'))).to.equal(false);

    const slbp = (...args: string[]) =>
      run(process.execPath, [path.join(dir, 'bin/slbp.js'), ...args], {
        cwd: dir,
        env: { ...baseEnv(), ...env },
        maxBuffer: 16 << 20,
      }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
      );
    expect((await slbp('--version')).out.trim()).to.equal(pkg.version);
    // Reads scripts/sql/wp-schema.sql from the package root, not from dist/.
    const created = await slbp('create-db', '--name', `${db.name}_built`, '--prefix', 'b_');
    expect(created.code, created.err).to.equal(0);
    await db.pool.query(`DROP DATABASE \`${db.name}_built\``);
    const doctor = await slbp('doctor', '--json');
    expect(JSON.parse(doctor.out).checks.find((c: { id: string }) => c.id === 'database-login').status).to.equal('pass');

    const port = await freePort();
    server = spawn('npm', ['start'], {
      cwd: dir,
      env: { ...baseEnv(), ...env, SLBP_PORT: String(port), SLBP_LOG_LEVEL: 'info', SLBP_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    server.stdout!.on('data', (d) => {
      out += d;
    });
    server.stderr!.on('data', (d) => {
      out += d;
    });
    const base = `http://127.0.0.1:${port}${NS}`;
    let ready = 0;
    for (const until = Date.now() + 60_000; Date.now() < until && server.exitCode === null; await sleep(200)) {
      ready = await fetch(`${base}/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200) break;
    }
    expect(ready, out).to.equal(200);
    const health = await call(`${base}/health`);
    expect(health.body.version).to.equal(pkg.version);
    expect(out).to.match(/"message":"sidecar listening"/);
    // 'close': after every process of the group has closed the pipes (npm may exit before node).
    const exited = new Promise((r) => server!.once('close', r));
    process.kill(-server.pid!, 'SIGTERM');
    await exited;
    expect(out).to.include('shutdown complete');

    // The local pool started from the build runs its nodes from the build too.
    const poolDir = path.join(dir, 'pool');
    const pool = await slbp('pool', 'start', '--nodes', '1', '--dir', poolDir);
    try {
      expect(pool.code, pool.err).to.equal(0);
      const state = JSON.parse(await readFile(path.join(poolDir, 'pool.json'), 'utf8')) as { nodes: { pid: number }[] };
      const cmdline = (await readFile(`/proc/${state.nodes[0]!.pid}/cmdline`, 'utf8')).split('\0');
      expect(cmdline).to.include(path.join(dir, 'dist/src/main.js'));
      expect(cmdline).to.include.members([...SIDECAR_NODE_FLAGS]);
      expect(cmdline.join(' ')).to.include('--max-old-space-size=192').and.not.include('tsx');
    } finally {
      await slbp('pool', 'stop', '--dir', poolDir);
    }
  });

  it('bin/slbp.js without a build says so in one line (exit 2)', async function () {
    if (existsSync(path.join(projectRoot, 'dist'))) this.skip();
    const r = await run(process.execPath, [path.join(projectRoot, 'bin/slbp.js'), '--version'], { env: baseEnv() }).then(
      () => null,
      (e) => e,
    );
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(
      'slbp: the build is missing (dist/): run npm run build, or in a development checkout: npx tsx src/cli/main.ts\n',
    );
  });
});
