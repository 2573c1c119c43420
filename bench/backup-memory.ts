/**
 * Peak resident memory of a sidecar while it backs up a large database (acceptance: < 250 MB).
 *
 *   npm run bench:backup -- [--db slbp_bench] [--components database,config]
 *
 * Builds the bench-size database (1,000,000 transactions) with `slbp demo --no-serve` when it
 * does not exist yet (about a minute), starts a real sidecar process on it, samples its RSS
 * from /proc every 50 ms during POST /backup/create, prints the numbers, deletes the backup.
 * Not part of `npm test`.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../src/config/node-flags.ts';
import { shimSignature, shimStringToSign } from '../src/http/identity/shim-signature.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const dbName = arg('db', 'slbp_bench');
const components = arg('components', 'database,config').split(',');
const NS = '/wp-json/skylearn-billing-pro/v1';
const secret = randomBytes(24).toString('hex');
const dataDir = path.join('var', `bench-backup-${process.pid}`);

const rssKb = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

function signed(method: string, p: string, body: string): RequestInit {
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  return {
    method,
    body: body || undefined,
    headers: {
      'Content-Type': 'application/json',
      'X-SLBP-User': '1',
      'X-SLBP-Timestamp': ts,
      'X-SLBP-Nonce': nonce,
      'X-SLBP-Signature': shimSignature(secret, shimStringToSign(method, p, body, ts, nonce, '1')),
    },
  };
}

async function main(): Promise<void> {
  console.log(`bench:backup: making sure ${dbName} holds the bench-size data set`);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'src/cli/main.ts'), 'demo', '--no-serve', '--db', dbName, '--size', 'bench'],
    { stdio: 'inherit', cwd: projectRoot },
  );
  const child = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, '--import', 'tsx', path.join(projectRoot, 'src/main.ts')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      SLBP_ENV: 'production',
      DB_NAME: dbName,
      SLBP_PORT: '0',
      SLBP_SIDECAR_SECRET: secret,
      SLBP_DATA_DIR: dataDir,
      SLBP_JOBS_ENABLED: 'false',
      SLBP_LOG_FORMAT: 'json',
      SLBP_REDIS_PREFIX: `slbp-bench-${process.pid}:`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /"url":"(http:\/\/[^"]+?)\/wp-json/.exec(out);
      if (m) resolve(m[1]!);
    };
    // The logger writes to stdout or stderr depending on the level; watch both.
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sidecar exited with ${code}: ${out}`)));
  });
  try {
    const pid = child.pid!;
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssKb(pid, 'VmRSS');
    let peak = idle;
    const timer = setInterval(() => {
      try {
        peak = Math.max(peak, rssKb(pid, 'VmRSS'));
      } catch {
        /* exited */
      }
    }, 50);
    const body = JSON.stringify({ components });
    const started = Date.now();
    // Asynchronously: a bench-size dump outlasts the server's 30 s request timeout.
    const res = await fetch(`${url}${NS}/backup/create?async=1`, signed('POST', `${NS}/backup/create?async=1`, body));
    const { backup_id } = (await res.json()) as { backup_id: string };
    let out: { backup_id: string; backup_info: { status: string; size: number } };
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const p = `${NS}/backup/${backup_id}`;
      out = {
        backup_id,
        ...((await (await fetch(`${url}${p}`, signed('GET', p, ''))).json()) as { backup_info: { status: string; size: number } }),
      };
      if (out.backup_info.status !== 'in_progress') break;
    }
    const ms = Date.now() - started;
    clearInterval(timer);
    const hwm = rssKb(pid, 'VmHWM');
    console.log(
      `bench:backup: HTTP ${res.status}, status ${out.backup_info.status}, archive ${mb(out.backup_info.size / 1024)}, ${(ms / 1000).toFixed(1)} s`,
    );
    console.log(
      `bench:backup: sidecar RSS idle ${mb(idle)}, peak sampled ${mb(peak)}, VmHWM (process lifetime peak) ${mb(hwm)}; limit 250 MB: ${Math.max(peak, hwm) < 250 * 1024 ? 'PASS' : 'FAIL'}`,
    );
    if (out.backup_id)
      await fetch(`${url}${NS}/backup/delete/${out.backup_id}`, signed('DELETE', `${NS}/backup/delete/${out.backup_id}`, ''));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(path.join(projectRoot, dataDir), { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:backup: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
