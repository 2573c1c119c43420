import cron, { type ScheduledTask } from 'node-cron';
import type { Service } from '../lifecycle.ts';
import { FailureLog } from '../observability/failure-log.ts';
import type { Logger } from '../observability/logger.ts';

/** What a cron schedule runs: the schedule itself (it may change), each firing, and a sweep for what was left pending. */
export interface ScheduledWork {
  /** The cron expression now, the kind each firing is given and a label for the log; null while nothing is scheduled. */
  schedule(): { expression: string; kind: string; label: string } | null;
  /** One firing of the schedule at `at` (every node fires; the work decides which node does it). */
  fire(kind: string, at: Date): Promise<unknown>;
  /** Runs what was left pending (a node died mid-run); every sweep. */
  sweep(): Promise<void>;
}

/**
 * Runs a schedule that can change at run time with node-cron (noOverlap) in the given time zone:
 * the cron task is made again when the schedule changes (`reschedule`, and every sweep), and a
 * sweep every minute runs what a dead node left pending. Only nodes running jobs start it.
 */
export class CronSchedule implements Service {
  private task: ScheduledTask | null = null;
  private signature = '';
  private sweepTimer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(
    readonly name: string,
    /** What is scheduled, as the log names it (`backup schedule set`, `backup sweep`). */
    private readonly what: string,
    private readonly work: ScheduledWork,
    private readonly timezone: string,
    private readonly logger: Logger,
    /** How often pending work is retried and the schedule re-read. */
    private readonly sweepMs = 60_000,
  ) {}

  start(): void {
    this.started = true;
    this.reschedule();
    const failures = new FailureLog(this.logger, `${this.what} sweep`);
    this.sweepTimer = setInterval(() => {
      this.sweep().then(
        () => failures.succeeded(),
        (err) => failures.failed(err),
      );
    }, this.sweepMs);
    this.sweepTimer.unref();
  }

  /** (Re)creates the cron task when the schedule changed. */
  reschedule(): void {
    // Schedule changes arrive on every node, but only nodes running jobs keep a cron task.
    if (!this.started) return;
    const s = this.work.schedule();
    const sig = s ? `${s.expression}|${s.kind}|${this.timezone}` : 'off';
    if (sig === this.signature) return;
    this.signature = sig;
    void this.task?.destroy();
    this.task = null;
    if (!s) return;
    this.task = cron.schedule(s.expression, (ctx) => this.work.fire(s.kind, ctx.date).then(() => undefined), {
      timezone: this.timezone,
      noOverlap: true,
      name: `slbp-${this.what}`,
    });
    this.logger.info(`${this.what} schedule set`, {
      schedule: s.label,
      cron: s.expression,
      timezone: this.timezone,
      next_run: this.task.getNextRun()?.toISOString(),
    });
  }

  /** Picks up schedule changes, then runs what was left pending. */
  async sweep(): Promise<void> {
    this.reschedule();
    await this.work.sweep();
  }

  stop(): void {
    this.started = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    void this.task?.destroy();
    this.task = null;
  }
}
