import { componentsFor, cronFor, type BackupConfig } from '../domain/backup-config.ts';
import type { BackupLock } from './backup-lock.ts';
import type { BackupService } from './backup-service.ts';
import { newBackupId } from './backup-store.ts';

export type SlotKind = 'daily' | 'weekly' | 'monthly';
export type SlotOutcome = 'ran' | 'failed' | 'done' | 'busy' | 'disabled';

/** `daily@2026-11-26T03:00Z`: the same on every node for one cron firing. */
export function slotId(kind: SlotKind, at: Date): string {
  return `${kind}@${at.toISOString().slice(0, 16)}Z`;
}

const KINDS: readonly string[] = ['daily', 'weekly', 'monthly'];

/**
 * The backups `slbp_backup_config` schedules (a cron schedule in jobs/ fires them). Every node
 * fires; a slot is recorded as pending in Redis, and the node that wins the backup lock runs it.
 * If that node dies, its lease lapses and the slot stays pending, so the next sweep on any node
 * retries it.
 */
export class ScheduledBackups {
  constructor(
    private readonly d: {
      backups: BackupService;
      lock: BackupLock;
      backupConfig(): BackupConfig;
    },
  ) {}

  /** The cron expression of the configured schedule, or null while backups are disabled. */
  schedule(): { expression: string; kind: SlotKind; label: string } | null {
    const cfg = this.d.backupConfig();
    if (!cfg.enabled) return null;
    const { expression, kind } = cronFor(cfg.schedule);
    return { expression, kind, label: cfg.schedule };
  }

  fire(kind: string, at: Date): Promise<SlotOutcome> {
    return this.runSlot(slotId(kind as SlotKind, at), kind as SlotKind);
  }

  /** Retries slots whose node died and forgets old slots. */
  async sweep(): Promise<void> {
    await this.d.lock.pruneSlots(40 * 86_400_000);
    for (const slot of await this.d.lock.pendingSlots()) {
      const kind = slot.split('@')[0] as SlotKind;
      if (KINDS.includes(kind)) await this.runSlot(slot, kind);
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
}
