/**
 * Imports what the PHP plugin stored in wp_options and user meta (Lemon Squeezy orders,
 * subscriptions, enrolments) into the billing tables, with the sidecar's own configuration:
 *
 *   npm run import:plugin -- [--dry-run] [--verbose] [--wp-config path]
 *
 * Idempotent: records already in the tables (from the webhook or an earlier run) are left alone.
 * --dry-run prints what it would write (each record with --verbose) and writes nothing.
 * Exit status: 0 done (problems are reported, not fatal), 1 failure, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { buildContainer } from '../src/container.ts';
import { formatImportSummary } from './lib/import-summary.ts';

let args;
try {
  args = parseArgs({ options: { 'dry-run': { type: 'boolean' }, verbose: { type: 'boolean' }, 'wp-config': { type: 'string' }, env: { type: 'string' } }, strict: true });
} catch (err) {
  process.stderr.write(`import-plugin-data: ${(err as Error).message}\nusage: import-plugin-data [--dry-run] [--verbose] [--wp-config path]\n`);
  process.exit(2);
}
const dryRun = args.values['dry-run'] ?? false;
const passThrough = (['wp-config', 'env'] as const).flatMap((k) => (args.values[k] ? [`--${k}`, args.values[k]!] : []));
const tty = Boolean(process.stdout.isTTY);
const config = loadConfig({ argv: passThrough, overrides: { log: { level: 'warn', format: 'pretty' }, jobs: { enabled: false } } });
const c = buildContainer(config);
let code = 0;
let drawn = 0;
try {
  await c.start();
  const summary = await c.payments.importer.run({
    dryRun,
    // On a terminal one line is rewritten; in logs and cron mail progress would only be noise.
    onProgress: tty ? (p) => {
      if (p.done !== p.total && Date.now() - drawn < 100) return;
      drawn = Date.now();
      process.stdout.write(`\r  ${p.phase}: ${p.done}/${p.total}   `);
    } : undefined,
    onRecord: dryRun || args.values.verbose ? (line) => process.stdout.write(`${tty ? '\r' : ''}${line}\n`) : undefined,
  });
  if (tty) process.stdout.write('\n');
  process.stdout.write(`${formatImportSummary(summary).join('\n')}\n`);
} catch (err) {
  process.stderr.write(`import-plugin-data: ${(err as Error).message}\n`);
  code = 1;
} finally {
  await c.close();
}
process.exit(code);
