import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { NS, sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

const TOKEN = 'prometheus-e2e-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a real Prometheus scraping a running sidecar', function () {
  this.timeout(120_000);
  let db: TestDb;
  let sc: ChildSidecar | null = null;
  let prom: ChildProcess | null = null;
  let promOut = '';
  let dir = '';
  const redisPrefix = testRedisPrefix();

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await spawnSidecar(sidecarEnv(db, { SLBP_METRICS_TOKEN: TOKEN }, redisPrefix));
    dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-prometheus-'));
  });
  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await sc?.stop();
    await cleanRedisPrefix(redisPrefix);
    if (dir) await rm(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('scrapes /metrics with the bearer token: up == 1 and active subscriptions equal the SQL count', async () => {
    const target = new URL(sc!.url).host;
    await writeFile(path.join(dir, 'token'), TOKEN, { mode: 0o600 });
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: slbp-sidecar',
        `    metrics_path: ${NS}/metrics`,
        '    authorization:',
        '      type: Bearer',
        `      credentials_file: ${path.join(dir, 'token')}`,
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    prom = spawn(
      'prometheus',
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stdout!.on('data', (d) => {
      promOut += d;
    });
    prom.stderr!.on('data', (d) => {
      promOut += d;
    });

    const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[] | null> => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return body.status === 'success' ? body.data.result : null;
      } catch {
        return null;
      }
    };
    let up: string | undefined;
    let active: string | undefined;
    for (let i = 0; i < 60 && !(up === '1' && active !== undefined); i++) {
      await sleep(500);
      expect(prom.exitCode, `prometheus exited:\n${promOut}`).to.equal(null);
      up = (await query('up{job="slbp-sidecar"}'))?.[0]?.value[1];
      active = (await query('slbp_business_active_subscriptions'))?.[0]?.value[1];
    }
    expect(up, `up never became 1; prometheus said:\n${promOut}`).to.equal('1');
    const [[sql]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions WHERE status = 'active'`);
    expect(Number(active)).to.equal(Number(sql.n)).and.above(0);
    // The request histogram is stored per route template; a scrape sees the previous scrapes.
    let scrapes: string | undefined;
    for (let i = 0; i < 20 && scrapes === undefined; i++) {
      scrapes = (await query('slbp_http_request_duration_seconds_count{route="/metrics",status="200"}'))?.[0]?.value[1];
      if (scrapes === undefined) await sleep(500);
    }
    expect(Number(scrapes)).to.be.at.least(1);
  });
});
