import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, type Config, type ConfigOverrides, type SkippedSetting } from './schema.ts';
import { parseWpConfig, type PhpValue } from './wp-config.ts';

/**
 * The package's root (where package.json, config/ and scripts/sql live): the nearest directory
 * above this file holding a package.json, so it is the same from src/ (tsx) and from the build
 * in dist/src/ (which has no package.json of its own).
 */
export const projectRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '../..');
  }
}

/** Thrown when start-up configuration is invalid; `problems` names every bad setting. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One line, so it reads whole in a journal or a terminal: every problem, each naming its setting.
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'secret' | 'int' | 'port' | 'listenPort' | 'bool' | 'list' | 'dbhost';
interface Setting {
  name: string;
  path: string;
  kind: Kind;
}

/**
 * Every setting read from the environment or wp-config.php constants, by its public name.
 * WordPress's own names (DB_*, WP_REDIS_*) are reused so an operator configures nothing twice.
 */
export const SETTINGS: Setting[] = [
  { name: 'SLBP_HOST', path: 'server.host', kind: 'string' },
  { name: 'SLBP_PORT', path: 'server.port', kind: 'listenPort' },
  { name: 'SLBP_BODY_LIMIT', path: 'server.bodyLimitBytes', kind: 'int' },
  { name: 'SLBP_SHUTDOWN_TIMEOUT_MS', path: 'server.shutdownTimeoutMs', kind: 'int' },
  { name: 'SLBP_DRAIN_DELAY_MS', path: 'server.drainDelayMs', kind: 'int' },
  { name: 'SLBP_TRUSTED_PROXIES', path: 'server.trustedProxies', kind: 'list' },
  { name: 'SLBP_DATA_DIR', path: 'server.dataDir', kind: 'string' },
  { name: 'SLBP_CORS_ORIGINS', path: 'server.corsOrigins', kind: 'list' },
  { name: 'DB_HOST', path: 'db.host', kind: 'dbhost' },
  { name: 'DB_PORT', path: 'db.port', kind: 'port' },
  { name: 'DB_NAME', path: 'db.name', kind: 'string' },
  { name: 'DB_USER', path: 'db.user', kind: 'string' },
  { name: 'DB_PASSWORD', path: 'db.password', kind: 'secret' },
  { name: 'DB_HOST_WRITE', path: 'db.writeHost', kind: 'string' },
  { name: 'DB_HOST_READ', path: 'db.readHosts', kind: 'list' },
  { name: 'SLBP_SHARDS', path: 'db.shards', kind: 'list' },
  { name: 'SLBP_TABLE_PREFIX', path: 'db.tablePrefix', kind: 'string' },
  { name: 'SLBP_DB_POOL_SIZE', path: 'db.connectionLimit', kind: 'int' },
  { name: 'SLBP_DB_READ_POOL_SIZE', path: 'db.readConnectionLimit', kind: 'int' },
  { name: 'SLBP_DB_POOL_WEBHOOKS', path: 'db.lanes.webhooks', kind: 'int' },
  { name: 'SLBP_DB_POOL_BILLING', path: 'db.lanes.billing', kind: 'int' },
  { name: 'SLBP_DB_POOL_IDENTITY', path: 'db.lanes.identity', kind: 'int' },
  { name: 'SLBP_DB_POOL_PROBES', path: 'db.lanes.probes', kind: 'int' },
  { name: 'SLBP_DB_QUEUE_LIMIT', path: 'db.queueLimit', kind: 'int' },
  { name: 'SLBP_DB_ACQUIRE_TIMEOUT_MS', path: 'db.acquireTimeoutMs', kind: 'int' },
  { name: 'SLBP_DB_QUERY_TIMEOUT_MS', path: 'db.queryTimeoutMs', kind: 'int' },
  { name: 'SLBP_SLOW_QUERY_MS', path: 'db.slowQueryMs', kind: 'int' },
  { name: 'SLBP_READ_YOUR_WRITES_MS', path: 'db.readYourWritesMs', kind: 'int' },
  { name: 'SLBP_REPLICA_MAX_LAG_SEC', path: 'db.replicaMaxLagSec', kind: 'int' },
  { name: 'SLBP_REDIS_ENABLED', path: 'redis.enabled', kind: 'bool' },
  { name: 'WP_REDIS_HOST', path: 'redis.host', kind: 'string' },
  { name: 'WP_REDIS_PORT', path: 'redis.port', kind: 'port' },
  { name: 'WP_REDIS_PASSWORD', path: 'redis.password', kind: 'secret' },
  { name: 'WP_REDIS_SERVERS', path: 'redis.cluster', kind: 'list' },
  { name: 'WP_REDIS_CLUSTER', path: 'redis.cluster', kind: 'list' },
  { name: 'SLBP_REDIS_DATABASE', path: 'redis.db', kind: 'int' },
  { name: 'SLBP_REDIS_PREFIX', path: 'redis.keyPrefix', kind: 'string' },
  { name: 'SLBP_CACHE_L1_MAX_ENTRIES', path: 'cache.l1MaxEntries', kind: 'int' },
  { name: 'SLBP_CACHE_L1_MAX_BYTES', path: 'cache.l1MaxBytes', kind: 'int' },
  { name: 'SLBP_CACHE_L1_TTL', path: 'cache.l1TtlSec', kind: 'int' },
  { name: 'SLBP_CACHE_STALE_IF_ERROR', path: 'cache.staleIfErrorSec', kind: 'int' },
  { name: 'SLBP_SIDECAR_SECRET', path: 'security.sidecarSecret', kind: 'secret' },
  { name: 'SLBP_METRICS_TOKEN', path: 'security.metricsToken', kind: 'secret' },
  { name: 'SLBP_HEALTH_TOKEN', path: 'security.healthToken', kind: 'secret' },
  { name: 'SLBP_MONITORING_IPS', path: 'security.monitoringIps', kind: 'list' },
  { name: 'SLBP_HEALTH_CHECK_IPS', path: 'security.healthCheckIps', kind: 'list' },
  { name: 'SLBP_SESSION_HANDLER', path: 'security.sessionHandler', kind: 'string' },
  { name: 'SLBP_ACCESS_TOKEN_TTL', path: 'security.accessTokenTtlSec', kind: 'int' },
  { name: 'SLBP_REFRESH_TOKEN_TTL', path: 'security.refreshTokenTtlSec', kind: 'int' },
  { name: 'SLBP_RATE_LIMIT_ENABLED', path: 'security.rateLimitEnabled', kind: 'bool' },
  { name: 'SLBP_LOG_LEVEL', path: 'log.level', kind: 'string' },
  { name: 'SLBP_LOG_FORMAT', path: 'log.format', kind: 'string' },
  { name: 'SLBP_OPTIONS_REFRESH_MS', path: 'options.refreshIntervalMs', kind: 'int' },
  { name: 'SLBP_JOBS_ENABLED', path: 'jobs.enabled', kind: 'bool' },
  { name: 'SLBP_LEMON_SQUEEZY_API_URL', path: 'billing.lemonSqueezyApiUrl', kind: 'string' },
  { name: 'SLBP_GATEWAY_TIMEOUT_MS', path: 'billing.gatewayTimeoutMs', kind: 'int' },
  { name: 'SLBP_ANALYTICS_TTL_SEC', path: 'billing.analyticsTtlSec', kind: 'int' },
  { name: 'SLBP_SLOW_REQUEST_MS', path: 'monitoring.slowRequestMs', kind: 'int' },
  { name: 'SLBP_METRICS_CACHE_SEC', path: 'monitoring.businessCacheSec', kind: 'int' },
  { name: 'SLBP_METRICS_RETENTION_DAYS', path: 'monitoring.metricsRetentionDays', kind: 'int' },
  { name: 'SLBP_ALERT_NOTIFY_TIMEOUT_MS', path: 'monitoring.notifyTimeoutMs', kind: 'int' },
  { name: 'SLBP_BACKUP_DIR', path: 'backup.dir', kind: 'string' },
  { name: 'SLBP_BACKUP_ENCRYPTION_KEY', path: 'backup.encryptionKey', kind: 'secret' },
  { name: 'SLBP_UPLOADS_DIR', path: 'backup.uploadsDir', kind: 'string' },
  { name: 'SLBP_BACKUP_SCOPE', path: 'backup.scope', kind: 'string' },
  { name: 'SLBP_BACKUP_KEEP_COUNT', path: 'backup.keepCount', kind: 'int' },
  { name: 'SLBP_BACKUP_TIMEZONE', path: 'backup.timezone', kind: 'string' },
  { name: 'SLBP_BACKUP_LOCK_LEASE_MS', path: 'backup.lockLeaseMs', kind: 'int' },
  { name: 'SLBP_BACKUP_S3_ENDPOINT', path: 'backup.s3.endpoint', kind: 'string' },
  { name: 'SLBP_BACKUP_S3_REGION', path: 'backup.s3.region', kind: 'string' },
  { name: 'SLBP_BACKUP_S3_BUCKET', path: 'backup.s3.bucket', kind: 'string' },
  { name: 'SLBP_BACKUP_S3_PREFIX', path: 'backup.s3.prefix', kind: 'string' },
  { name: 'SLBP_BACKUP_S3_ACCESS_KEY_ID', path: 'backup.s3.accessKeyId', kind: 'secret' },
  { name: 'SLBP_BACKUP_S3_SECRET_ACCESS_KEY', path: 'backup.s3.secretAccessKey', kind: 'secret' },
];

const SALT_NAMES = [
  'AUTH_KEY',
  'SECURE_AUTH_KEY',
  'LOGGED_IN_KEY',
  'NONCE_KEY',
  'AUTH_SALT',
  'SECURE_AUTH_SALT',
  'LOGGED_IN_SALT',
  'NONCE_SALT',
];
/**
 * Read from wp-config.php only (wp_salt() prefers them when set; rare): as environment variables
 * these names are too common to be taken for WordPress's.
 */
const WP_CONFIG_ONLY_SALTS = ['SECRET_KEY', 'SECRET_SALT'];

/** The command-line options the loader honours (the CLI's global and `serve` options). */
export interface CliSettings {
  wpConfig?: string;
  port?: string;
  host?: string;
  env?: string;
}

export interface LoadOptions {
  /** Raw arguments (`--wp-config`, `--port`, `--host`, `--env`); anything else is a problem. */
  argv?: string[];
  /** The same options, already parsed (the CLI's). */
  cli?: CliSettings;
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`${path.relative(projectRoot, file)}: ${(err as Error).message}`]);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function parseArgs(argv: string[], problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--(wp-config|port|host|env)(?:=(.*))?$/.exec(arg);
    if (!m) {
      problems.push(`${arg}: unknown command-line option (known: --wp-config, --port, --host, --env)`);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) problems.push(`--${m[1]}: needs a value`);
    else out[m[1]!] = value;
  }
  return out;
}

/** Splits WordPress's DB_HOST forms: `host`, `host:port`, `host:/socket/path`, `[::1]:3306`. */
export function parseDbHost(raw: string): { host: string; port?: number; socketPath?: string } | null {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (v6) return { host: v6[1]!, ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const idx = raw.indexOf(':');
  if (idx < 0) return { host: raw };
  const host = raw.slice(0, idx) || 'localhost';
  const rest = raw.slice(idx + 1);
  if (rest.startsWith('/')) return { host, socketPath: rest };
  if (/^\d+$/.test(rest) && Number(rest) >= 1 && Number(rest) <= 65535) return { host, port: Number(rest) };
  return null;
}

function toStringValue(v: PhpValue | string): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function coerce(setting: Setting, raw: PhpValue | string, problems: string[], out: Record<string, unknown>): void {
  const bad = (why: string): void => {
    problems.push(`${setting.name}: ${why}`);
  };
  if (setting.kind === 'list') {
    const items = Array.isArray(raw)
      ? raw.map((x) => toStringValue(x) ?? '')
      : isPlainObject(raw)
        ? Object.values(raw).map((x) => toStringValue(x as PhpValue) ?? '')
        : String(raw).split(',');
    setPath(out, setting.path, items.map((s) => s.trim().replace(/^tcp:\/\//, '')).filter(Boolean));
    return;
  }
  const str = toStringValue(raw as PhpValue);
  if (str === null) return bad('expected a single value, got an array');
  switch (setting.kind) {
    case 'string':
    case 'secret':
      setPath(out, setting.path, str);
      return;
    case 'int':
    case 'port':
    case 'listenPort': {
      if (!/^-?\d+$/.test(str.trim())) return bad(`"${str}" is not a whole number`);
      const n = Number(str);
      if (setting.kind === 'port' && (n < 1 || n > 65535)) return bad(`"${str}" is not a port (1-65535)`);
      if (setting.kind === 'listenPort' && (n < 0 || n > 65535)) return bad(`"${str}" is not a port (1-65535, or 0 for any free port)`);
      setPath(out, setting.path, n);
      return;
    }
    case 'bool': {
      const s = str.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) setPath(out, setting.path, true);
      else if (['0', 'false', 'no', 'off', ''].includes(s)) setPath(out, setting.path, false);
      else bad(`"${str}" is not a boolean (true/false)`);
      return;
    }
    case 'dbhost': {
      const parsed = parseDbHost(str.trim());
      if (!parsed) return bad(`"${str}" is not host, host:port or host:/socket`);
      setPath(out, 'db.host', parsed.host);
      if (parsed.port) setPath(out, 'db.port', parsed.port);
      if (parsed.socketPath) setPath(out, 'db.socketPath', parsed.socketPath);
      return;
    }
  }
}

/** Whether `dotted` names a value inside `obj`. */
function hasPath(obj: Record<string, unknown>, dotted: string): boolean {
  let cur: unknown = obj;
  for (const p of dotted.split('.')) {
    if (!isPlainObject(cur) || !(p in cur)) return false;
    cur = cur[p];
  }
  return true;
}

/** Loads defaults → per-environment file → wp-config.php → environment → CLI → overrides, then validates. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const args: Record<string, string> = { ...parseArgs(opts.argv ?? [], problems) };
  for (const [k, v] of [
    ['wp-config', opts.cli?.wpConfig],
    ['port', opts.cli?.port],
    ['host', opts.cli?.host],
    ['env', opts.cli?.env],
  ] as const) {
    if (v !== undefined) args[k] = v;
  }
  const envName = args.env ?? env.SLBP_ENV ?? env.NODE_ENV ?? 'development';
  if (!['development', 'production', 'test'].includes(envName))
    problems.push(`SLBP_ENV (--env): "${envName}" is not one of development, production, test`);
  const safeEnv = ['development', 'production', 'test'].includes(envName) ? envName : 'development';

  const defaults = readJson(path.join(projectRoot, 'config/default.json'));
  const perEnv = readJson(path.join(projectRoot, `config/${safeEnv}.json`));
  let merged = deepMerge(defaults, perEnv);
  const pkg = readJson(path.join(projectRoot, 'package.json'));
  merged.env = safeEnv;
  merged.version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  merged.wpSalts = {};
  merged.wordpress = { configPath: '', contentDir: '' };

  // Where each setting's value comes from, for `slbp doctor` (later layers overwrite earlier ones).
  const sources: Record<string, string> = {};
  for (const s of SETTINGS) sources[s.name] = hasPath(perEnv, s.path) ? `config/${safeEnv}.json` : 'config/default.json';
  const skipped: SkippedSetting[] = [];

  const layer: Record<string, unknown> = {};
  const wpConfigPath = args['wp-config'] ?? env.SLBP_WP_CONFIG;
  if (wpConfigPath) {
    let source: string | null = null;
    try {
      source = readFileSync(wpConfigPath, 'utf8');
    } catch (err) {
      problems.push(
        `--wp-config (SLBP_WP_CONFIG): cannot read ${wpConfigPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    if (source !== null) {
      const parsed = parseWpConfig(source);
      const from = `wp-config.php (${wpConfigPath})`;
      if (!('DB_NAME' in parsed.constants) && !parsed.tablePrefix)
        problems.push(`--wp-config (SLBP_WP_CONFIG): ${wpConfigPath} defines neither DB_NAME nor $table_prefix; is it a wp-config.php?`);
      for (const s of SETTINGS) {
        const v = parsed.constants[s.name];
        if (v !== undefined && v !== null) {
          coerce(s, v, problems, layer);
          sources[s.name] = from;
        }
      }
      if (parsed.tablePrefix !== undefined) {
        setPath(layer, 'db.tablePrefix', parsed.tablePrefix);
        sources.SLBP_TABLE_PREFIX = `${from} $table_prefix`;
      }
      const salts: Record<string, string> = {};
      for (const n of [...SALT_NAMES, ...WP_CONFIG_ONLY_SALTS]) {
        const v = parsed.constants[n];
        if (typeof v === 'string') salts[n] = v;
      }
      layer.wpSalts = salts;
      // WP_CONTENT_DIR is usually an expression (ABSPATH . 'wp-content'): only a literal is taken,
      // and an expression is not a problem (the default place is tried instead).
      const contentDir = parsed.constants.WP_CONTENT_DIR;
      layer.wordpress = { configPath: path.resolve(wpConfigPath), contentDir: typeof contentDir === 'string' ? contentDir : '' };
      for (const name of parsed.skipped) {
        const setting = name === '$table_prefix' ? 'SLBP_TABLE_PREFIX' : name;
        if (!SETTINGS.some((s) => s.name === setting) && !SALT_NAMES.includes(name)) continue;
        const replacedBy = env[setting] !== undefined ? 'environment' : null;
        skipped.push({ name, as: parsed.skippedAs[name] ?? 'an expression', replacedBy });
        // A value the sidecar cannot evaluate must not silently become the default (an empty DB_PASSWORD, wp_).
        if (!replacedBy && !SALT_NAMES.includes(name)) {
          problems.push(
            `${setting}: ${wpConfigPath} sets ${name} with ${parsed.skippedAs[name] ?? 'an expression'}, which is not a literal and is skipped; set ${setting} in the environment`,
          );
        }
      }
    }
  }
  for (const s of SETTINGS) {
    const v = env[s.name];
    if (v !== undefined) {
      coerce(s, v, problems, layer);
      sources[s.name] = 'environment';
    }
  }
  const envSalts: Record<string, string> = {};
  for (const n of SALT_NAMES) if (env[n] !== undefined) envSalts[n] = env[n]!;
  if (Object.keys(envSalts).length) layer.wpSalts = { ...(layer.wpSalts as object), ...envSalts };
  if (args.port !== undefined) {
    coerce({ name: '--port', path: 'server.port', kind: 'listenPort' }, args.port, problems, layer);
    sources.SLBP_PORT = 'command line (--port)';
  }
  if (args.host !== undefined) {
    setPath(layer, 'server.host', args.host);
    sources.SLBP_HOST = 'command line (--host)';
  }

  merged = deepMerge(merged, layer);
  if (opts.overrides) merged = deepMerge(merged, opts.overrides as Record<string, unknown>);
  merged.provenance = { sources, skipped };

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const dotted = issue.path.join('.');
      const named = SETTINGS.filter((s) => s.path === dotted).map((s) => s.name);
      problems.push(`${named.length ? named.join(' / ') : dotted}: ${issue.message}${HINTS[dotted] ?? ''}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return result.data!;
}

/** What to do about a missing value, where the setting's name alone does not say it. */
const HINTS: Record<string, string> = {
  'db.name': ' (give --wp-config /path/to/wp-config.php, or set DB_NAME)',
};
