import path from 'node:path';
import type { Command } from 'commander';
import { buildShimZip } from '../../../scripts/shim-zip.ts';
import { projectRoot } from '../../config/load.ts';
import type { Cli } from '../cli.ts';

export function registerShimZip(program: Command, cli: Cli): void {
  program
    .command('shim-zip')
    .description('build skylearn-billing-sidecar.zip, the WordPress plugin to upload (Plugins → Add New → Upload)')
    .option('--out <dir>', 'directory to write the zip to', path.join(projectRoot, 'var'))
    .action(async (opts: { out: string }) => {
      cli.out(`wrote ${await buildShimZip(path.resolve(opts.out))}`);
    });
}
