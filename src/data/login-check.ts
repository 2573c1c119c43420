import mysql from 'mysql2/promise';
import type { Config } from '../config/schema.ts';
import { parseDbHost } from '../config/load.ts';

/**
 * What one login to the writer told us. `credentials` and `unknown_database` do not heal by
 * waiting (someone must change a setting); `unreachable` usually does (a server restarting).
 */
export type LoginResult =
  | { ok: true; version: string; ms: number }
  | { ok: false; kind: 'credentials' | 'unknown_database' | 'unreachable' | 'other'; code: string; message: string };

const CREDENTIALS = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_HOST_IS_BLOCKED',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** Where the writer is: DB_HOST_WRITE when set, else DB_HOST (`host:port` or a socket). */
export function writerAddress(db: Config['db']): { host: string; port: number; socketPath?: string; label: string } {
  const parsed = db.writeHost ? parseDbHost(db.writeHost) : null;
  const host = parsed?.host ?? db.host;
  const port = parsed?.port ?? (parsed ? 3306 : db.port);
  const socketPath = parsed ? parsed.socketPath : db.socketPath;
  return { host, port, socketPath, label: socketPath ? `${host}:${socketPath}` : `${host}:${port}` };
}

/** Logs in to the writer once with the sidecar's credentials and database; never throws. */
export async function checkLogin(db: Config['db'], timeoutMs = db.connectTimeoutMs): Promise<LoginResult> {
  const at = writerAddress(db);
  const started = performance.now();
  let conn: mysql.Connection | null = null;
  try {
    conn = await mysql.createConnection({
      host: at.host,
      port: at.port,
      socketPath: at.socketPath,
      user: db.user,
      password: db.password,
      database: db.name,
      connectTimeout: timeoutMs,
    });
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    return { ok: true, version: String(rows[0]?.v ?? 'unknown'), ms: performance.now() - started };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { sqlMessage?: string };
    const code = e.code ?? 'UNKNOWN';
    const kind = CREDENTIALS.has(code)
      ? 'credentials'
      : code === 'ER_BAD_DB_ERROR'
        ? 'unknown_database'
        : UNREACHABLE.has(code)
          ? 'unreachable'
          : 'other';
    return { ok: false, kind, code, message: e.sqlMessage ?? e.message ?? code };
  } finally {
    await conn?.end().catch(() => conn?.destroy());
  }
}

/** `DB_PASSWORD (from wp-config.php (/var/www/html/wp-config.php))`: a setting and where its value came from. */
export function settingFrom(config: Config, name: string): string {
  return `${name} (from ${config.provenance.sources[name] ?? 'config/default.json'})`;
}

/** What failed, and which setting to change. */
export function loginProblem(r: Exclude<LoginResult, { ok: true }>, config: Config): { problem: string; fix: string } {
  const at = writerAddress(config.db);
  const host = config.db.writeHost ? settingFrom(config, 'DB_HOST_WRITE') : settingFrom(config, 'DB_HOST');
  switch (r.kind) {
    case 'credentials':
      return {
        problem: `the database at ${at.label} refused the login of "${config.db.user}" (${r.message})`,
        fix: `check ${settingFrom(config, 'DB_USER')} and ${settingFrom(config, 'DB_PASSWORD')}`,
      };
    case 'unknown_database':
      return { problem: `the database "${config.db.name}" does not exist on ${at.label}`, fix: `check ${settingFrom(config, 'DB_NAME')}` };
    case 'unreachable':
      return { problem: `the database at ${at.label} is unreachable (${r.code})`, fix: `check that MariaDB runs there, and ${host}` };
    default:
      return { problem: `logging in to the database at ${at.label} failed (${r.code}: ${r.message})`, fix: `check ${host}` };
  }
}

/** One line saying what failed and which setting to change. */
export function describeLogin(r: Exclude<LoginResult, { ok: true }>, config: Config): string {
  const { problem, fix } = loginProblem(r, config);
  return `${problem}: ${fix}`;
}
