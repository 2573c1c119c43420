import type { Database } from '../data/database.ts';
import type { TasksRepository } from '../data/payments/tasks-repository.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Keeps one task of a type per day in the task queue (checked at start and hourly on every node;
 * whichever node finds none in the last 24 hours queues it), for work the queue's handler does
 * (the subscription expiry notices).
 */
export class DailyTask {
  readonly name: string;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly type: string,
    private readonly db: Database,
    private readonly tasks: TasksRepository,
    private readonly logger: Logger,
    private readonly opts: { priority: number; what: string; intervalMs?: number },
  ) {
    this.name = `${type.replaceAll('_', '-')}-scheduler`;
  }

  /** Queues today's task unless one was queued in the last 24 hours; true when it did. */
  async ensureToday(): Promise<boolean> {
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    if (await this.tasks.hasSince(this.db.write, this.type, since)) return false;
    await this.tasks.enqueue(this.db.write, this.type, {}, { priority: this.opts.priority });
    return true;
  }

  start(): void {
    const tick = () =>
      this.ensureToday().catch((err) => this.logger.warn(`could not schedule ${this.opts.what}`, { error: (err as Error).message }));
    void tick();
    this.timer = setInterval(tick, this.opts.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
