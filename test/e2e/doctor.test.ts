import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { loadConfig } from '../../src/config/load.ts';
import { buildContainer } from '../../src/container.ts';
import { Redis } from 'ioredis';
import { maybeUnserialize, phpSerialize } from '../../src/data/php-serialize.ts';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { CHECKS, doctorContext, runDoctor, type DoctorReport } from '../../src/doctor/doctor.ts';
import { runInProcess, runProcess } from '../helpers/cli.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, sidecarEnv, startSidecar } from '../helpers/sidecar.ts';

const ids = CHECKS.map((c) => c.id);
const failing = (r: DoctorReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);

describe('slbp doctor', function () {
  this.timeout(120_000);
  let db: TestDb;
  let scratch: string;
  let s3: any;
  let env: Record<string, string>;
  const user = `slbp_doc_${process.pid}`;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    scratch = await mkdtemp(path.join(os.tmpdir(), 'slbp-doctor-'));
    await mkdir(path.join(scratch, 'uploads'));
    await writeFile(path.join(scratch, 'a-file'), 'not a directory');
    const s3Port = await freePort();
    s3 = new S3rver({
      address: '127.0.0.1',
      port: s3Port,
      silent: true,
      directory: path.join(scratch, 's3'),
      configureBuckets: [{ name: 'backups' }],
    });
    await s3.run();
    // A healthy site: secret, indexes, Redis, uploads, remote storage on S3, a reader (the primary itself: a plain copy).
    env = {
      ...sidecarEnv(db),
      SLBP_SIDECAR_SECRET: 'a-long-enough-shared-secret-0123456789',
      SLBP_UPLOADS_DIR: path.join(scratch, 'uploads'),
      SLBP_BACKUP_DIR: path.join(scratch, 'backups'),
      SLBP_BACKUP_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      SLBP_BACKUP_S3_BUCKET: 'backups',
      SLBP_BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
      SLBP_BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
      DB_HOST_READ: '127.0.0.1:3306',
    };
    const [[row]] = await db.pool.query<any>(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'slbp_backup_config'`);
    const cfg = maybeUnserialize(row.option_value, 'slbp_backup_config') as Record<string, any>;
    cfg.remote_storage = { enabled: true, type: 's3', credentials: [] };
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'slbp_backup_config'`, [phpSerialize(cfg)]);
    expect((await runInProcess(['migrate'], env)).code).to.equal(0);
  });
  after(async () => {
    await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    await db.pool.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
    await db?.drop();
    await s3?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const doctor = async (extra: Record<string, string | undefined>): Promise<{ code: number; report: DoctorReport }> => {
    const merged = Object.fromEntries(Object.entries({ ...env, ...extra }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const r = await runInProcess(['doctor', '--json'], merged);
    expect(r.err, r.err).to.not.match(/^\s+at /m);
    return { code: r.code, report: JSON.parse(r.out) as DoctorReport };
  };
  const check = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;

  it('passes every check on a healthy site: slbp doctor --json exits 0', async () => {
    const r = await runProcess(['doctor', '--json'], env);
    expect(r.code, r.out + r.err).to.equal(0);
    const report = JSON.parse(r.out) as DoctorReport;
    expect(report.ok).to.equal(true);
    expect(report.checks.map((c) => c.id)).to.deep.equal(ids);
    expect(report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.message}`)).to.deep.equal([]);
    expect(check(report, 'settings').details!.sources).to.include({ DB_NAME: 'environment', SLBP_LOG_LEVEL: 'config/test.json' });

    const text = await runInProcess(['doctor'], env);
    expect(text.code).to.equal(0);
    expect(text.out).to.match(/^✔ database login: root@slbp_t_/m);
    expect(text.out).to.match(new RegExp(`^all ${ids.length} checks passed$`, 'm'));
  });

  const faults: {
    name: string;
    env: Record<string, string | undefined>;
    id: string;
    fix: RegExp;
    setup?: () => Promise<() => Promise<void>>;
  }[] = [
    {
      name: 'a wrong password',
      env: { DB_PASSWORD: 'wrong' },
      id: 'database-login',
      fix: /check DB_USER \(from environment\) and DB_PASSWORD \(from environment\)/,
    },
    {
      name: 'an unknown database',
      env: { DB_NAME: 'slbp_no_such_database' },
      id: 'database-login',
      fix: /check DB_NAME \(from environment\)/,
    },
    {
      name: 'a user without the grants mysqldump needs',
      env: { DB_USER: user, DB_PASSWORD: 'doctor-pw', DB_HOST_READ: undefined },
      id: 'database-grants',
      fix: /GRANT SHOW VIEW, TRIGGER, EVENT ON `slbp_t_.*`\.\* TO 'slbp_doc_\d+'@'%'/,
      setup: async () => {
        await db.pool.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'doctor-pw'`);
        await db.pool.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON \`${db.name}\`.* TO '${user}'@'%'`);
        return async () => {
          await db.pool.query(`DROP USER '${user}'@'%'`);
        };
      },
    },
    {
      name: 'a wrong table prefix',
      env: { SLBP_TABLE_PREFIX: 'shop_' },
      id: 'plugin-tables',
      fix: /the tables exist with the prefix wp_: set SLBP_TABLE_PREFIX=wp_/,
    },
    {
      name: 'missing indexes',
      env: {},
      id: 'indexes',
      fix: /run slbp migrate/,
      setup: async () => {
        expect((await runInProcess(['migrate', 'down'], env)).code).to.equal(0);
        return async () => {
          expect((await runInProcess(['migrate'], env)).code).to.equal(0);
        };
      },
    },
    {
      name: 'an unreachable replica',
      env: { DB_HOST_READ: '127.0.0.1:1' },
      id: 'replicas',
      fix: /remove them from DB_HOST_READ \(from environment\)/,
    },
    {
      name: 'Redis unreachable',
      env: { WP_REDIS_PORT: '1' },
      id: 'redis',
      fix: /check WP_REDIS_HOST \(from config\/default\.json\) and WP_REDIS_PORT \(from environment\)/,
    },
    {
      name: "a Redis prefix another site's nodes hold",
      env: {},
      id: 'redis-namespace',
      fix: /give one of the two sites its own SLBP_REDIS_PREFIX \(from environment\)/,
      setup: async () => {
        // Another site on another database server, same database name and prefix: same site key, another claim.
        const claim = `${env.SLBP_REDIS_PREFIX}${siteKeyOf(db.name, db.prefix)}:site`;
        const holder = {
          site_key: siteKeyOf(db.name, db.prefix),
          database: db.name,
          table_prefix: db.prefix,
          server: 'other-host:3306',
          site_url: 'https://other.example',
          claimed_by: 'node-b',
          at: new Date().toISOString(),
        };
        const r = new Redis({ host: '127.0.0.1', port: 6379 });
        await r.set(claim, `0123456789abcdef\n${JSON.stringify(holder)}`, 'PX', 60_000);
        return async () => {
          await r.del(claim);
          r.disconnect();
        };
      },
    },
    {
      name: "the plugin's WP-cron hooks still scheduled",
      env: {},
      id: 'plugin-cron',
      fix: /activate the shim plugin/,
      setup: async () => {
        const next = Math.floor(Date.now() / 1000) + 3600;
        const cron = phpSerialize({
          [next]: { slbp_daily_cron: { '40cd750bba9870f18aada2478b24840a': { schedule: 'daily', args: [], interval: 86400 } } },
          version: 2,
        });
        const [[old]] = await db.pool.query<any>(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'cron'`);
        await db.pool.query(
          `INSERT INTO ${db.prefix}options (option_name, option_value, autoload) VALUES ('cron', ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
          [cron],
        );
        return async () => {
          if (old) await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'cron'`, [old.option_value]);
          else await db.pool.query(`DELETE FROM ${db.prefix}options WHERE option_name = 'cron'`);
        };
      },
    },
    { name: 'no shim secret', env: { SLBP_SIDECAR_SECRET: '' }, id: 'shim-secret', fix: /define\( 'SLBP_SIDECAR_SECRET'/ },
    { name: 'an unwritable data directory', env: { SLBP_DATA_DIR: '' }, id: 'data-dir', fix: /set SLBP_DATA_DIR \(from environment\)/ },
    {
      name: 'an unwritable backup directory',
      env: { SLBP_BACKUP_DIR: '' },
      id: 'backup-dir',
      fix: /set SLBP_BACKUP_DIR \(from environment\)/,
    },
    {
      name: 'a missing uploads directory',
      env: { SLBP_UPLOADS_DIR: '/nonexistent/uploads' },
      id: 'uploads',
      fix: /set SLBP_UPLOADS_DIR \(from environment\)/,
    },
    {
      name: 'an S3 endpoint that does not answer',
      env: { SLBP_BACKUP_S3_ENDPOINT: 'http://127.0.0.1:1' },
      id: 's3',
      fix: /check SLBP_BACKUP_S3_ENDPOINT/,
    },
  ];
  for (const f of faults) {
    it(`${f.name}: ${f.id} fails with its fix, the other checks do not`, async () => {
      const e = { ...f.env };
      // (Paths under a regular file can be written by nobody, root included.)
      for (const k of ['SLBP_DATA_DIR', 'SLBP_BACKUP_DIR'] as const) if (e[k] === '') e[k] = path.join(scratch, 'a-file', 'dir');
      const undo = await f.setup?.();
      try {
        const { code, report } = await doctor(e);
        expect(code).to.equal(1);
        expect(report.ok).to.equal(false);
        expect(failing(report), JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).to.deep.equal([f.id]);
        expect(check(report, f.id).fix).to.match(f.fix);
      } finally {
        await undo?.();
      }
    });
  }

  it('a value in wp-config.php that is not a literal: the settings check fails naming it, the rest waits for valid settings', async () => {
    const file = path.join(scratch, 'wp-config.php');
    await writeFile(file, `<?php\ndefine( 'DB_NAME', '${db.name}' );\ndefine( 'DB_PASSWORD', getenv( 'WP_DB_PASSWORD' ) );\n`);
    const { DB_NAME: _n, DB_PASSWORD: _p, ...rest } = env;
    const r = await runInProcess(['--wp-config', file, 'doctor', '--json'], rest);
    expect(r.code).to.equal(1);
    const report = JSON.parse(r.out) as DoctorReport;
    expect(failing(report)).to.deep.equal(['settings']);
    expect(check(report, 'settings').lines!.join('\n'))
      .to.include('DB_PASSWORD: ')
      .and.include('getenv(...), which is not a literal and is skipped; set DB_PASSWORD in the environment');
    expect(report.checks.filter((c) => c.id !== 'settings').every((c) => c.status === 'skip')).to.equal(true);
  });

  it('mysqldump missing from PATH: the mysqldump check fails with the package to install', async () => {
    const r = await runProcess(['doctor', '--json'], { ...env, PATH: '/nonexistent' });
    expect(r.code).to.equal(1);
    const report = JSON.parse(r.out) as DoctorReport;
    expect(failing(report)).to.deep.equal(['mysqldump']);
    expect(check(report, 'mysqldump').fix).to.equal('install the MariaDB client tools (apt-get install mariadb-client)');
  });

  it('a clock off by a minute, and too little room for the next backup, fail their checks (context with a shifted clock and a huge backup)', async () => {
    const c = buildContainer(loadConfig({ env }));
    try {
      await c.settings.refresh();
      const ctx = { ...doctorContext(c, () => Date.now() + 60_000), backupSizes: async () => [2 ** 60] };
      const report = await runDoctor(ctx);
      expect(failing(report)).to.deep.equal(['clock', 'backup-dir']);
      expect(check(report, 'clock').message).to.match(/^this host is 6\d{4} ms ahead of the database$/);
      expect(check(report, 'backup-dir').fix).to.include('free space there');
    } finally {
      await c.close();
    }
  });

  it('feeds /health/detailed: the same checks under service_checks.doctor', async () => {
    for (const [extra, healthy] of [
      [{}, true],
      [{ SLBP_SIDECAR_SECRET: '' }, false],
    ] as const) {
      const sc = await startSidecar(db, { env: { ...env, ...extra, SLBP_HEALTH_TOKEN: 'doctor-health-token' } });
      try {
        const res = await call(`${sc.base}/health/detailed`, { headers: { Authorization: 'Bearer doctor-health-token' } });
        expect(res.status).to.equal(200);
        const d = res.body.service_checks.doctor;
        expect(d.checks.map((c: { id: string }) => c.id)).to.deep.equal(ids);
        expect(d.healthy).to.equal(healthy);
        if (!healthy) expect(d.message).to.equal('1 check(s) failed: shim-secret');
      } finally {
        await sc.stop();
      }
    }
  });
});
