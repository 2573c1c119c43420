import type { DatabaseRouter } from '../data/database-router.ts';
import type { Database } from '../data/database.ts';
import type { SubscriptionRow, SubscriptionsRepository } from '../data/subscriptions-repository.ts';
import type { MainEffectsRepository } from '../data/payments/main-effects-repository.ts';
import type { NotificationsRepository } from '../data/notifications-repository.ts';
import type { TasksRepository } from '../data/payments/tasks-repository.ts';
import type { Logger } from '../observability/logger.ts';

const BATCH = 200;

/**
 * The `subscription_expiry` task, as the plugin's `check_upcoming_expiries` (slbp_daily_cron)
 * does it: each `active` subscription inside the plugin's window (expires_at on or before the
 * day 7 days from now) that was not told yet gets one `subscription_expiring` notice and
 * `expiry_notified = 1`. It never changes a status or access: `expired` and unenrolment come
 * only from the gateway's `subscription_expired` webhook. Each subscription is marked in its own
 * transaction, on its owner's billing database; with SLBP_SHARDS the notice on the main database
 * is recorded so a retry after a failed shard commit does not send it twice.
 */
export class SubscriptionExpiry {
  constructor(
    private readonly dbs: DatabaseRouter,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly notices: NotificationsRepository,
    private readonly effects: MainEffectsRepository,
    private readonly logger: Logger,
  ) {}

  async run(opts: { noticeDays?: number } = {}): Promise<{ notified: number }> {
    const days = opts.noticeDays ?? 7;
    let notified = 0;
    for (;;) {
      const batch = await this.dbs.gather((q) => this.subscriptions.activeExpiringUnnotified(q, days, BATCH));
      let marked = 0;
      for (const s of batch) if (await this.notifyOne(s)) marked++;
      notified += marked;
      // Every marked row leaves the window; a batch that marked nothing would only repeat.
      if (batch.length < BATCH || marked === 0) break;
    }
    if (notified) this.logger.info('subscription expiry notices sent', { notified });
    return { notified };
  }

  private notifyOne(s: SubscriptionRow): Promise<boolean> {
    return this.dbs.write(Number(s.user_id), async (tx) => {
      if (!(await this.subscriptions.markNotified(tx.billing, Number(s.id)))) return false;
      const key = `expiry_notice:${s.subscription_id}:${s.id}:${s.expires_at}`;
      // Split: a notice recorded by an attempt whose shard part failed is not sent twice.
      if (tx.split && (await this.effects.load(tx.main, key))) return true;
      const noticeId = await this.notices.insert(tx.main, {
        userId: Number(s.user_id),
        type: 'subscription_expiring',
        title: 'Your subscription ends soon',
        message: `Your subscription ${s.subscription_id} ends on ${s.expires_at} UTC. Renew it to keep your course access.`,
        data: { subscription_id: s.subscription_id, expires_at: s.expires_at },
      });
      if (tx.split) await this.effects.save(tx.main, key, { notice_id: noticeId });
      return true;
    });
  }
}

/** Keeps one `subscription_expiry` task per day in the queue (checked hourly on every node). */
export class ExpiryScheduler {
  readonly name = 'subscription-expiry-scheduler';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly tasks: TasksRepository,
    private readonly logger: Logger,
    private readonly intervalMs = 3_600_000,
  ) {}

  async ensureToday(): Promise<boolean> {
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    if (await this.tasks.hasSince(this.db.write, 'subscription_expiry', since)) return false;
    await this.tasks.enqueue(this.db.write, 'subscription_expiry', {}, { priority: 5 });
    return true;
  }

  start(): void {
    const tick = () =>
      this.ensureToday().catch((err) => this.logger.warn('could not schedule subscription expiry', { error: (err as Error).message }));
    void tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
