import type { CacheService } from '../../cache/cache-service.ts';
import { cacheTags } from '../../cache/keys.ts';
import { userKey, type DatabaseRouter } from '../../data/database-router.ts';
import type { ResumeStatesRepository } from '../../data/resume-states-repository.ts';
import type { SubscriptionRow, SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import { SidecarError } from '../../errors.ts';
import { subscriptionNotFound } from './billing-service.ts';
import { GatewayError, type GatewayCredentials, type LemonSqueezyClient } from './lemon-squeezy-client.ts';
import { dbFromDate, normaliseSubscriptionStatus } from './values.ts';
import { canSee, type Viewer } from './viewer.ts';

/** Stored statuses a subscription can be cancelled from (anything still running). */
const CANCELLABLE = ['active', 'on_trial', 'trialing', 'past_due', 'unpaid', 'paused'];
/**
 * Lemon Squeezy resumes only a cancelled subscription, and only before `ends_at` (its grace
 * period; the SDK: "You can resume a subscription (before the ends_at date)"); it comes back in
 * the state it was in, not `active` regardless.
 */
const RESUMABLE = ['cancelled'];

export type GatewaySync = 'synced' | 'skipped';
export interface ActionResult {
  row: SubscriptionRow;
  gatewaySync: GatewaySync;
}

const conflict = (row: SubscriptionRow, action: string, why = '') =>
  new SidecarError(
    'slbp_invalid_transition',
    `A subscription that is ${normaliseSubscriptionStatus(row.status)} cannot be ${action}.${why ? ` ${why}` : ''}`,
    409,
    { current_status: normaliseSubscriptionStatus(row.status) },
  );

/** Whether the row's expiry has passed (an unexpired row has none, or one in the future). */
const lapsed = (row: SubscriptionRow) => row.expires_at !== null && row.expires_at <= dbFromDate(new Date());

/**
 * Cancel and resume: check the transition on the writer of the billing database holding the row
 * (its owner's shard with SLBP_SHARDS), tell the gateway first (a gateway error leaves the row
 * unchanged), then change the row there with a compare-and-set, mark the owner's read-your-writes
 * window and invalidate their billing caches on every node. A cancel remembers what the row was
 * (status and expiry) so that a resume restores exactly that, never more (#25: a past_due or an
 * expired trial came back `active` with no expiry).
 */
export class SubscriptionActions {
  constructor(
    private readonly db: DatabaseRouter,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly gateway: LemonSqueezyClient,
    private readonly credentials: () => GatewayCredentials | null,
    private readonly cache: CacheService,
    private readonly resumeStates: ResumeStatesRepository,
  ) {}

  async cancel(v: Viewer, id: number): Promise<ActionResult> {
    const result = await this.change(
      v,
      id,
      'cancelled',
      CANCELLABLE,
      (row) => {
        if (lapsed(row)) throw conflict({ ...row, status: 'expired' }, 'cancelled');
      },
      async (row, gw) => {
        // Access continues until the end of the paid period (Lemon Squeezy's ends_at), never past an expiry the row already had.
        const end = gw?.endsAt ? dbFromDate(new Date(gw.endsAt)) : (row.next_billing_date ?? dbFromDate(new Date()));
        return { status: 'cancelled', expiresAt: row.expires_at !== null && row.expires_at < end ? row.expires_at : end };
      },
      async (before, after) => {
        await this.resumeStates.save(this.db.primary, before.payment_gateway, before.subscription_id, {
          status: before.status,
          expires_at: before.expires_at,
          cancelled: { expires_at: after.expires_at, updated_at: after.updated_at },
        });
      },
    );
    return result;
  }

  async resume(v: Viewer, id: number): Promise<ActionResult> {
    return this.change(
      v,
      id,
      'resumed',
      RESUMABLE,
      (row) => {
        if (lapsed(row)) throw conflict({ ...row, status: 'expired' }, 'resumed');
      },
      async (row, gw) => {
        // With the gateway, its answer is the truth; without it, what the row was before this sidecar cancelled it.
        if (gw?.status)
          return {
            status: gw.status === 'trialing' ? 'on_trial' : gw.status,
            expiresAt:
              gw.status === 'cancelled' || gw.status === 'expired' ? (gw.endsAt ? dbFromDate(new Date(gw.endsAt)) : row.expires_at) : null,
          };
        const before = await this.resumeStates.load(this.db.primary, row.payment_gateway, row.subscription_id);
        if (
          !before ||
          before.cancelled.expires_at !== row.expires_at ||
          before.cancelled.updated_at !== row.updated_at ||
          !CANCELLABLE.includes(before.status)
        ) {
          throw conflict(row, 'resumed', 'It was cancelled at the gateway or changed since: resume it in Lemon Squeezy.');
        }
        return { status: before.status, expiresAt: before.expires_at };
      },
      async (before) => {
        await this.resumeStates.delete(this.db.primary, before.payment_gateway, before.subscription_id);
      },
    );
  }

  private async change(
    v: Viewer,
    id: number,
    action: string,
    from: string[],
    check: (row: SubscriptionRow) => void,
    next: (
      row: SubscriptionRow,
      gateway: { status: string | null; endsAt: string | null } | null,
    ) => Promise<{ status: string; expiresAt: string | null }>,
    done: (before: SubscriptionRow, after: SubscriptionRow) => Promise<void>,
  ): Promise<ActionResult> {
    const found = await this.db.locate((q) => this.subscriptions.findById(q, id));
    const row = found?.value;
    if (!found || !row || !canSee(v, row.user_id)) throw subscriptionNotFound();
    const on = found.on;
    if (!from.includes(row.status)) throw conflict(row, action);
    check(row);

    let gatewaySync: GatewaySync = 'skipped';
    let answer: { status: string | null; endsAt: string | null } | null = null;
    const creds = this.credentials();
    if (creds && row.payment_gateway === 'lemon_squeezy') {
      try {
        answer = await this.gateway.setCancelled(creds, row.subscription_id, action === 'cancelled');
        gatewaySync = 'synced';
      } catch (err) {
        if (err instanceof GatewayError)
          throw new SidecarError('slbp_gateway_error', err.message, 502, { gateway: 'lemon_squeezy', gateway_status: err.status });
        throw err;
      }
    }
    const changed = await this.subscriptions.transition(on, id, from, await next(row, answer));
    if (!changed) {
      const now = await this.subscriptions.findById(on, id);
      throw conflict(now ?? row, action);
    }
    const owner = Number(row.user_id);
    await Promise.all([
      this.db.noteWrite(userKey(owner)),
      v.userId !== null && v.userId !== owner ? this.db.noteWrite(userKey(v.userId)) : undefined,
      this.cache.invalidate({ tags: cacheTags.billingChange(owner) }),
    ]);
    const updated = await this.subscriptions.findById(on, id);
    await done(row, updated ?? row);
    return { row: updated ?? row, gatewaySync };
  }
}
