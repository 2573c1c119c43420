/**
 * Backup command line, with the sidecar's own configuration (environment, --wp-config):
 *
 *   npm run backup -- create [--components database,files,config] [--type full]
 *   npm run backup -- list [--status completed] [--type daily]
 *   npm run backup -- list --all-sites          every site's backups under the data directory, with their source
 *   npm run backup -- verify <backup id> [--allow-other-site]
 *   npm run backup -- restore <backup id> [--components database,config] [--allow-other-site]
 *   npm run backup -- dr-test
 *
 * A backup made from another site (another database or table prefix) is refused unless
 * --allow-other-site is given; copy its directory into this site's backup directory first.
 *
 * Progress updates one line on a terminal and prints plain lines otherwise (logs, cron mail).
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { buildContainer } from '../src/container.ts';
import { BackupError } from '../src/backup/backup-error.ts';
import { COMPONENTS, type Component } from '../src/domain/backup-config.ts';
import { describeSite } from '../src/domain/site-identity.ts';
import { listAllSites } from './lib/backup-sites.ts';

const tty = Boolean(process.stdout.isTTY);
const [command, ...rest] = process.argv.slice(2);
const flags: Record<string, string> = {};
const positional: string[] = [];
const passThrough: string[] = [];
for (let i = 0; i < rest.length; i++) {
  const a = rest[i]!;
  const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
  if (!m) positional.push(a);
  else if (['wp-config', 'env'].includes(m[1]!)) passThrough.push(a, ...(m[2] === undefined ? [rest[++i]!] : []));
  else if (['allow-other-site', 'all-sites'].includes(m[1]!)) flags[m[1]!] = 'yes';
  else flags[m[1]!] = m[2] ?? rest[++i] ?? '';
}

function usage(msg: string): never {
  process.stderr.write(`backup: ${msg}\nusage: backup create|list|verify <id>|restore <id>|dr-test [--components a,b] [--type t] [--status s] [--all-sites] [--allow-other-site]\n`);
  process.exit(2);
}

function components(): Component[] | undefined {
  if (!flags.components) return undefined;
  const list = flags.components.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((c) => !(COMPONENTS as readonly string[]).includes(c));
  if (bad.length || !list.length) usage(`unknown component(s): ${bad.join(', ')} (known: ${COMPONENTS.join(', ')})`);
  return list as Component[];
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
let lastPlain = 0;
function progress(component: Component, bytes: number): void {
  if (tty) process.stdout.write(`\r  ${component}: ${mb(bytes)} written   `);
  else if (bytes - lastPlain >= 16 * 1048576) {
    lastPlain = bytes;
    process.stdout.write(`${component}: ${mb(bytes)} written\n`);
  }
}

async function main(): Promise<number> {
  if (!command || !['create', 'list', 'verify', 'restore', 'dr-test'].includes(command)) usage(command ? `unknown command "${command}"` : 'no command');
  const config = loadConfig({ argv: passThrough, overrides: { log: { level: 'warn', format: 'pretty' }, jobs: { enabled: false } } });
  const c = buildContainer(config);
  const m = c.backup;
  try {
    await c.start();
    if (command === 'create') {
      const { id, finished } = await m.backups.start({ type: flags.type || 'full', components: components(), onProgress: progress });
      process.stdout.write(`creating ${id}\n`);
      const info = await finished;
      if (tty) process.stdout.write('\n');
      process.stdout.write(`${info.id} ${info.status} ${mb(info.size)}${info.error ? ` ${info.error}` : ''}\n`);
      return info.status === 'completed' ? 0 : 1;
    }
    if (command === 'list' && flags['all-sites']) {
      for (const b of await listAllSites(path.join(c.dataDir, 'backups'), c.config.backup.dir)) {
        process.stdout.write(`${b.id}\t${b.type}\t${b.status}\t${b.created_at}\t${mb(b.size)}\t${b.from}\t${b.dir}\n`);
      }
      process.stdout.write(`this site: ${describeSite({ database: c.site.database, table_prefix: c.site.tablePrefix, site_key: c.site.key })}, backups in ${m.store.root}\n`);
      return 0;
    }
    if (command === 'list') {
      for (const b of await m.backups.list({ status: flags.status, type: flags.type })) {
        process.stdout.write(`${b.id}\t${b.type}\t${b.status}\t${b.created_at}\t${mb(b.size)}\t${b.components.join(',')}\n`);
      }
      return 0;
    }
    if (command === 'dr-test') {
      const r = await m.restore.drTest();
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return r.overall_success ? 0 : 1;
    }
    const id = positional[0] ?? usage('a backup id is required');
    const allowOtherSite = Boolean(flags['allow-other-site']);
    if (command === 'verify') {
      const v = await m.restore.verify(id, undefined, { allowOtherSite });
      for (const f of v.files) process.stdout.write(`${f.ok ? 'ok  ' : 'BAD '} ${f.component}\t${f.file}\t${f.actual_sha256 ?? 'missing'}\n`);
      return v.ok ? 0 : 1;
    }
    process.stdout.write(`restoring ${id} (a safety backup is taken first)\n`);
    const r = await m.restore.restore(id, components(), { allowOtherSite });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`backup: ${err instanceof BackupError ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  } finally {
    await c.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`backup: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
