import { access, type AccessRule } from '../access.ts';
import { isSignedIn, keyAllows } from '../caller.ts';

/** Billing route access: owners and admins by identity; API keys by permission. */
export const billingAccess = {
  readTransactions: access.ownerOr('read_billing'),
  /** Subscriptions are billing data too: a key with `read_billing` or `read_subscriptions` may list them. */
  readSubscriptions: {
    name: 'owner_or_read_subscriptions',
    description: 'signed-in users for their own rows, administrators for all; API keys need `read_subscriptions` or `read_billing`',
    allows: (c) =>
      c.kind === 'api_key' ? keyAllows(c.permissions, 'read_subscriptions') || keyAllows(c.permissions, 'read_billing') : isSignedIn(c),
  } as AccessRule,
  writeSubscriptions: access.ownerOr('write_subscriptions'),
  analytics: access.adminOr('read_analytics'),
  courses: access.ownerOr('read_courses'),
  /** Notifications and the dashboard are the caller's own; keys need the general `read`/`write`. */
  readOwn: access.ownerOr('read'),
  writeOwn: access.ownerOr('write'),
};
