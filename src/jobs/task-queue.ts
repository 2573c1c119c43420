import type { Database, Queryable } from '../data/database.ts';
import { withLockRetry } from '../data/payments/sql-errors.ts';
import type { TaskRow, TasksRepository } from '../data/payments/tasks-repository.ts';
import { FailureLog } from '../observability/failure-log.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * Runs one task's work; throwing fails the attempt. `q` is the transaction that also marks the
 * task completed: database work done through it happens exactly once, together with the completion.
 */
export type TaskHandler = (data: Record<string, unknown>, task: TaskRow, q: Queryable) => Promise<void>;

/** A task type nobody handles (claims ask for known types, so only a race gets here): fails at once, no retries. */
export class UnknownTaskTypeError extends Error {
  constructor(type: string) {
    super(`unknown task type "${type}"`);
    this.name = 'UnknownTaskTypeError';
  }
}

export interface TaskQueueOptions {
  pollMs?: number;
  batchSize?: number;
  concurrency?: number;
  maxAttempts?: number;
  /** Backoff before retry n is base × 2^(n-1) seconds. */
  backoffBaseSec?: number;
  /** A task `processing` longer than this is taken to be abandoned. */
  stuckAfterSec?: number;
  /** Whether to work the queue now (`enable_background_processing`). */
  enabled?: () => boolean;
}

/**
 * The worker for `{prefix}slbp_background_tasks`. Every node may run one: tasks are claimed with
 * `SKIP LOCKED` so each runs on one node, lowest `priority` first; a failure is retried with
 * exponential backoff up to `maxAttempts`; tasks abandoned in `processing` are recovered. Only
 * types it has a handler for: the plugin's own tasks in the shared table stay as they are.
 */
export class TaskQueue {
  readonly name = 'task-queue';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private lastRecovery = 0;
  private readonly o: Required<TaskQueueOptions>;
  private readonly ticks: FailureLog;

  constructor(
    private readonly db: Database,
    private readonly tasks: TasksRepository,
    private readonly handlers: Map<string, TaskHandler>,
    private readonly logger: Logger,
    opts: TaskQueueOptions = {},
  ) {
    this.o = {
      pollMs: 1000,
      batchSize: 10,
      concurrency: 4,
      maxAttempts: 3,
      backoffBaseSec: 30,
      stuckAfterSec: 900,
      enabled: () => true,
      ...opts,
    };
    this.ticks = new FailureLog(logger, 'task queue tick');
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(
        (worked) => {
          this.ticks.succeeded();
          this.schedule(worked ? 0 : this.o.pollMs);
        },
        (err) => {
          // While the database is down: back off (1 s, 2 s, 4 s ... 60 s) and log once per change.
          this.ticks.failed(err);
          this.schedule(Math.min(this.o.pollMs * 2 ** Math.min(this.ticks.failures - 1, 10), Math.max(this.o.pollMs, 60_000)));
        },
      );
    }, ms);
  }

  /** One round: recover abandoned tasks, claim a batch and run it. Resolves to whether any task ran. */
  async tick(): Promise<boolean> {
    if (!this.o.enabled()) return false;
    // Recovery is a scan; once every few seconds per node is plenty for a timeout counted in minutes.
    if (Date.now() - this.lastRecovery >= Math.min(30_000, this.o.stuckAfterSec * 1000)) {
      this.lastRecovery = Date.now();
      const recovered = await this.tasks.recoverStuck(this.db.write, this.o.stuckAfterSec, this.o.maxAttempts, [...this.handlers.keys()]);
      if (recovered) this.logger.warn('recovered tasks stuck in processing', { count: recovered });
    }
    const batch = await this.tasks.claim(this.db, this.o.batchSize, [...this.handlers.keys()]);
    const queue = [...batch];
    await Promise.all(
      Array.from({ length: Math.min(this.o.concurrency, queue.length) }, async () => {
        for (let t = queue.shift(); t; t = queue.shift()) await this.run(t);
      }),
    );
    return batch.length > 0;
  }

  /** Works the queue until nothing is due (tests and CLI). */
  async drain(): Promise<void> {
    while (await this.tick());
  }

  private async run(task: TaskRow): Promise<void> {
    try {
      const handler = this.handlers.get(task.task_type);
      if (!handler) throw new UnknownTaskTypeError(task.task_type);
      let data: Record<string, unknown> = {};
      try {
        data = task.task_data ? JSON.parse(task.task_data) : {};
      } catch {
        throw new Error('task_data is not valid JSON');
      }
      // A lock conflict rolls the handler's writes back with the completion, so running it again is safe.
      await withLockRetry(() =>
        this.db.transaction(async (q) => {
          await handler(data, task, q);
          await this.tasks.complete(q, task.id);
        }),
      );
    } catch (err) {
      const failures = Number(task.retry_count) + 1;
      const retry = !(err instanceof UnknownTaskTypeError) && failures < this.o.maxAttempts;
      const delaySec = this.o.backoffBaseSec * 2 ** (failures - 1);
      this.logger.warn('background task failed', {
        task_id: task.id,
        type: task.task_type,
        attempt: failures,
        will_retry: retry,
        error: (err as Error).message,
      });
      await withLockRetry(() => this.tasks.fail(this.db.write, task.id, (err as Error).message, retry ? { delaySec } : null)).catch((e) =>
        // Left in processing: the stuck-task recovery counts the attempt later.
        this.logger.warn('could not record a task failure', { task_id: task.id, error: (e as Error).message }),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
