import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../data/database.ts';
import type { IntegrationsRepository } from '../data/integrations-repository.ts';
import { phpSerialize } from '../data/php-serialize.ts';
import type { UsersRepository } from '../data/users-repository.ts';
import type { Logger } from '../observability/logger.ts';
import { hashPhpass } from './passwords.ts';

/** A status and the plugin's JSON body. */
export interface IntegrationAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The integrations the plugin registers (SLBP_Integrations_Manager::register_default_integrations). */
export const INTEGRATIONS = ['mailchimp', 'zapier'] as const;
type Integration = (typeof INTEGRATIONS)[number];

/** Subscription statuses a Zapier `update_subscription` may set (Lemon Squeezy's, and the plugin's `trialing`). */
const STATUSES = new Set(['on_trial', 'trialing', 'active', 'paused', 'past_due', 'unpaid', 'cancelled', 'expired']);

export interface IntegrationWebhookDeps {
  /** A decoded wp_options value (`slbp_integrations_settings`, `slbp_webhook_api_key`). */
  option(name: string): unknown;
  main: Queryable;
  /** Where subscriptions live (the main database, or every billing shard). */
  billing(): readonly Queryable[];
  repo: IntegrationsRepository;
  users: UsersRepository;
  /** Drops the caches a user's billing change affects, on every node. */
  billingChanged(userIds: number[]): Promise<void>;
  logger: Logger;
}

/** PHP's empty(): what `! empty( $settings['enabled'] )` treats as off. */
const phpEmpty = (v: unknown) =>
  v === undefined || v === null || v === false || v === 0 || v === '' || v === '0' || (Array.isArray(v) && !v.length);

const fail = (error: string): IntegrationAnswer => ({ status: 400, body: { error } });
const done = (data: unknown): IntegrationAnswer => ({ status: 200, body: { success: true, data } });
const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');

/**
 * The plugin's generic and per-integration webhooks (`slbp/v1/webhook[/{integration}]`), served
 * without the plugin: the same permission (`X-SLBP-API-Key` against `slbp_webhook_api_key` when
 * set), the same answers, and the same effects for the Mailchimp and Zapier actions it handles.
 */
export class IntegrationWebhooks {
  constructor(private readonly d: IntegrationWebhookDeps) {}

  /** verify_webhook_permission(): open while no key is set, else the header must equal it. */
  permitted(header: string | undefined): boolean {
    const expected = this.d.option('slbp_webhook_api_key');
    if (phpEmpty(expected)) return true;
    const a = Buffer.from(String(expected));
    const b = Buffer.from(header ?? '');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** handle_generic_webhook(): its filter has nobody to answer it here, so its data is null. */
  generic(): IntegrationAnswer {
    return done(null);
  }

  /** Whether the integration is one the plugin knows and `slbp_integrations_settings` enables. */
  active(id: string): id is Integration {
    const settings = this.d.option('slbp_integrations_settings');
    const own = settings && typeof settings === 'object' ? (settings as Record<string, unknown>)[id] : undefined;
    return (
      (INTEGRATIONS as readonly string[]).includes(id) &&
      !!own &&
      typeof own === 'object' &&
      !phpEmpty((own as Record<string, unknown>).enabled)
    );
  }

  /** handle_webhook(): 404 unless the integration is active, then its handler's answer. */
  async integration(id: string, data: unknown): Promise<IntegrationAnswer> {
    // sanitize_key() on the route parameter.
    const key = id.toLowerCase().replace(/[^a-z0-9_-]/g, '');
    if (!this.active(key)) return { status: 404, body: { error: 'Integration not found or not active' } };
    const body = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
    this.d.logger.info('integration webhook received', { integration: key, type: text(body.type) || text(body.action) });
    return key === 'mailchimp' ? this.mailchimp(body) : this.zapier(body);
  }

  /** Mailchimp: an `unsubscribe` marks the user (`slbp_mailchimp_unsubscribed`); every type answers true. */
  private async mailchimp(body: Record<string, unknown>): Promise<IntegrationAnswer> {
    if (text(body.type) === 'unsubscribe') {
      const inner = body.data && typeof body.data === 'object' ? (body.data as Record<string, unknown>) : {};
      const email = text(inner.email);
      const userId = email ? await this.d.repo.userIdByEmail(this.d.main, email) : null;
      // update_user_meta( $id, 'slbp_mailchimp_unsubscribed', true ) stores "1".
      if (userId !== null) await this.d.repo.setUserMeta(this.d.main, userId, 'slbp_mailchimp_unsubscribed', '1');
    }
    return done(true);
  }

  /** Zapier: create_user, enroll_user, update_subscription; any other action answers false (its filter is PHP's). */
  private async zapier(body: Record<string, unknown>): Promise<IntegrationAnswer> {
    switch (text(body.action)) {
      case 'create_user':
        return this.createUser(body);
      case 'enroll_user':
        return this.enrolUser(body);
      case 'update_subscription':
        return this.updateSubscription(body);
      default:
        return done(false);
    }
  }

  private async createUser(body: Record<string, unknown>): Promise<IntegrationAnswer> {
    const email = text(body.email).toLowerCase();
    if (!email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return fail('Email is required.');
    if ((await this.d.repo.userIdByEmail(this.d.main, email)) !== null) return fail('User with this email already exists.');
    const login = (text(body.username) || email).replace(/[^A-Za-z0-9 _.\-@]/g, '').slice(0, 60);
    if (!login) return fail('Cannot create a user with an empty login name.');
    if (await this.d.users.loginTaken(this.d.main, login)) return fail('Sorry, that username already exists!');
    const first = text(body.first_name);
    const last = text(body.last_name);
    await this.d.users.create(this.d.main, {
      login,
      email,
      passHash: hashPhpass(randomBytes(18).toString('base64')),
      displayName: login,
      firstName: first,
      lastName: last,
      capabilities: phpSerialize({ subscriber: true }),
    });
    return done(true);
  }

  /**
   * The plugin called LearnDash's ld_update_course_access(); LearnDash records a user's access as
   * the `course_{id}_access_from` user meta, which is what the sidecar writes (as for orders).
   */
  private async enrolUser(body: Record<string, unknown>): Promise<IntegrationAnswer> {
    const email = text(body.email).toLowerCase();
    const courseId = Math.trunc(Number(text(body.course_id)) || 0);
    if (!email) return fail('Email is required.');
    if (courseId <= 0) return fail('Course ID is required.');
    const userId = await this.d.repo.userIdByEmail(this.d.main, email);
    if (userId === null) return fail('User not found.');
    await this.d.repo.setUserMeta(this.d.main, userId, `course_${courseId}_access_from`, String(Math.floor(Date.now() / 1000)));
    await this.d.billingChanged([userId]);
    return done(true);
  }

  private async updateSubscription(body: Record<string, unknown>): Promise<IntegrationAnswer> {
    const subscriptionId = text(body.subscription_id);
    const status = text(body.status);
    if (!subscriptionId) return fail('Subscription ID is required.');
    // The plugin wrote any text, an empty one included; a status no billing code knows is refused.
    if (!STATUSES.has(status)) return fail('Failed to update subscription.');
    const owners = (await Promise.all(this.d.billing().map((q) => this.d.repo.setSubscriptionStatus(q, subscriptionId, status)))).flat();
    await this.d.billingChanged([...new Set(owners)]);
    return done(true);
  }
}
