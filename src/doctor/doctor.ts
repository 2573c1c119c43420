import path from 'node:path';
import { checkLogin, type LoginResult } from '../data/login-check.ts';
import type { CheckOutcome, DoctorCheck, DoctorContext } from './check.ts';
import type { CheckResult } from '../observability/checks.ts';
import { DATABASE_CHECKS } from './database-checks.ts';
import { SERVICE_CHECKS, settingsCheck } from './service-checks.ts';
import { STORAGE_CHECKS } from './storage-checks.ts';

export type { CheckOutcome, CheckStatus, DoctorCheck, DoctorContext } from './check.ts';

/** Every check, in the order they are shown. */
export const CHECKS: DoctorCheck[] = [settingsCheck, ...DATABASE_CHECKS, ...SERVICE_CHECKS, ...STORAGE_CHECKS];

export interface CheckReport extends CheckOutcome {
  id: string;
  title: string;
}
export interface DoctorReport {
  ok: boolean;
  checks: CheckReport[];
}

const CHECK_TIMEOUT_MS = 15_000;

/** Runs the checks one after another (a database failure skips the checks that need it). */
export async function runDoctor(ctx: DoctorContext, checks: DoctorCheck[] = CHECKS): Promise<DoctorReport> {
  const out: CheckReport[] = [];
  for (const check of checks) {
    let outcome: CheckOutcome;
    if (check.needsDatabase && !(await ctx.login()).ok)
      outcome = { status: 'skip', message: 'needs a working database login (see database-login)' };
    else {
      let timer: NodeJS.Timeout | undefined;
      try {
        outcome = await Promise.race([
          check.run(ctx),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
          }),
        ]);
      } catch (err) {
        outcome = { status: 'fail', message: `the check itself failed: ${(err as Error).message}` };
      } finally {
        clearTimeout(timer);
      }
    }
    out.push({ id: check.id, title: check.title, ...outcome });
  }
  return { ok: out.every((c) => c.status !== 'fail'), checks: out };
}

/** The parts of a running sidecar (the CLI's container or the server's) the checks look at. */
export interface DoctorSources extends Pick<DoctorContext, 'config' | 'db' | 'tables' | 'site' | 'redis' | 'replicas' | 'dataDir'> {
  settings: { siteUrl: string };
  backup: {
    store: { root: string };
    settings: { get(): ReturnType<DoctorContext['backupConfig']> };
    maintenance: { remote(): ReturnType<DoctorContext['remote']> };
    backups: { list(filter: { status: 'completed' }): Promise<{ size: number }[]> };
  };
}

/** The doctor's context on a running sidecar's parts. */
export function doctorContext(c: DoctorSources, now: () => number = Date.now): DoctorContext {
  let login: Promise<LoginResult> | null = null;
  return {
    config: c.config,
    db: c.db,
    tables: c.tables,
    site: c.site,
    siteUrl: () => c.settings.siteUrl || null,
    redis: c.redis,
    replicas: c.replicas,
    dataDir: c.dataDir,
    backupDir: c.backup.store.root,
    backupConfig: () => c.backup.settings.get(),
    remote: () => c.backup.maintenance.remote(),
    backupSizes: async () => (await c.backup.backups.list({ status: 'completed' })).map((b) => b.size),
    login: () => (login ??= checkLogin(c.config.db)),
    now,
  };
}

/**
 * The `doctor` section of /health/detailed: the same checks, run at most once a minute (some
 * spawn mysqldump or ask S3), so a monitor polling the page costs nothing more.
 */
export function doctorDetail(make: () => DoctorContext, everyMs = 60_000): () => Promise<CheckResult> {
  let last: { at: number; value: Promise<CheckResult> } | null = null;
  return () => {
    if (last && Date.now() - last.at < everyMs) return last.value;
    const value = runDoctor(make()).then((r) => {
      const failed = r.checks.filter((c) => c.status === 'fail');
      return {
        healthy: r.ok,
        message: failed.length ? `${failed.length} check(s) failed: ${failed.map((c) => c.id).join(', ')}` : 'Every check passed',
        checks: r.checks.map(({ lines: _lines, ...c }) => c),
      };
    });
    last = { at: Date.now(), value };
    value.catch(() => {
      last = null;
    });
    return value;
  };
}

/** The report as a terminal shows it: ✔/✖/– per check, the fix under each failure. */
export function formatReport(r: DoctorReport): string[] {
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${c.status === 'pass' ? '✔' : c.status === 'fail' ? '✖' : '–'} ${c.title}: ${c.message}`);
    for (const l of c.lines ?? []) lines.push(`    ${l}`);
    if (c.status === 'fail' && c.fix) lines.push(`    fix: ${c.fix}`);
  }
  const failed = r.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    failed
      ? `${failed} of ${r.checks.length} checks failed`
      : `all ${r.checks.filter((c) => c.status === 'pass').length} checks passed${r.checks.some((c) => c.status === 'skip') ? ' (the others do not apply)' : ''}`,
  );
  return lines;
}

/** `path` relative to the working directory when that is shorter (messages stay readable). */
export function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p;
}
