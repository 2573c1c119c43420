import type { CheckResult, DetailProvider } from '../observability/checks.ts';
import { phpIso } from './plugin-dates.ts';

export type { CheckResult, DetailProvider };

export interface HealthProbes {
  database(): Promise<number>;
  /** null when Redis is not configured at all. */
  redis: { ping(): Promise<number>; describe(): string; cluster: boolean } | null;
  filesystem(): Promise<void>;
  missingTables(): Promise<string[]>;
  /** Other prefixes holding the required tables (best first), asked only when some are missing. */
  prefixGuess?(): Promise<string[]>;
  /** Whether WordPress still schedules the plugin's jobs the sidecar runs (informational: never makes a node unready). */
  pluginCron?(): Promise<CheckResult>;
}

export const isoNow = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const round = (n: number) => Math.round(n * 1000) / 1000;

/** A result shared by every caller for a moment, and when it was made. */
class Reused<T> {
  held: { at: number; value: Promise<T> } | null = null;
}

/**
 * The probes behind /health, /ready and /live. Results are reused for at most `reuseMs`
 * (1 s), and concurrent callers share one in-flight check, so any number of probes costs the
 * database one `SELECT 1` a second and they all see the same answer.
 */
export class HealthService {
  readonly startedAt = Date.now();
  draining = false;
  private readonly healthMemo = new Reused<HealthReport>();
  private readonly readyMemo = new Reused<ReadyChecks>();
  private readonly tablesMemo = new Reused<CheckResult>();

  constructor(
    private readonly probes: HealthProbes,
    readonly instanceId: string,
    readonly version: string,
    private readonly siteId: () => string | null,
    /** The sections of /health/detailed the features contribute (cache layers, replicas, backups, queue, ...). */
    private readonly details: Readonly<Record<string, DetailProvider>> = {},
    private readonly reuseMs = 1000,
  ) {}

  private memo<T>(slot: Reused<T>, make: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const cur = slot.held;
    if (cur && now - cur.at < this.reuseMs) return cur.value;
    const value = make();
    slot.held = { at: now, value };
    // A failed computation must not be reused.
    value.catch(() => {
      if (slot.held?.value === value) slot.held = null;
    });
    return value;
  }

  async databaseCheck(): Promise<CheckResult> {
    try {
      const ms = await this.probes.database();
      return { healthy: true, message: 'Database connection OK', response_time: round(ms) };
    } catch (err) {
      return { healthy: false, message: `Database connection failed: ${(err as Error).message}`, response_time: null };
    }
  }

  async cacheCheck(): Promise<CheckResult> {
    const redis = this.probes.redis;
    if (!redis) return { healthy: true, message: 'Redis is not configured; using the in-process cache', type: 'in_process' };
    try {
      const ms = await redis.ping();
      return {
        healthy: true,
        message: 'Cache working properly',
        type: redis.cluster ? 'redis_cluster' : 'redis',
        response_time: round(ms),
      };
    } catch (err) {
      return {
        healthy: false,
        message: `Redis unreachable (${(err as Error).message}); serving from the in-process cache`,
        type: 'in_process_fallback',
      };
    }
  }

  async filesystemCheck(): Promise<CheckResult> {
    try {
      await this.probes.filesystem();
      return { healthy: true, message: 'Filesystem read/write OK', writable: true };
    } catch (err) {
      return { healthy: false, message: `Filesystem check failed: ${(err as Error).message}`, writable: false };
    }
  }

  /**
   * The plugin's tables under the configured prefix. When some are missing and another prefix
   * holds them, the message names it: a wrong `$table_prefix` is the usual cause.
   */
  private tablesCheck(database: CheckResult): Promise<CheckResult> {
    if (!database.healthy)
      return Promise.resolve({ healthy: false, message: 'Cannot check tables: database unavailable', missing_tables: [] });
    return this.memo(this.tablesMemo, async () => {
      try {
        const missing = await this.probes.missingTables();
        if (!missing.length) return { healthy: true, message: 'All required tables exist', missing_tables: [] };
        const guess = (await this.probes.prefixGuess?.().catch(() => []))?.[0];
        const hint = guess
          ? `; the tables exist with the prefix ${guess}: set SLBP_TABLE_PREFIX=${guess} (or $table_prefix in wp-config.php)`
          : '';
        return {
          healthy: false,
          message: `Missing tables: ${missing.join(', ')}${hint}`,
          missing_tables: missing,
          ...(guess ? { prefix_guess: guess } : {}),
        };
      } catch (err) {
        return { healthy: false, message: `Cannot check tables: ${(err as Error).message}`, missing_tables: [] };
      }
    });
  }

  /** The tables check alone (what /health and /ready report under `tables`), without /health's other checks. */
  async tables(): Promise<CheckResult> {
    return this.tablesCheck(await this.databaseCheck());
  }

  health(): Promise<HealthReport> {
    return this.memo(this.healthMemo, async () => {
      const [database, cache, filesystem] = await Promise.all([this.databaseCheck(), this.cacheCheck(), this.filesystemCheck()]);
      const tables = await this.tablesCheck(database);
      // Missing plugin tables make every billing route fail: as unhealthy as a database that is down.
      const status: HealthStatus =
        !database.healthy || !filesystem.healthy || !tables.healthy ? 'unhealthy' : !cache.healthy ? 'degraded' : 'healthy';
      return {
        status,
        timestamp: phpIso(),
        instance_id: this.instanceId,
        site_id: this.siteId(),
        version: this.version,
        checks: { database, cache, filesystem, tables },
      };
    });
  }

  async ready(): Promise<{ ready: boolean; body: Record<string, unknown> }> {
    const checks = await this.memo(this.readyMemo, async () => {
      const [database, cache] = await Promise.all([this.databaseCheck(), this.cacheCheck()]);
      const tables = await this.tablesCheck(database);
      const dependencies: CheckResult = {
        healthy: database.healthy,
        message: database.healthy
          ? cache.healthy
            ? 'All dependencies satisfied'
            : 'Redis unreachable; running on the in-process cache'
          : 'MariaDB unavailable',
        // The plugin's keys first: `wordpress` is its database being readable, JSON and the HTTP
        // client are part of Node (json_ext, curl_ext); the sidecar needs no PHP (docs/compatibility.md).
        dependencies: {
          wordpress: database.healthy,
          json_ext: true,
          curl_ext: true,
          mariadb: database.healthy,
          redis: cache.healthy,
          node: process.version,
        },
      };
      const pluginCron = !this.probes.pluginCron
        ? null
        : !database.healthy
          ? { healthy: false, message: 'Cannot read the WP-cron schedule: database unavailable' }
          : await this.probes
              .pluginCron()
              .catch((err: Error) => ({ healthy: false, message: `Cannot read the WP-cron schedule: ${err.message}` }));
      return { database, tables, dependencies, ...(pluginCron ? { plugin_cron: pluginCron } : {}) };
    });
    const ready = !this.draining && checks.database.healthy && checks.tables.healthy;
    const body: Record<string, unknown> = {
      ready,
      timestamp: phpIso(),
      instance_id: this.instanceId,
      checks: {
        ...checks,
        lifecycle: {
          healthy: !this.draining,
          message: this.draining ? 'Draining: finishing in-flight requests before shutdown' : 'Accepting traffic',
        },
      },
    };
    if (this.draining) body.draining = true;
    return { ready, body };
  }

  /** Whole seconds since start. */
  uptimeSec(now = Date.now()): number {
    return Math.floor((now - this.startedAt) / 1000);
  }

  live(now = Date.now()): Record<string, unknown> {
    return { alive: true, timestamp: phpIso(new Date(now)), instance_id: this.instanceId, uptime: this.uptimeSec(now) };
  }

  /** The extra sections registered by modules, each isolated so one failure cannot hide the rest. */
  async detailSections(): Promise<Record<string, CheckResult>> {
    const out: Record<string, CheckResult> = {};
    await Promise.all(
      Object.entries(this.details).map(async ([name, provider]) => {
        try {
          out[name] = await provider();
        } catch (err) {
          out[name] = { healthy: false, message: (err as Error).message };
        }
      }),
    );
    return out;
  }
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';
export interface HealthReport {
  status: HealthStatus;
  timestamp: string;
  instance_id: string;
  site_id: string | null;
  version: string;
  checks: { database: CheckResult; cache: CheckResult; filesystem: CheckResult; tables: CheckResult };
}
type ReadyChecks = { database: CheckResult; tables: CheckResult; dependencies: CheckResult; plugin_cron?: CheckResult };
