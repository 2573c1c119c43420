import type { Command } from 'commander';
import { formatImportSummary } from '../../../scripts/lib/import-summary.ts';
import type { Cli } from '../cli.ts';
import { progress, type Progress } from '../progress.ts';
import { withContainer } from '../with-container.ts';

export function registerImport(program: Command, cli: Cli): void {
  program
    .command('import')
    .description("import the PHP plugin's Lemon Squeezy orders, subscriptions and enrolments from wp_options (idempotent)")
    .option('--dry-run', 'print what it would write, write nothing')
    .option('--list', 'print every record imported (always on with --dry-run)')
    .action((opts: { dryRun?: boolean; list?: boolean }) =>
      withContainer(cli, async (c) => {
        let phase = '';
        let bar: Progress | null = null;
        const summary = await c.payments.importer.run({
          dryRun: opts.dryRun ?? false,
          onProgress: (p) => {
            if (p.phase !== phase) {
              bar?.finish();
              phase = p.phase;
              bar = progress(cli.io, { label: `import ${p.phase}`, total: p.total, unit: 'items', noun: p.phase });
            }
            bar!.update(p.done, p.total);
          },
          onRecord: opts.dryRun || opts.list ? (line) => cli.out(line) : undefined,
        });
        (bar as Progress | null)?.finish();
        for (const line of formatImportSummary(summary)) cli.out(line);
      }),
    );
}
