import type { CacheService } from '../../cache/cache-service.ts';
import { cacheTags } from '../../cache/keys.ts';
import type { BillingDatabases } from '../../data/billing-databases.ts';
import type { SubscriptionRow, SubscriptionsRepository } from '../../data/subscriptions-repository.ts';
import { RestError } from '../../http/rest-error.ts';
import { subscriptionNotFound } from './billing-service.ts';
import { GatewayError, type GatewayCredentials, type LemonSqueezyClient } from './lemon-squeezy-client.ts';
import type { ReadRouting } from './read-routing.ts';
import { dbFromDate, normaliseSubscriptionStatus } from './values.ts';
import { canSee, type Viewer } from './viewer.ts';

/** Stored statuses a subscription can be cancelled from (anything still running). */
const CANCELLABLE = ['active', 'on_trial', 'trialing', 'past_due', 'unpaid', 'paused'];
/** Lemon Squeezy resumes only a cancelled subscription still in its grace period. */
const RESUMABLE = ['cancelled'];

export type GatewaySync = 'synced' | 'skipped';
export interface ActionResult { row: SubscriptionRow; gatewaySync: GatewaySync }

const conflict = (row: SubscriptionRow, action: string) =>
  new RestError('slbp_invalid_transition', `A subscription that is ${normaliseSubscriptionStatus(row.status)} cannot be ${action}.`, 409, { current_status: normaliseSubscriptionStatus(row.status) });

/**
 * Cancel and resume: check the transition on the writer of the billing database holding the row
 * (its owner's shard with SLBP_SHARDS), tell the gateway first (a gateway error leaves the row
 * unchanged), then change the row there with a compare-and-set, mark the owner's read-your-writes
 * window and invalidate their billing caches on every node.
 */
export class SubscriptionActions {
  constructor(
    private readonly dbs: BillingDatabases,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly gateway: LemonSqueezyClient,
    private readonly credentials: () => GatewayCredentials | null,
    private readonly routing: ReadRouting,
    private readonly cache: CacheService,
  ) {}

  cancel(v: Viewer, id: number): Promise<ActionResult> {
    return this.change(v, id, 'cancelled', CANCELLABLE, (row, endsAt) => ({
      status: 'cancelled',
      // Access continues until the end of the paid period (Lemon Squeezy's ends_at).
      expiresAt: endsAt ?? row.next_billing_date ?? dbFromDate(new Date()),
    }));
  }

  resume(v: Viewer, id: number): Promise<ActionResult> {
    return this.change(v, id, 'resumed', RESUMABLE, () => ({ status: 'active', expiresAt: null }), (row) => {
      if (row.expires_at && row.expires_at <= dbFromDate(new Date())) throw conflict({ ...row, status: 'expired' }, 'resumed');
    });
  }

  private async change(
    v: Viewer, id: number, action: string, from: string[],
    next: (row: SubscriptionRow, endsAt: string | null) => { status: string; expiresAt: string | null },
    extraCheck?: (row: SubscriptionRow) => void,
  ): Promise<ActionResult> {
    const found = await this.dbs.locate((q) => this.subscriptions.findById(q, id));
    const row = found?.value;
    if (!found || !row || !canSee(v, row.user_id)) throw subscriptionNotFound();
    const on = found.on;
    if (!from.includes(row.status)) throw conflict(row, action);
    extraCheck?.(row);

    let gatewaySync: GatewaySync = 'skipped';
    let endsAt: string | null = null;
    const creds = this.credentials();
    if (creds && row.payment_gateway === 'lemon_squeezy') {
      try {
        const res = await this.gateway.setCancelled(creds, row.subscription_id, action === 'cancelled');
        endsAt = res.endsAt ? dbFromDate(new Date(res.endsAt)) : null;
        gatewaySync = 'synced';
      } catch (err) {
        if (err instanceof GatewayError) throw new RestError('slbp_gateway_error', err.message, 502, { gateway: 'lemon_squeezy', gateway_status: err.status });
        throw err;
      }
    }
    const changed = await this.subscriptions.transition(on, id, from, next(row, endsAt));
    if (!changed) {
      const now = await this.subscriptions.findById(on, id);
      throw conflict(now ?? row, action);
    }
    const owner = Number(row.user_id);
    await Promise.all([
      this.routing.markWrite(owner),
      v.userId !== null && v.userId !== owner ? this.routing.markWrite(v.userId) : undefined,
      this.cache.invalidate({ tags: cacheTags.billingChange(owner) }),
    ]);
    const updated = await this.subscriptions.findById(on, id);
    return { row: updated ?? row, gatewaySync };
  }
}
