import cron, { type ScheduledTask } from 'node-cron';
import type { Service } from '../lifecycle.ts';
import { FailureLog } from '../observability/failure-log.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * A node-cron schedule around one async job that never overlaps itself: a run that is still
 * busy when the next tick comes makes that tick a no-op.
 */
export class CronJob implements Service {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private readonly failures: FailureLog;

  constructor(
    readonly name: string,
    private readonly expression: string,
    private readonly job: (now: Date) => Promise<unknown>,
    logger: Logger,
  ) {
    this.failures = new FailureLog(logger, `scheduled job ${name} (it runs again at the next tick)`);
  }

  /** Runs the job now unless a run is in progress (then waits for that one). */
  runNow(now = new Date()): Promise<void> {
    this.running ??= this.job(now)
      .then(
        () => {
          this.failures.succeeded({ job: this.name });
        },
        (err) => {
          this.failures.failed(err, { job: this.name });
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  start(): void {
    if (this.task) return;
    this.task = cron.createTask(this.expression, (ctx) => this.runNow(ctx.triggeredAt ?? new Date()), { name: this.name, noOverlap: true });
    void this.task.start();
  }

  async stop(): Promise<void> {
    const t = this.task;
    this.task = null;
    if (t) await t.destroy();
    await this.running;
  }
}
