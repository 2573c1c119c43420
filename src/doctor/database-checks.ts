import type { Queryable } from '../data/database.ts';
import { loginProblem, settingFrom } from '../data/login-check.ts';
import { pendingMigrations } from '../data/migrations/index.ts';
import { findMissingTables, guessTablePrefixes } from '../data/probes.ts';
import type { DoctorCheck } from './check.ts';

/** Privileges on the WordPress database, by who needs them. */
export const NEEDED_PRIVILEGES = {
  sidecar: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  mysqldump: ['SELECT', 'SHOW VIEW', 'TRIGGER', 'EVENT'],
} as const;
/** Needed only by `slbp migrate` and restores; reported, not failed. */
const OPTIONAL_PRIVILEGES = { 'migrate and restore': ['CREATE', 'DROP', 'ALTER', 'INDEX', 'LOCK TABLES'] } as const;

/** The privileges the current user holds on `database` (global grants and grants on matching schemas). */
export async function privilegesOn(q: Queryable, database: string): Promise<{ user: string; privileges: Set<string> }> {
  const [row] = await q.query<{ u: string }[]>('SELECT CURRENT_USER() AS u');
  const user = row?.u ?? '';
  const at = user.lastIndexOf('@');
  const grantee = `'${user.slice(0, at)}'@'${user.slice(at + 1)}'`;
  const rows = await q.query<{ p: string }[]>(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?
     UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? AND ? LIKE TABLE_SCHEMA`,
    [grantee, grantee, database],
  );
  return { user, privileges: new Set(rows.map((r) => r.p)) };
}

const login: DoctorCheck = {
  id: 'database-login',
  title: 'database login',
  async run(ctx) {
    const r = await ctx.login();
    if (r.ok) return { status: 'pass', message: `${ctx.config.db.user}@${ctx.config.db.name}: ${r.version}, ${Math.round(r.ms)} ms` };
    const { problem, fix } = loginProblem(r, ctx.config);
    return { status: 'fail', message: problem, fix };
  },
};

const grants: DoctorCheck = {
  id: 'database-grants',
  title: 'database grants',
  needsDatabase: true,
  async run(ctx) {
    const { user, privileges } = await privilegesOn(ctx.db.write, ctx.config.db.name);
    const has = (p: string) => privileges.has(p) || privileges.has('ALL PRIVILEGES');
    const missing = Object.entries(NEEDED_PRIVILEGES)
      .map(([who, list]) => [who, list.filter((p) => !has(p))] as const)
      .filter(([, l]) => l.length);
    const optional = Object.entries(OPTIONAL_PRIVILEGES)
      .map(([who, list]) => [who, list.filter((p) => !has(p))] as const)
      .filter(([, l]) => l.length);
    const lines = optional.map(([who, l]) => `${who} would also need: ${l.join(', ')}`);
    if (!missing.length) return { status: 'pass', message: `${user} has what the sidecar and mysqldump need`, lines };
    const all = [...new Set(missing.flatMap(([, l]) => l))];
    return {
      status: 'fail',
      message: `${user} lacks ${missing.map(([who, l]) => `${l.join(', ')} (${who})`).join('; ')}`,
      fix: `as a MariaDB administrator: GRANT ${all.join(', ')} ON \`${ctx.config.db.name}\`.* TO ${user.replace(/^(.*)@(.*)$/, "'$1'@'$2'")}`,
      lines,
    };
  },
};

const tables: DoctorCheck = {
  id: 'plugin-tables',
  title: 'plugin tables',
  needsDatabase: true,
  async run(ctx) {
    const missing = await findMissingTables(ctx.db.write, ctx.tables);
    if (!missing.length)
      return { status: 'pass', message: `all ${ctx.tables.required.length} tables exist with the prefix ${ctx.tables.prefix}` };
    const guess = (await guessTablePrefixes(ctx.db.write, ctx.tables))[0];
    return {
      status: 'fail',
      message: `${missing.length} of ${ctx.tables.required.length} tables missing with the prefix ${ctx.tables.prefix}: ${missing.join(', ')}`,
      fix: guess
        ? `the tables exist with the prefix ${guess}: set SLBP_TABLE_PREFIX=${guess} (or $table_prefix in wp-config.php; now ${settingFrom(ctx.config, 'SLBP_TABLE_PREFIX')})`
        : `activate SkyLearn Billing Pro in WordPress (it creates its tables), or check ${settingFrom(ctx.config, 'DB_NAME')} and ${settingFrom(ctx.config, 'SLBP_TABLE_PREFIX')}`,
      ...(guess ? { details: { prefix_guess: guess } } : {}),
    };
  },
};

const indexes: DoctorCheck = {
  id: 'indexes',
  title: "sidecar's indexes",
  needsDatabase: true,
  async run(ctx) {
    if ((await findMissingTables(ctx.db.write, ctx.tables)).length)
      return { status: 'skip', message: 'needs the plugin tables (see plugin-tables)' };
    const pending = await pendingMigrations(ctx.db.write, ctx.tables);
    if (!pending.length) return { status: 'pass', message: 'every billing index exists' };
    return {
      status: 'fail',
      message: `${pending.length} missing: ${pending.join(', ')} (billing lists and analytics scan whole tables)`,
      fix: 'run slbp migrate (safe to repeat; the plugin keeps writing while indexes build)',
    };
  },
};

/** Clocks more than this apart make expiry and stuck-task times wrong, and signed requests fail at 60 s. */
export const MAX_CLOCK_SKEW_MS = 5000;

const clock: DoctorCheck = {
  id: 'clock',
  title: 'clock against the database',
  needsDatabase: true,
  async run(ctx) {
    const before = ctx.now();
    const [row] = await ctx.db.write.query<{ t: string }[]>("SELECT DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%fZ') AS t");
    const after = ctx.now();
    const dbMs = Date.parse(row!.t.replace(/(\.\d{3})\d*Z$/, '$1Z'));
    const skew = Math.round((before + after) / 2 - dbMs);
    const message = `this host is ${Math.abs(skew)} ms ${skew >= 0 ? 'ahead of' : 'behind'} the database`;
    if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS) return { status: 'pass', message, details: { skew_ms: skew } };
    return {
      status: 'fail',
      message,
      fix: 'synchronise both clocks (chrony or systemd-timesyncd on this host and the database host)',
      details: { skew_ms: skew },
    };
  },
};

const replicas: DoctorCheck = {
  id: 'replicas',
  title: 'read replicas',
  needsDatabase: true,
  async run(ctx) {
    if (!ctx.db.readers.length) return { status: 'skip', message: 'no read replicas configured (DB_HOST_READ)' };
    await ctx.replicas.poll();
    const states = ctx.replicas.replicaLag();
    const bad = states.filter((s) => !s.usable);
    const lines = states.map(
      (s, i) =>
        `${ctx.config.db.readHosts[i] ?? s.name}: ${s.usable ? 'in use' : 'skipped'}, ${s.reason}${s.lagSeconds !== null ? `, lag ${s.lagSeconds} s` : ''}`,
    );
    if (!bad.length)
      return { status: 'pass', message: `${states.length} replica(s) replicating within ${ctx.config.db.replicaMaxLagSec} s`, lines };
    return {
      status: 'fail',
      message: `${bad.length} of ${states.length} replica(s) get no reads`,
      fix: `check replication there (SHOW SLAVE STATUS), or remove them from ${settingFrom(ctx.config, 'DB_HOST_READ')}; the lag allowed is ${settingFrom(ctx.config, 'SLBP_REPLICA_MAX_LAG_SEC')}`,
      lines,
    };
  },
};

export const DATABASE_CHECKS: DoctorCheck[] = [login, grants, tables, indexes, clock, replicas];
