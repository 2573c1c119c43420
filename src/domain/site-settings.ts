import { FailureLog } from '../observability/failure-log.ts';
import type { Logger } from '../observability/logger.ts';
import { maybeUnserialize } from '../data/php-serialize.ts';

export interface PerformanceConfig {
  cache_expiration: number;
  enable_background_processing: boolean;
  rate_limit_general: number;
}

const SITE_OPTIONS = [
  'siteurl',
  'home',
  'blogname',
  'admin_email',
  'timezone_string',
  'gmt_offset',
  'slbp_performance_config',
  'slbp_backup_config',
  'slbp_alert_config',
  'slbp_session_handler',
  'slbp_health_check_ips',
  'slbp_monitoring_ips',
  'slbp_payment_settings',
  'slbp_course_mappings',
  'slbp_instance_id',
  // The WordPress schema's version (the WordPress version when version.php cannot be read), where
  // uploads live when moved, and the plugin's integrations and webhook key (docs/compatibility.md).
  'db_version',
  'upload_path',
  'slbp_integrations_settings',
  'slbp_webhook_api_key',
] as const;

/** Where the settings come from; the container wires it to the options table. */
export type OptionsSource = (names: string[]) => Promise<Map<string, string>>;

function asNumber(v: unknown, fallback: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
}

function asBool(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true' || v === 'yes') return true;
  if (v === 0 || v === '0' || v === 'false' || v === 'no' || v === '') return false;
  return fallback;
}

function asStringList(v: unknown): string[] {
  if (Array.isArray(v))
    return v
      .map(String)
      .map((s) => s.trim())
      .filter(Boolean);
  if (v && typeof v === 'object')
    return Object.values(v)
      .map(String)
      .map((s) => s.trim())
      .filter(Boolean);
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  return [];
}

/**
 * The site's WordPress options the sidecar honours, decoded from PHP-serialized form, loaded
 * at start and refreshed periodically (and on demand after an invalidation). A value that
 * cannot be decoded is reported in `problems` and logged; the previous good value is kept.
 */
export class SiteSettings {
  private raw = new Map<string, unknown>();
  private timer: NodeJS.Timeout | null = null;
  readonly problems = new Map<string, string>();
  loadedAt = 0;
  /** Bumped on every reload, so dependents can rebuild what they derive from the options. */
  version = 0;
  private inflight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly source: OptionsSource,
    private readonly userRolesOption: string,
    private readonly logger: Logger,
  ) {}

  /** Reloads every option now (coalesces concurrent calls). */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Reloads after any load already running, which may have read the options before a change. */
  reload(): Promise<void> {
    const running = this.inflight;
    if (!running) return this.refresh();
    this.queued ??= running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  private async load(): Promise<void> {
    const names = [...SITE_OPTIONS, this.userRolesOption];
    const rows = await this.source(names);
    const next = new Map<string, unknown>();
    for (const name of names) {
      const value = rows.get(name);
      if (value === undefined) continue;
      try {
        next.set(name, maybeUnserialize(value, `option ${name}`));
        this.problems.delete(name);
      } catch (err) {
        if (!this.problems.has(name))
          this.logger.error('option cannot be decoded; keeping the previous value', { option: name, error: (err as Error).message });
        this.problems.set(name, (err as Error).message);
        if (this.raw.has(name)) next.set(name, this.raw.get(name));
      }
    }
    this.raw = next;
    this.loadedAt = Date.now();
    this.version++;
  }

  start(intervalMs: number): void {
    this.stop();
    const failures = new FailureLog(this.logger, 'refreshing wp_options (the last values stay in use)');
    this.timer = setInterval(() => {
      this.refresh().then(
        () => failures.succeeded(),
        (err) => failures.failed(err),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Decoded value of any loaded option, or undefined. */
  get(name: string): unknown {
    return this.raw.get(name);
  }

  private obj(name: string): Record<string, unknown> {
    const v = this.raw.get(name);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  }

  get performance(): PerformanceConfig {
    const o = this.obj('slbp_performance_config');
    return {
      cache_expiration: asNumber(o.cache_expiration, 3600),
      enable_background_processing: asBool(o.enable_background_processing, true),
      rate_limit_general: asNumber(o.rate_limit_general, 100),
    };
  }

  get healthCheckIps(): string[] {
    return asStringList(this.raw.get('slbp_health_check_ips'));
  }
  get monitoringIps(): string[] {
    return asStringList(this.raw.get('slbp_monitoring_ips'));
  }
  get sessionHandler(): 'redis' | 'database' {
    return this.raw.get('slbp_session_handler') === 'redis' ? 'redis' : 'database';
  }
  get paymentSettings(): Record<string, unknown> {
    return this.obj('slbp_payment_settings');
  }
  get courseMappings(): Record<string, unknown> {
    return this.obj('slbp_course_mappings');
  }
  get backupConfig(): Record<string, unknown> {
    return this.obj('slbp_backup_config');
  }
  get alertConfig(): Record<string, unknown> {
    return this.obj('slbp_alert_config');
  }
  get userRoles(): Record<string, unknown> {
    return this.obj(this.userRolesOption);
  }
  get siteId(): string | null {
    const v = this.raw.get('slbp_instance_id');
    return typeof v === 'string' && v ? v : null;
  }
  get blogName(): string {
    return String(this.raw.get('blogname') ?? '');
  }
  get siteUrl(): string {
    return String(this.raw.get('siteurl') ?? '');
  }
  /** The `home` option (what WordPress builds REST URLs on), else `siteurl`. */
  get homeUrl(): string {
    return String(this.raw.get('home') || this.raw.get('siteurl') || '');
  }
  get adminEmail(): string {
    return String(this.raw.get('admin_email') ?? '');
  }
  /** IANA zone when set, else a fixed offset like `+05:30` from gmt_offset. */
  get timeZone(): string {
    const tz = this.raw.get('timezone_string');
    if (typeof tz === 'string' && tz) return tz;
    const offset = asNumber(this.raw.get('gmt_offset'), 0);
    const sign = offset < 0 ? '-' : '+';
    const mins = Math.round(Math.abs(offset) * 60);
    return `${sign}${String(Math.floor(mins / 60)).padStart(2, '0')}:${String(mins % 60).padStart(2, '0')}`;
  }
}
