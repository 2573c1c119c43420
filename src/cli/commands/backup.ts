import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { ComponentProgress } from '../../backup/components.ts';
import type { RestoreProgress } from '../../backup/restore-service.ts';
import type { Container } from '../../container.ts';
import { writerAddress } from '../../data/login-check.ts';
import { COMPONENTS, type Component } from '../../domain/backup-config.ts';
import { describeSite } from '../../config/site-identity.ts';
import { listAllSites } from '../backup-sites.ts';
import { CliError, confirm } from '../io.ts';
import type { Cli } from '../cli.ts';
import { formatBytes, progress, type Progress } from '../progress.ts';
import { withContainer } from '../with-container.ts';

function componentList(v: string): Component[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((c) => !(COMPONENTS as readonly string[]).includes(c));
  if (bad.length || !list.length)
    throw new InvalidArgumentError(`unknown component(s) ${bad.join(', ') || '(none)'}; known: ${COMPONENTS.join(', ')}.`);
  return list as Component[];
}

/** One progress display per step (component or phase), replaced when the next step starts. */
function stepProgress(cli: Cli) {
  let key = '';
  let current: Progress | null = null;
  return {
    show(stepKey: string, label: string, done: number, total: number | null, unit: 'bytes' | 'tables') {
      if (stepKey !== key) {
        current?.finish();
        key = stepKey;
        current = progress(cli.io, {
          label,
          total,
          unit: unit === 'tables' ? 'items' : 'bytes',
          noun: unit === 'tables' ? 'tables' : undefined,
        });
      }
      current!.update(done, total);
      // A step that reached its total is done now, not when the next one starts.
      if (total !== null && done >= total) this.end();
    },
    end() {
      current?.finish();
      current = null;
      key = '';
    },
  };
}

export function registerBackup(program: Command, cli: Cli): void {
  const backup = program.command('backup').description('create, list, verify and restore backups (local, and S3 when configured)');

  backup
    .command('create')
    .description('take a backup now (progress on stderr; prints "<id> completed <size>")')
    .option(
      '--components <list>',
      `comma list of ${COMPONENTS.join(', ')} (default: slbp_backup_config's weekly_components)`,
      componentList,
    )
    .option('--type <type>', 'type recorded with the backup', 'full')
    .action((opts: { components?: Component[]; type: string }) =>
      withContainer(cli, async (c) => {
        const steps = stepProgress(cli);
        const { id, finished } = await c.backup.backups.start({
          type: opts.type,
          components: opts.components,
          onProgress: (p: ComponentProgress) =>
            steps.show(p.component, `backup ${p.component}`, p.done ?? p.bytes, p.total ?? null, p.unit ?? 'bytes'),
        });
        cli.err(`creating ${id}`);
        const info = await finished;
        steps.end();
        cli.out(`${info.id} ${info.status} ${formatBytes(info.size)}${info.error ? ` ${info.error}` : ''}`);
        cli.exitCode = info.status === 'completed' ? 0 : 1;
      }),
    );

  backup
    .command('list')
    .description("list this site's backups, newest first (id, type, status, created, size, components)")
    .option('--status <status>', 'only completed, failed or in_progress backups')
    .option('--type <type>', 'only backups of this type (full, daily, pre_restore, ...)')
    .option('--all-sites', "every site's backups under the data directory and SLBP_BACKUP_DIR, with the site each came from")
    .action((opts: { status?: string; type?: string; allSites?: boolean }) =>
      withContainer(cli, async (c) => {
        if (opts.allSites) {
          for (const b of await listAllSites(path.join(c.dataDir, 'backups'), c.config.backup.dir)) {
            cli.out(`${b.id}\t${b.type}\t${b.status}\t${b.created_at}\t${formatBytes(b.size)}\t${b.from}\t${b.dir}`);
          }
          cli.out(
            `this site: ${describeSite({ database: c.site.database, table_prefix: c.site.tablePrefix, site_key: c.site.key })}, backups in ${c.backup.store.root}`,
          );
          return;
        }
        for (const b of await c.backup.backups.list({ status: opts.status, type: opts.type })) {
          cli.out(`${b.id}\t${b.type}\t${b.status}\t${b.created_at}\t${formatBytes(b.size)}\t${b.components.join(',')}`);
        }
      }),
    );

  backup
    .command('verify')
    .description("re-hash a backup's files against its manifest (exit 1 if any differs)")
    .argument('<id>', 'backup id (backup_YYYY-MM-DD_HH-MM-SS_xxxxxxxx)')
    .option('--allow-other-site', 'accept a backup made from another site (another database or table prefix)')
    .action((id: string, opts: { allowOtherSite?: boolean }) =>
      withContainer(cli, async (c) => {
        const v = await c.backup.restore.verify(id, undefined, { allowOtherSite: opts.allowOtherSite });
        for (const f of v.files) cli.out(`${f.ok ? 'ok  ' : 'BAD '} ${f.component}\t${f.file}\t${f.actual_sha256 ?? 'missing'}`);
        cli.exitCode = v.ok ? 0 : 1;
      }),
    );

  backup
    .command('restore')
    .description('restore a backup over this site, after a safety backup; asks first unless --yes')
    .argument('<id>', 'backup id')
    .option('--components <list>', `comma list of ${COMPONENTS.join(', ')} (default: all in the backup)`, componentList)
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--allow-other-site', 'restore a backup made from another site (another database or table prefix) over this one')
    .action((id: string, opts: { components?: Component[]; yes?: boolean; allowOtherSite?: boolean }) =>
      withContainer(cli, (c) => restore(cli, c, id, opts)),
    );

  backup
    .command('dr-test')
    .description('disaster-recovery drill: back up, restore into a scratch database, compare every table')
    .action(() =>
      withContainer(cli, async (c) => {
        const r = await c.backup.restore.drTest();
        cli.out(JSON.stringify(r, null, 2));
        cli.exitCode = r.overall_success ? 0 : 1;
      }),
    );
}

/**
 * Says what will be overwritten with what, asks (or takes --yes; refuses without it where
 * nobody can answer), then restores with progress on stderr and prints the result.
 */
async function restore(
  cli: Cli,
  c: Container,
  id: string,
  opts: { components?: Component[]; yes?: boolean; allowOtherSite?: boolean },
): Promise<void> {
  const m = await c.backup.restore.completed(id, { allowOtherSite: opts.allowOtherSite });
  const components = opts.components ?? (Object.keys(m.files) as Component[]);
  const size = components.reduce((n, comp) => n + (m.files[comp]?.bytes ?? 0), 0);
  const target = c.config.db.name;
  const tables = m.database ? ` (${m.database.scope === 'plugin' ? 'plugin tables' : 'all tables'})` : '';
  const source = m.source ? `${describeSite(m.source)}${tables}` : m.database ? `database ${m.database.name}${tables}` : 'no database';
  cli.err(`backup:  ${id}, taken ${m.completed_at} by ${m.node} from ${source}; ${components.join(', ')}, ${formatBytes(size)}`);
  cli.err(
    `target:  database ${target} on ${writerAddress(c.config.db).label} (table prefix ${c.config.db.tablePrefix})${components.includes('files') ? `, uploads ${c.config.backup.uploadsDir || '(found from the site when the backup runs)'}` : ''}`,
  );
  if (m.source && m.source.site_key !== c.site.key)
    cli.err(`note:    the backup was made from another site (${describeSite(m.source)}); --allow-other-site was given`);
  if (!opts.yes) {
    if (!cli.io.stdin.isTTY)
      throw new CliError(`refusing to restore over database ${target} without confirmation: stdin is not a terminal; pass --yes`);
    if (
      !(await confirm(
        cli.io,
        `Overwrite ${components.join(', ')} of database ${target} with this backup (a safety backup is taken first)?`,
      ))
    ) {
      cli.err('restore cancelled; nothing was changed');
      cli.exitCode = 1;
      return;
    }
  }
  const steps = stepProgress(cli);
  const labels: Record<RestoreProgress['phase'], string> = {
    verify: 'verify checksums',
    safety_backup: 'safety backup',
    restore: 'restore',
  };
  const r = await c.backup.restore.restore(id, opts.components, {
    allowOtherSite: opts.allowOtherSite,
    onProgress: (p) =>
      steps.show(`${p.phase}:${p.component ?? ''}`, `${labels[p.phase]}${p.component ? ` ${p.component}` : ''}`, p.done, p.total, p.unit),
  });
  steps.end();
  cli.out(JSON.stringify(r, null, 2));
}
