import type { Command } from 'commander';
import { ConfigError } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { buildContainer } from '../../container.ts';
import { CHECKS, doctorContext, formatReport, runDoctor, type DoctorReport } from '../../doctor/doctor.ts';
import { settingsFailure } from '../../doctor/service-checks.ts';
import type { Cli } from '../cli.ts';

export function registerDoctor(program: Command, cli: Cli): void {
  program
    .command('doctor')
    .description(
      "check this site's settings, database, Redis, clocks, backup tools and storage; prints the fix for each failure (exit 0 only when every check passes)",
    )
    .option('--json', 'print the report as JSON (for scripts and monitoring)')
    .action(async (opts: { json?: boolean }) => {
      const report = await doctor(cli);
      if (opts.json) cli.out(JSON.stringify(report, null, 2));
      else for (const line of formatReport(report)) cli.out(line);
      cli.exitCode = report.ok ? 0 : 1;
    });
}

/** Runs every check on the configured site; settings that do not load fail the first check and skip the rest. */
async function doctor(cli: Cli): Promise<DoctorReport> {
  let config: Config;
  try {
    config = cli.config({ overrides: { log: { level: 'error', format: 'pretty' }, jobs: { enabled: false } } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const checks = CHECKS.map((c) => ({
      id: c.id,
      title: c.title,
      ...(c.id === 'settings'
        ? settingsFailure(err.problems)
        : { status: 'skip' as const, message: 'needs valid settings (see settings)' }),
    }));
    return { ok: false, checks };
  }
  const c = buildContainer(config);
  try {
    // wp_options (slbp_backup_config: remote storage) when the database answers; the checks say when it does not.
    await c.settings.refresh().catch(() => undefined);
    return await runDoctor(doctorContext(c));
  } finally {
    await c.close();
  }
}
