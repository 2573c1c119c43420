import type { DatabaseRouter } from '../../data/database-router.ts';
import type { SubscriptionRow, SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import type { MainEffectsRepository } from '../../data/payments/main-effects-repository.ts';
import type { NotificationsRepository } from '../../data/notifications-repository.ts';
import type { Logger } from '../../observability/logger.ts';

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
