import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
const positiveInt = z.number().int().positive();

/** The validated sidecar configuration; every field has a default in config/default.json. */
export const configSchema = z.object({
  env: z.enum(['development', 'production', 'test']),
  version: z.string(),
  server: z.object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    bodyLimitBytes: positiveInt,
    shutdownTimeoutMs: positiveInt,
    drainDelayMs: z.number().int().min(0),
    trustedProxies: z.array(z.string()),
    dataDir: z.string().min(1),
    corsOrigins: z.array(z.string()),
  }),
  db: z.object({
    host: z.string().min(1),
    port,
    socketPath: z.string().optional(),
    name: z.string().min(1, 'no database name is configured'),
    user: z.string().min(1),
    password: z.string(),
    writeHost: z.string().optional(),
    readHosts: z.array(z.string()),
    /** Billing shards, `[host[:port]]/database` each; empty = unsharded (see src/data/shards.ts). */
    shards: z.array(z.string().regex(/^([^/]*(:\/.*)?\/)?[A-Za-z0-9_$-]+$/, 'host[:port]/database, host:/socket/database or database')),
    tablePrefix: z.string().regex(/^[A-Za-z0-9_]+$/, 'only letters, digits and underscores'),
    connectionLimit: positiveInt,
    readConnectionLimit: positiveInt,
    /** Writer connections of each kind of work's own (bulkheads, src/data/database.ts), besides connectionLimit. */
    lanes: z.object({ webhooks: positiveInt, billing: positiveInt, identity: positiveInt, probes: positiveInt }),
    queueLimit: positiveInt,
    acquireTimeoutMs: positiveInt,
    queryTimeoutMs: positiveInt,
    connectTimeoutMs: positiveInt,
    healthTimeoutMs: positiveInt,
    slowQueryMs: positiveInt,
    readYourWritesMs: z.number().int().min(0),
    replicaMaxLagSec: z.number().int().min(0),
  }),
  redis: z.object({
    enabled: z.boolean(),
    host: z.string().min(1),
    port,
    password: z.string(),
    db: z.number().int().min(0).max(15),
    // Braces would make the prefix every key's Cluster hash tag: one slot, and no site key inside it.
    keyPrefix: z
      .string()
      .min(1)
      .refine((p) => !/[{}]/.test(p), 'must not contain { or }'),
    cluster: z.array(z.string()),
    connectTimeoutMs: positiveInt,
    commandTimeoutMs: positiveInt,
  }),
  cache: z.object({
    l1MaxEntries: positiveInt,
    l1MaxBytes: positiveInt,
    l1TtlSec: positiveInt,
    /** How long past its lifetime an in-process entry is still answered while the database is unavailable (0: never). */
    staleIfErrorSec: z.number().int().min(0),
    jitter: z.number().min(0).max(1),
  }),
  security: z.object({
    sidecarSecret: z.string(),
    metricsToken: z.string(),
    healthToken: z.string(),
    monitoringIps: z.array(z.string()),
    healthCheckIps: z.array(z.string()),
    /** Overrides the slbp_session_handler option when set. */
    sessionHandler: z.enum(['', 'redis', 'database']),
    accessTokenTtlSec: z.number().int().min(30).max(86_400),
    refreshTokenTtlSec: z.number().int().min(300),
    rateLimitEnabled: z.boolean(),
  }),
  wpSalts: z.record(z.string(), z.string()),
  /**
   * Where the WordPress site is on this host, when known: the wp-config.php read (its directory is
   * ABSPATH or its parent) and its literal WP_CONTENT_DIR. Used to find the uploads directory and
   * the WordPress version (src/config/wordpress-paths.ts).
   */
  wordpress: z.object({ configPath: z.string(), contentDir: z.string() }),
  log: z.object({
    level: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']),
    format: z.enum(['json', 'pretty']),
  }),
  options: z.object({ refreshIntervalMs: positiveInt }),
  jobs: z.object({ enabled: z.boolean() }),
  billing: z.object({
    lemonSqueezyApiUrl: z.url(),
    gatewayTimeoutMs: positiveInt,
    analyticsTtlSec: positiveInt,
  }),
  monitoring: z.object({
    slowRequestMs: positiveInt,
    businessCacheSec: z.number().int().min(0).max(30, 'business counts may be cached for at most 30 s'),
    metricsRetentionDays: positiveInt,
    notifyTimeoutMs: positiveInt,
  }),
  backup: z.object({
    /** Empty = `<dataDir>/backups`, outside any web root. */
    dir: z.string(),
    /** 32 bytes as 64 hex digits or base64; empty = archives are not encrypted. */
    encryptionKey: z
      .string()
      .refine(
        (k) => k === '' || /^[0-9a-fA-F]{64}$/.test(k) || Buffer.from(k, 'base64').length === 32,
        'must be 32 bytes as 64 hex digits or base64',
      ),
    /** Empty = the `files` component is skipped (recorded in the manifest). */
    uploadsDir: z.string(),
    scope: z.enum(['all', 'plugin']),
    keepCount: z.number().int().min(1),
    timezone: z.string().min(1),
    lockLeaseMs: z.number().int().min(1000),
    s3: z.object({
      endpoint: z.string(),
      region: z.string().min(1),
      bucket: z.string(),
      prefix: z.string(),
      accessKeyId: z.string(),
      secretAccessKey: z.string(),
    }),
  }),
  /** Set by the loader: where each setting came from, and wp-config.php values it could not read. */
  provenance: z.object({
    /** Setting name → `config/default.json`, `config/<env>.json`, `wp-config.php (path)`, `environment`, `command line (--port)`. */
    sources: z.record(z.string(), z.string()),
    /** wp-config.php constants that are expressions (`getenv(...)`), and whether the environment gave the value instead. */
    skipped: z.array(z.object({ name: z.string(), as: z.string(), replacedBy: z.string().nullable() })),
  }),
});

export type Config = z.infer<typeof configSchema>;
export type SkippedSetting = Config['provenance']['skipped'][number];

/** Deep-partial shape accepted as overrides (tests, CLI). */
export type ConfigOverrides = { [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K] };
