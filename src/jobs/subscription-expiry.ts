import type { CacheService } from '../cache/cache-service.ts';
import { cacheTags } from '../cache/keys.ts';
import type { BillingDatabases } from '../data/billing-databases.ts';
import type { Database } from '../data/database.ts';
import type { GatewayRecordsRepository } from '../data/payments/gateway-records-repository.ts';
import type { MainEffectsRepository } from '../data/payments/main-effects-repository.ts';
import type { NoticesRepository } from '../data/payments/notices-repository.ts';
import type { TasksRepository } from '../data/payments/tasks-repository.ts';
import type { EnrolmentService } from '../domain/payments/enrolment-service.ts';
import { EnrolmentUnit } from '../domain/payments/enrolment-unit.ts';
import type { Logger } from '../observability/logger.ts';

const BATCH = 200;

/**
 * The `subscription_expiry` task: tells subscribers whose access ends within 7 days (once, via
 * `expiry_notified`), and ends access of cancelled subscriptions whose `expires_at` has passed
 * (status `expired`, courses unenrolled). Each subscription changes in its own transaction, on
 * its owner's billing database; with SLBP_SHARDS the notice and the meta changes on the main
 * database are recorded so a retry after a failed shard commit does not repeat them.
 */
export class SubscriptionExpiry {
  constructor(
    private readonly dbs: BillingDatabases,
    private readonly records: GatewayRecordsRepository,
    private readonly notices: NoticesRepository,
    private readonly enrolment: EnrolmentService,
    private readonly effects: MainEffectsRepository,
    private readonly cache: CacheService,
    private readonly logger: Logger,
  ) {}

  async run(opts: { noticeDays?: number } = {}): Promise<{ notified: number; expired: number }> {
    const days = opts.noticeDays ?? 7;
    let notified = 0;
    for (const s of await this.dbs.gather((q) => this.records.endingSoonUnnotified(q, days, BATCH))) {
      const done = await this.dbs.write(s.user_id, async (tx) => {
        if (!(await this.records.markNotified(tx.billing, s.id))) return false;
        const key = `expiry_notice:${s.subscription_id}:${s.id}:${s.expires_at}`;
        // Split: a notice recorded by an attempt whose shard part failed is not sent twice.
        if (tx.split && (await this.effects.load(tx.main, key))) return true;
        const noticeId = await this.notices.insert(tx.main, {
          userId: s.user_id, type: 'subscription_expiring', title: 'Your subscription ends soon',
          message: `Your subscription ${s.subscription_id} ends on ${s.expires_at} UTC. Renew it to keep your course access.`,
          data: { subscription_id: s.subscription_id, expires_at: s.expires_at },
        });
        if (tx.split) await this.effects.save(tx.main, key, { notice_id: noticeId });
        return true;
      });
      if (done) notified++;
    }
    let expired = 0;
    for (const s of await this.dbs.gather((q) => this.records.lapsedCancelled(q, BATCH))) {
      await this.dbs.write(s.user_id, async (tx) => {
        const row = await this.records.lockSubscription(tx.billing, 'lemon_squeezy', s.subscription_id);
        if (!row || row.status !== 'cancelled') return;
        await this.records.setSubscriptionStatus(tx.billing, row.id, 'expired');
        const unit = await EnrolmentUnit.open(this.enrolment, this.effects, tx, `expiry:${row.subscription_id}:${row.id}:${row.expires_at}`);
        await unit.unenrolSubscription(row.user_id, row.subscription_id);
        await unit.finish();
      });
      await this.cache.invalidate({ tags: cacheTags.billingChange(s.user_id) }).catch(() => undefined);
      expired++;
    }
    if (notified || expired) this.logger.info('subscription expiry', { notified, expired });
    return { notified, expired };
  }
}

/** Keeps one `subscription_expiry` task per day in the queue (checked hourly on every node). */
export class ExpiryScheduler {
  readonly name = 'subscription-expiry-scheduler';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Database, private readonly tasks: TasksRepository, private readonly logger: Logger, private readonly intervalMs = 3_600_000) {}

  async ensureToday(): Promise<boolean> {
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    if (await this.tasks.hasSince(this.db.write, 'subscription_expiry', since)) return false;
    await this.tasks.enqueue(this.db.write, 'subscription_expiry', {}, { priority: 5 });
    return true;
  }

  start(): void {
    const tick = () => this.ensureToday().catch((err) => this.logger.warn('could not schedule subscription expiry', { error: (err as Error).message }));
    void tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
