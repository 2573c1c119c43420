import type { Queryable } from '../data/database.ts';
import type { MetricsRepository } from '../data/metrics-repository.ts';
import type { Logger } from '../observability/logger.ts';
import type { AlertService } from './alert-service.ts';
import type { Metrics } from './metrics.ts';
import { dottedName } from './site-metrics.ts';

/** The plugin's snapshot period: one set of rows in wp_slbp_metrics every 5 minutes. */
export const SNAPSHOT_EVERY_MS = 5 * 60_000;
/** Alert rules are evaluated once a minute. */
export const ALERTS_EVERY_MS = 60_000;

/**
 * The work of the two monitoring jobs (the schedule and the one-node-per-slot election are
 * jobs/'s): a snapshot of the plugin's metrics into wp_slbp_metrics, pruned to the retention, and
 * an evaluation of the alert rules against the same metrics.
 */
export class MonitoringWork {
  constructor(
    private readonly d: { metrics: Metrics; repo: MetricsRepository; alerts: AlertService; logger: Logger; retentionDays: number },
  ) {}

  /** Writes the snapshot taken at `now` through `q` and prunes rows older than the retention. */
  async snapshot(q: Queryable, now: Date): Promise<void> {
    // A NaN (no cache lookups yet) cannot be stored in a FLOAT column and says nothing; skip it.
    const rows = (await this.d.metrics.collectSite()).filter((m) => Number.isFinite(m.value));
    await this.d.repo.insertSnapshot(q, rows, now);
    const pruned = await this.d.repo.pruneOlderThan(q, new Date(now.getTime() - this.d.retentionDays * 86_400_000));
    this.d.logger.debug('metrics snapshot written', { rows: rows.length, pruned });
  }

  /** Whether a snapshot of the slot starting at `slotStart` is already stored (another node wrote it). */
  snapshotTaken(q: Queryable, slotStart: Date): Promise<boolean> {
    return this.d.repo.hasSnapshotSince(q, slotStart);
  }

  /** Evaluates the alert rules against the metrics now. */
  async evaluateAlerts(now: Date): Promise<void> {
    const values = new Map((await this.d.metrics.collectSite()).map((m) => [dottedName(m), m.value]));
    await this.d.alerts.evaluate(values, now);
  }
}
