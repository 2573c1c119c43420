import cron, { type ScheduledTask } from 'node-cron';
import type { BackupLock } from '../backup/backup-lock.ts';
import type { BackupService } from '../backup/backup-service.ts';
import { newBackupId } from '../backup/backup-store.ts';
import { componentsFor, cronFor, type BackupConfig } from '../domain/backup-config.ts';
import { FailureLog } from '../observability/failure-log.ts';
import type { Logger } from '../observability/logger.ts';

export type SlotKind = 'daily' | 'weekly' | 'monthly';
export type SlotOutcome = 'ran' | 'failed' | 'done' | 'busy' | 'disabled';

export interface SchedulerDeps {
  backups: BackupService;
  lock: BackupLock;
  backupConfig(): BackupConfig;
  timezone: string;
  logger: Logger;
  /** How often pending slots are retried and the schedule re-read. */
  sweepMs?: number;
}

/** `daily@2026-11-26T03:00Z`: the same on every node for one cron firing. */
export function slotId(kind: SlotKind, at: Date): string {
  return `${kind}@${at.toISOString().slice(0, 16)}Z`;
}

/**
 * Runs `slbp_backup_config`'s schedule with node-cron (noOverlap). Every node fires; a slot is
 * recorded as pending in Redis, and the node that wins the lock runs it. If that node dies,
 * its lease lapses and the slot stays pending, so the next sweep on any node retries it.
 */
export class BackupScheduler {
  readonly name = 'backup-scheduler';
  private task: ScheduledTask | null = null;
  private signature = '';
  private sweepTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly d: SchedulerDeps) {}

  start(): void {
    this.started = true;
    this.reschedule();
    const failures = new FailureLog(this.d.logger, 'backup sweep');
    this.sweepTimer = setInterval(() => {
      this.sweep().then(
        () => failures.succeeded(),
        (err) => failures.failed(err),
      );
    }, this.d.sweepMs ?? 60_000);
    this.sweepTimer.unref();
  }

  /** (Re)creates the cron task when the schedule or enabled flag changed. */
  reschedule(): void {
    // Config changes arrive on every node, but only nodes running jobs keep a cron task.
    if (!this.started) return;
    const cfg = this.d.backupConfig();
    const sig = `${cfg.enabled}|${cfg.schedule}|${this.d.timezone}`;
    if (sig === this.signature) return;
    this.signature = sig;
    void this.task?.destroy();
    this.task = null;
    if (!cfg.enabled) return;
    const { expression, kind } = cronFor(cfg.schedule);
    this.task = cron.schedule(expression, (ctx) => this.runSlot(slotId(kind, ctx.date), kind).then(() => undefined), {
      timezone: this.d.timezone,
      noOverlap: true,
      name: 'slbp-backup',
    });
    this.d.logger.info('backup schedule set', {
      schedule: cfg.schedule,
      cron: expression,
      timezone: this.d.timezone,
      next_run: this.task.getNextRun()?.toISOString(),
    });
  }

  /** Retries slots whose node died, forgets old slots, picks up schedule changes. */
  async sweep(): Promise<void> {
    this.reschedule();
    await this.d.lock.pruneSlots(40 * 86_400_000);
    for (const slot of await this.d.lock.pendingSlots()) {
      const kind = slot.split('@')[0] as SlotKind;
      if (['daily', 'weekly', 'monthly'].includes(kind)) await this.runSlot(slot, kind);
    }
  }

  /** One slot, at most once across the pool: `ran` on the node that backed it up. */
  async runSlot(slot: string, kind: SlotKind): Promise<SlotOutcome> {
    const cfg = this.d.backupConfig();
    if (!cfg.enabled) return 'disabled';
    if ((await this.d.lock.slotState(slot))?.startsWith('done:')) return 'done';
    await this.d.lock.markSlotPending(slot);
    const id = newBackupId();
    const lease = await this.d.lock.acquire(`${this.d.backups.instanceId}|${id}|${slot}`);
    if (!lease) return 'busy';
    try {
      // Another node may have finished the slot between our check and the lock.
      if ((await this.d.lock.slotState(slot))?.startsWith('done:')) return 'done';
      const info = await this.d.backups.runLocked(lease, id, { type: kind, components: componentsFor(cfg, kind), slot });
      // A failed run is recorded, not retried every sweep; only a crash leaves the slot pending.
      if (info.status !== 'completed') {
        await this.d.lock.markSlotFailed(slot, id);
        return 'failed';
      }
      await this.d.lock.markSlotDone(slot, id);
      return 'ran';
    } finally {
      await lease.release();
    }
  }

  stop(): void {
    this.started = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    void this.task?.destroy();
    this.task = null;
  }
}
