import type { Database } from '../data/database.ts';
import type { MetricsRepository } from '../data/metrics-repository.ts';
import type { AlertService } from '../domain/alert-service.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { dottedName } from '../observability/site-metrics.ts';
import type { SlotLock } from './slot-lock.ts';

export const SNAPSHOT_EVERY_MS = 5 * 60_000;
export const ALERTS_EVERY_MS = 60_000;

export interface MonitoringJobDeps {
  db: Database;
  metrics: Metrics;
  repo: MetricsRepository;
  alerts: AlertService;
  lock: SlotLock;
  logger: Logger;
  retentionDays: number;
}

/** Writes the plugin's metrics into wp_slbp_metrics once per 5-minute slot and prunes old rows. */
export async function snapshotMetrics(d: MonitoringJobDeps, now: Date): Promise<'ran' | 'taken'> {
  const slot = Math.floor(now.getTime() / SNAPSHOT_EVERY_MS);
  const slotStart = new Date(slot * SNAPSHOT_EVERY_MS);
  return d.lock.runOnce(
    'metrics-snapshot',
    slot,
    SNAPSHOT_EVERY_MS - 5000,
    async (q) => {
      // A NaN (no cache lookups yet) cannot be stored in a FLOAT column and says nothing; skip it.
      const rows = (await d.metrics.collectSite()).filter((m) => Number.isFinite(m.value));
      await d.repo.insertSnapshot(q, rows, now);
      const pruned = await d.repo.pruneOlderThan(q, new Date(now.getTime() - d.retentionDays * 86_400_000));
      d.logger.debug('metrics snapshot written', { rows: rows.length, pruned });
    },
    (q) => d.repo.hasSnapshotSince(q, slotStart),
  );
}

/** Evaluates the alert rules once per 1-minute slot. */
export async function evaluateAlerts(d: MonitoringJobDeps, now: Date): Promise<'ran' | 'taken'> {
  const slot = Math.floor(now.getTime() / ALERTS_EVERY_MS);
  return d.lock.runOnce('alerts', slot, ALERTS_EVERY_MS - 5000, async () => {
    const values = new Map((await d.metrics.collectSite()).map((m) => [dottedName(m), m.value]));
    await d.alerts.evaluate(values, now);
  });
}
